package audit

import (
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/script"
)

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
	v.findings = append(v.findings, pol.Script(a.Script)...)
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
