package enforce

import (
	"fmt"
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
		dec.Msg = message(j.vs)
	}
}

// message is the denial text: denying rules first, each with its fix,
// capped at MaxMessage, the rest counted.
func message(vs []Violation) string {
	var b strings.Builder
	var ids []string
	n := 0
	for i, v := range vs {
		item := v.Slug
		if v.Rule != v.Slug {
			item += " (" + v.Rule + ")"
		}
		item += ": " + v.Message
		if v.Fix != "" {
			item += " fix: " + v.Fix
		}
		sep := ""
		if i > 0 {
			sep = "; "
		}
		if n > 0 && b.Len()+len(sep)+len(item) > MaxMessage-80 {
			break
		}
		if b.Len()+len(sep)+len(item) > MaxMessage-80 {
			item = truncate(item, MaxMessage-80-b.Len()-len(sep))
		}
		b.WriteString(sep + item)
		n++
	}
	if rest := vs[n:]; len(rest) > 0 {
		for _, v := range vs {
			if strings.HasPrefix(v.Rule, "DG") {
				ids = append(ids, v.Rule)
			}
		}
		fmt.Fprintf(&b, "; and %d more", len(rest))
		if len(ids) > 0 {
			s := strings.Join(ids, " ")
			fmt.Fprintf(&b, " (dockguard explain %s)", truncate(s, MaxMessage-b.Len()-25))
		}
	}
	return truncate(b.String(), MaxMessage)
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
