package enforce

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dockguard/dockguard/internal/rules"
)

// Violation is one reason a request is denied or warned about.
type Violation struct {
	Rule string // rule ID
	Slug string
	// Check names what failed in a request-unjudged violation
	// (body-undecodable, route-not-allowed, …).
	Check    string
	Severity rules.Severity
	Message  string
	Fix      string
	Deny     bool
}

// Decision is the verdict on one request.
type Decision struct {
	Allow      bool
	Method     string
	Route      string // the route template, or the normalized path
	Subject    string
	Violations []Violation
	// Reason says why a request was allowed or denied without rules
	// (exempt, image not present, body does not decode, …).
	Reason string
	// Msg is the denial message for the daemon.
	Msg     string
	Latency time.Duration
}

// Rules returns the IDs of the violations, denying ones first.
func (d *Decision) Rules() []string {
	out := make([]string, 0, len(d.Violations))
	for _, v := range d.Violations {
		out = append(out, v.Rule)
	}
	return out
}

// finish turns the judgement into the decision under the mode.
func (d *Decider) finish(dec *Decision, j *judgement) {
	dec.Subject, dec.Reason = j.subject, j.reason
	sort.SliceStable(j.vs, func(a, b int) bool {
		if j.vs[a].Deny != j.vs[b].Deny {
			return j.vs[a].Deny
		}
		return j.vs[a].Severity.Rank() > j.vs[b].Severity.Rank()
	})
	dec.Violations = j.vs
	deny := j.denied
	for _, v := range j.vs {
		deny = deny || v.Deny
	}
	// Warn and audit modes let violations through to try a policy out; a
	// read-only socket is handed to tools that must never write, so every
	// denial on it holds in every mode.
	dec.Allow = !deny || d.mode != "enforce" && !d.readOnly
	if deny {
		dec.Msg = message(d.profile.String(), dec.Route, j.vs)
	}
}

// message is the denial text the requester reads (the CLI prints it after
// "authorization denied by plugin dockguard: "). The rules that denied come
// first, under the profile that denied them, each with the request field
// it read, its fix and the configuration key that would allow it; then,
// apart, what was found and did not deny. Every rule is named by its slug
// and ID, which `dockguard explain` resolves. The text is capped at
// MaxMessage: the first denying rule is always named, the other denying
// rules are named before anything else is spelled out, and what does not
// fit is counted with its IDs.
func message(profile, route string, vs []Violation) string {
	var deny, other []item
	for _, v := range vs {
		if v.Deny {
			deny = append(deny, denyItem(route, v))
		} else {
			other = append(other, item{name: itemName(v), full: itemName(v) + ": " + v.Message, id: v.Rule})
		}
	}
	var b strings.Builder
	b.WriteString("denied by " + profile + ": ")
	limit := MaxMessage
	if len(other) > 0 {
		// Room to say that more was found, however long the denials.
		limit -= len(alsoFound) + len("; and 99 more")
	}
	fitList(&b, limit, deny, true)
	if len(other) > 0 && b.Len()+len(alsoFound)+len("and 99 more") <= MaxMessage {
		b.WriteString(alsoFound)
		fitList(&b, MaxMessage, other, false)
	}
	return truncate(b.String(), MaxMessage)
}

// alsoFound introduces the findings that did not deny.
const alsoFound = ". Also found, not denied: "

// item is one violation in a message: name is "slug (ID)", full the
// whole text.
type item struct{ name, full, id string }

func itemName(v Violation) string {
	if v.Rule == v.Slug || v.Slug == "" {
		return v.Rule
	}
	return v.Slug + " (" + v.Rule + ")"
}

// denyItem spells out one denying violation: what, where, the fix and
// the key that would allow it.
func denyItem(route string, v Violation) item {
	name := itemName(v)
	full := name + ": " + v.Message
	if f := requestFields(route, v); f != "" {
		full += " [" + f + "]"
	}
	var tail []string
	if v.Fix != "" {
		tail = append(tail, "fix: "+v.Fix)
	}
	if k := allowKey(v); k != "" {
		tail = append(tail, k)
	}
	if len(tail) > 0 {
		full += " (" + strings.Join(tail, "; ") + ")"
	}
	return item{name: name, full: full, id: v.Rule}
}

// allowLists are the rules an allow: list widens, with its key: for
// them the list, not turning the rule off, is what allows a request.
var allowLists = map[string]string{
	"bind-outside-roots":   "allow.bindRoots",
	"host-device":          "allow.devices",
	"host-block-device":    "allow.devices",
	"dangerous-capability": "allow.capabilities",
	"capability-added":     "allow.capabilities",
	"seccomp-profile":      "allow.seccompProfiles",
	"apparmor-profile":     "allow.apparmorProfiles",
	"selinux-type":         "allow.selinuxTypes",
	"volume-driver":        "allow.volumeDrivers",
	"volume-bind":          "allow.volumeTypes",
	"sysctl":               "allow.sysctls",
	"runtime":              "allow.runtimes",
}

// allowKey names the setting that would let the violation through: none
// for a fail-closed rule, the allow: list for a rule one widens, nothing
// more when the fix already names an enforce: key, else the per-rule
// override.
func allowKey(v Violation) string {
	rs := rules.Lookup(v.Rule)
	if len(rs) == 1 && rs[0].Enforce == rules.EnforceFailClosed {
		return "no setting allows it"
	}
	if k, ok := allowLists[v.Slug]; ok {
		return "to allow: " + k
	}
	if strings.Contains(v.Fix, "enforce.") {
		return ""
	}
	return "to allow: enforce.rules: {" + v.Slug + ": warn}"
}

// fieldsByRule inverts the field table: the request fields each rule
// reads, for naming them in a denial whose finding carries no field
// (container rules judge the mapped container, not the request).
var fieldsByRule = func() map[string][]string {
	m := map[string][]string{}
	for path, f := range fieldTable {
		if f.Class != Judged {
			continue
		}
		for _, r := range f.Rules {
			m[r] = append(m[r], path)
		}
	}
	for _, paths := range m {
		sort.Strings(paths)
	}
	return m
}()

// routeBodies are the table's names of the bodies a route decodes.
var routeBodies = map[string][]string{
	"/containers/create":      {"Config.", "HostConfig.", "NetworkingConfig."},
	"/services/create":        {"Service."},
	"/services/{id}/update":   {"Service."},
	"/containers/{id}/update": {"Update."},
}

// requestFields names the fields of the request that a container rule
// read. Request rules name their field in the message already.
func requestFields(route string, v Violation) string {
	rs := rules.Lookup(v.Rule)
	if len(rs) != 1 || rs[0].Request {
		return ""
	}
	var out []string
	for _, p := range fieldsByRule[v.Slug] {
		for _, prefix := range routeBodies[route] {
			if strings.HasPrefix(p, prefix) {
				out = append(out, strings.TrimPrefix(p, "Service."))
			}
		}
	}
	return strings.Join(out, ", ")
}

// fitList writes items into b, staying within limit where it can. When
// every name fits, items are spelled out in order while the names of the
// ones after them still fit; otherwise as many as fit are named and the
// rest counted. first: the list opens the message, and its first item is
// written whatever the limit (cut to fit, never before its name).
func fitList(b *strings.Builder, limit int, items []item, first bool) {
	const sep = "; "
	names := make([]int, len(items)+1) // names[i]: room the names from i on take
	for i := len(items) - 1; i >= 0; i-- {
		names[i] = names[i+1] + len(sep) + len(items[i].name)
	}
	start := b.Len()
	put := func(i int, s string) {
		if b.Len() > start {
			b.WriteString(sep)
		}
		b.WriteString(s)
	}
	if b.Len()+names[0] <= limit {
		for i, it := range items {
			switch room := limit - b.Len() - names[i+1] - len(sep); {
			case len(it.full) <= room:
				put(i, it.full)
			case i == 0 && first && room > len(it.name)+10:
				put(i, truncate(it.full, room))
			default:
				put(i, it.name)
			}
		}
		return
	}
	for i, it := range items {
		more := fmt.Sprintf("%sand %d more", sep, len(items)-i-1)
		switch room := limit - b.Len() - len(sep) - len(more); {
		case i == 0 && first:
			put(i, truncate(it.full, max(room, len(it.name)+4)))
		case len(it.full) <= room:
			put(i, it.full)
		case len(it.name) <= room:
			put(i, it.name)
		default:
			var ids []string
			for _, r := range items[i:] {
				if !slices.Contains(ids, r.id) {
					ids = append(ids, r.id)
				}
			}
			put(i, fmt.Sprintf("and %d more", len(items)-i))
			if s := " (dockguard explain " + strings.Join(ids, " ") + ")"; b.Len()+len(s) <= limit {
				b.WriteString(s)
			}
			return
		}
	}
}

func truncate(s string, n int) string {
	if n < 4 {
		n = 4
	}
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// unjudged is the decision on a request the proxy refuses before the
// decider reads it (a body over the cap, a repeated Content-Type), worded
// as every fail-closed denial is.
func (d *Decider) unjudged(method, route, check, msg string) Decision {
	r := requestRule("request-unjudged")
	v := Violation{Rule: r.ID, Slug: r.Slug, Check: check, Severity: r.Severity, Message: check + ": " + msg, Deny: true}
	return Decision{Method: method, Route: route, Violations: []Violation{v}, Msg: message(d.profile.String(), route, []Violation{v})}
}
