package enforce

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
)

// judgement collects what one request violates.
type judgement struct {
	d       *Decider
	vs      []Violation
	subject string
	reason  string
	denied  bool // a fail-closed denial (decode, route, size)
	// depth counts the containers judged on the way to this one (a
	// container joined by one that is joined …): see targetVerdict.
	depth int
}

// failClosed denies a request that cannot be judged, whatever the mode
// and the configuration say (request-unjudged); the message names the
// check that failed.
func (j *judgement) failClosed(check, format string, args ...any) {
	j.denied = true
	r := requestRule("request-unjudged")
	j.vs = append(j.vs, Violation{Rule: r.ID, Slug: r.Slug, Check: check, Severity: r.Severity, Message: check + ": " + fmt.Sprintf(format, args...), Deny: true})
}

// check adds the violation of a catalogue rule that enforcement judges on
// the request itself (rules.Rule.Request); fix is the change that would
// let this request through. rules.severity sets its severity as in the
// audit; rules.disable does not apply: the audit never reports these
// rules, and a control named there to quiet the audit must not open
// the boundary (enforce.rules turns them off).
func (j *judgement) check(slug, fix, format string, args ...any) {
	r := requestRule(slug)
	sev := r.Severity
	if s, ok := policy.SeverityFor(r, j.d.pol.Config); ok {
		sev = s
	}
	j.add(r, sev, fmt.Sprintf(format, args...), fix)
}

// requestRules are the catalogue's request rules by slug.
var requestRules = func() map[string]*rules.Rule {
	m := map[string]*rules.Rule{}
	for _, r := range rules.All() {
		if r.Request {
			m[r.Slug] = r
		}
	}
	return m
}()

// requestRule returns a request rule of the catalogue; a name that is not
// one is a programming error TestRequestRules catches.
func requestRule(slug string) *rules.Rule {
	r, ok := requestRules[slug]
	if !ok {
		panic("enforce: " + slug + " is not a request rule")
	}
	return r
}

// rule adds a catalogue finding on the container a request describes
// (the policy already applied the audit settings).
func (j *judgement) rule(r *rules.Rule, sev rules.Severity, msg string) {
	j.add(r, sev, msg, firstSentence(r.Remediation))
}

// add decides one finding by the profile's membership (never by its
// severity) and the enforce.rules overrides (rules.Verdict).
func (j *judgement) add(r *rules.Rule, sev rules.Severity, msg, fix string) {
	deny, off := rules.Verdict(j.d.profile, j.d.cfg.Rules, r)
	if off {
		return
	}
	j.vs = append(j.vs, Violation{Rule: r.ID, Slug: r.Slug, Severity: sev, Message: msg, Fix: fix, Deny: deny})
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
