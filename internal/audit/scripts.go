package audit

import (
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/script"
)

// judgeScript runs the rules that judge shell code on a Script fact the
// way the policy runs the others: the rules the configuration leaves on,
// each with its own reporter, then the configured severities.
//
// It belongs in package policy as (*Policy).Script, beside Build and
// Container; it lives here until that package's owner moves it.
func judgeScript(pol *policy.Policy, s *facts.Script) []rules.Finding {
	var out []rules.Finding
	for _, r := range pol.Rules {
		if r.Script == nil {
			continue
		}
		rep := rules.NewReporter(r, &pol.Config)
		r.Script(s, rep)
		out = append(out, rep.Findings()...)
	}
	out = policy.Adjust(out, pol.Config)
	policy.Sort(out)
	return out
}

// verdict is what auditing one input yields.
type verdict struct {
	findings []rules.Finding
	notes    []Note
	errs     []*inputs.Error
}

func (v *verdict) note(n facts.Note) { v.notes = append(v.notes, noteOf(n)) }

func (v *verdict) merge(o *verdict) {
	v.findings = append(v.findings, o.findings...)
	v.notes = append(v.notes, o.notes...)
	v.errs = append(v.errs, o.errs...)
}

// judgeUnit parses a unit of shell code and judges the code and every
// container it starts.
func judgeUnit(u *script.Unit, pol *policy.Policy) *verdict {
	a := script.Analyze(u)
	v := &verdict{errs: a.Errors}
	for _, n := range a.Notes {
		v.note(n)
	}
	v.findings = append(v.findings, judgeScript(pol, a.Script)...)
	for _, r := range a.Containers {
		for _, n := range r.Notes {
			v.note(n)
		}
		v.container(container.Map(r.Spec), pol)
	}
	return v
}

// container judges one container fact.
func (v *verdict) container(c *facts.Container, pol *policy.Policy) {
	for _, n := range c.Notes {
		v.note(n)
	}
	v.findings = append(v.findings, pol.Container(c)...)
}
