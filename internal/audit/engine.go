package audit

import (
	"context"
	"sync"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
)

// KindEngine counts the Docker engines audited live.
const KindEngine inputs.Kind = "engine"

// engineWorkers bounds how many engines are read at once; each engine
// bounds its own requests.
const engineWorkers = 4

// auditEngines reads every engine and judges its containers, Swarm
// services, networks and host with the same rules as the static inputs.
// An engine that cannot be reached is an input error naming it; the other
// engines and every file are still audited.
func auditEngines(ctx context.Context, opt Options, pol *policy.Policy, col *collector) {
	n := len(opt.Engines)
	var mu sync.Mutex
	done, total := make([]int, n), make([]int, n)
	parallel(ctx, engineWorkers, n, func(i int) {
		ep, err := engine.Resolve(opt.Engines[i])
		if err != nil {
			col.add(nil, nil, &inputs.Error{Path: "docker engine", Message: err.Error()})
			return
		}
		lo := opt.Live
		if progress := opt.Live.Progress; progress != nil {
			lo.Progress = func(d, t int) {
				mu.Lock()
				defer mu.Unlock()
				done[i], total[i] = d, t
				var sd, st int
				for j := range done {
					sd, st = sd+done[j], st+total[j]
				}
				progress(sd, st)
			}
		}
		snap, err := engine.Load(ctx, ep, lo)
		if err != nil {
			col.add(nil, nil, &inputs.Error{Path: ep.Host, Message: err.Error()})
			return
		}
		findings, notes, errs := judgeSnapshot(snap, pol)
		col.add(findings, notes, errs...)
	})
}

// judgeSnapshot runs the policy over what one engine showed.
func judgeSnapshot(s *engine.Snapshot, pol *policy.Policy) ([]rules.Finding, []Note, []*inputs.Error) {
	var findings []rules.Finding
	var notes []Note
	var errs []*inputs.Error
	for _, objs := range [][]*engine.Object{s.Containers, s.Services} {
		for _, o := range objs {
			findings = append(findings, pol.Container(o.Fact)...)
			for _, n := range o.Fact.Notes {
				notes = append(notes, engineNote(s.Host, n))
			}
		}
	}
	if s.Project != nil {
		findings = append(findings, pol.Project(s.Project)...)
	}
	if s.HostFacts != nil {
		findings = append(findings, pol.Host(s.HostFacts)...)
	}
	for _, m := range s.Notes {
		notes = append(notes, Note{Path: s.Host, Message: m})
	}
	for _, m := range s.Errors {
		errs = append(errs, &inputs.Error{Path: s.Host, Message: m})
	}
	return findings, notes, errs
}

func engineNote(host string, n facts.Note) Note {
	msg := n.Message
	if n.At.Object != "" {
		msg = n.At.Object + ": " + msg
	}
	return Note{Path: host, Message: msg}
}

// Engine reads one engine and judges it as Run does, for a caller that
// audits the same engine again and again with one policy (the agent). It
// returns the snapshot beside the result, and an error, rather than an
// input error in the result, when the engine could not be read at all, so
// the caller can tell an outage from a host with problems.
func Engine(ctx context.Context, ep engine.Endpoint, lo engine.Options, pol *policy.Policy) (*engine.Snapshot, *Result, error) {
	snap, err := engine.Load(ctx, ep, lo)
	if err != nil {
		return nil, nil, err
	}
	findings, notes, errs := judgeSnapshot(snap, pol)
	policy.Sort(findings)
	res := &Result{Inputs: 1, ByKind: map[inputs.Kind]int{KindEngine: 1}, Findings: findings, Notes: dedupNotes(notes), Errors: errs}
	return snap, res, nil
}
