package audit

import (
	"fmt"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/source/script"
)

// auditRunLine judges every container a --run command line starts.
func auditRunLine(line string, index int, pol *policy.Policy) ([]rules.Finding, []Note, *inputs.Error) {
	results, err := runcmd.ParseLine(line, index)
	if err != nil {
		msg := err.Error()
		if re, ok := err.(*runcmd.Error); ok {
			msg = re.Msg
			if re.At.Column > 0 {
				msg = fmt.Sprintf("column %d: %s", re.At.Column, re.Msg)
			}
		}
		return nil, nil, &inputs.Error{Path: fmt.Sprintf("%s #%d", facts.RunPath, index), Message: msg}
	}
	var findings []rules.Finding
	var notes []Note
	// The line is shell code too: what it downloads, the checks it turns
	// off, the credentials it writes are judged like a script's.
	locate := func(off int) facts.Location {
		return facts.Location{Path: facts.RunPath, Index: index, Column: off + 1}
	}
	if cmds, err := shell.Parse(line, locate); err == nil {
		s := &facts.Script{Path: facts.RunPath, Subject: facts.Subject{Kind: facts.SubjectScript, Name: fmt.Sprintf("--run #%d", index)}}
		script.AddCommands(s, cmds)
		findings = append(findings, pol.Script(s)...)
	}
	for _, r := range results {
		for _, n := range r.Notes {
			notes = append(notes, noteOf(n))
		}
		c := container.Map(r.Spec)
		for _, n := range c.Notes {
			notes = append(notes, noteOf(n))
		}
		findings = append(findings, pol.Container(c)...)
	}
	return findings, notes, nil
}
