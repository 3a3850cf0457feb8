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
// let this request through.
func (j *judgement) check(slug, fix, format string, args ...any) {
	j.add(requestRule(slug), rules.Severity(""), fmt.Sprintf(format, args...), fix)
}

// requestRule returns a request rule of the catalogue; a name that is not
// one is a programming error TestRequestRules catches.
func requestRule(slug string) *rules.Rule {
	rs := rules.Lookup(slug)
	if len(rs) != 1 || !rs[0].Request {
		panic("enforce: " + slug + " is not a request rule")
	}
	return rs[0]
}

// rule adds a catalogue finding on the container a request describes.
func (j *judgement) rule(r *rules.Rule, sev rules.Severity, msg string) {
	j.add(r, sev, msg, firstSentence(r.Remediation))
}

// add decides one finding under the configuration: the audit settings
// (rules.disable, rules.severity) apply as in the audit, then the rule's
// enforcement mode (by severity against minSeverity unless the rule
// denies by default), then enforce.rules overrides.
func (j *judgement) add(r *rules.Rule, sev rules.Severity, msg, fix string) {
	if sev == "" {
		sev = r.Severity
	}
	fs := policy.Adjust([]rules.Finding{{Rule: r, Severity: sev}}, j.d.pol.Config)
	if len(fs) == 0 {
		return
	}
	sev = fs[0].Severity
	deny := sev.Rank() >= j.d.min.Rank() || r.Enforce == rules.EnforceDeny
	for k, v := range j.d.cfg.Rules {
		if !r.Matches(k) {
			continue
		}
		switch v {
		case "deny":
			deny = true
		case "warn":
			deny = false
		case "off":
			return
		}
	}
	j.vs = append(j.vs, Violation{Rule: r.ID, Slug: r.Slug, Severity: sev, Message: msg, Fix: fix, Deny: deny})
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
