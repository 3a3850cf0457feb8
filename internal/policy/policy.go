// Package policy runs the rule catalogue over facts under the user's
// settings and yields findings.
package policy

import (
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
)

// Policy is the catalogue plus the user's settings.
type Policy struct {
	Config rules.Config
	Rules  []*rules.Rule
	// Profile, when set, marks each finding its enforcement would deny
	// (Finding.DeniedBy), under the Overrides (enforce.rules).
	Profile   rules.Profile
	Overrides map[string]string
}

// WithProfile returns a policy that also runs every rule the profile
// denies, even where the configuration turns it off for the audit (a
// rule named in disable, or one off by default), and marks the findings
// the profile would deny: what turning enforcement on would break.
func WithProfile(cfg rules.Config, prof rules.Profile, overrides map[string]string) *Policy {
	p := New(cfg)
	p.Profile, p.Overrides = prof, overrides
	for _, r := range rules.All() {
		if prof.Denies(r) && !r.Request && !r.Meta && !Enabled(r, cfg) {
			p.Rules = append(p.Rules, r)
		}
	}
	return p
}

// New returns a policy that runs every registered rule the configuration
// leaves on.
func New(cfg rules.Config) *Policy {
	p := &Policy{Config: cfg}
	for _, r := range rules.All() {
		// Meta rules are reported by the ignore handling and request rules
		// by enforcement: neither has a hook to run here.
		if r.Meta || r.Request || !Enabled(r, cfg) {
			continue
		}
		p.Rules = append(p.Rules, r)
	}
	return p
}

// Enabled reports whether a configuration runs a rule.
func Enabled(r *rules.Rule, cfg rules.Config) bool {
	for _, n := range cfg.Enable {
		if r.Matches(n) {
			return true
		}
	}
	for _, n := range cfg.Disable {
		if r.Matches(n) {
			return false
		}
	}
	if r.OffWhen != nil && r.OffWhen(&cfg) {
		return false
	}
	return !r.Off
}

// SeverityFor returns the configured severity of a rule, if any; a rule
// ID or slug wins over its control.
func SeverityFor(r *rules.Rule, cfg rules.Config) (rules.Severity, bool) { return severityFor(r, cfg) }

func severityFor(r *rules.Rule, cfg rules.Config) (rules.Severity, bool) {
	var byControl rules.Severity
	for k, v := range cfg.Severity {
		if strings.EqualFold(k, r.ID) || k == r.Slug {
			return v, true
		}
		if k == string(r.Control) {
			byControl = v
		}
	}
	return byControl, byControl != ""
}

// Build judges how an image is built. Rules that read RUN bodies as POSIX
// shell are skipped for Windows images.
func (p *Policy) Build(b *facts.Build) []rules.Finding {
	return p.run(func(r *rules.Rule, rep *rules.Reporter) {
		if r.Build != nil && !(r.Shell && b.Windows) {
			r.Build(b, rep)
		}
	})
}

// Container judges a container as it will run.
func (p *Policy) Container(c *facts.Container) []rules.Finding {
	fs := p.run(func(r *rules.Rule, rep *rules.Reporter) {
		if r.Container != nil {
			r.Container(c, rep)
		}
	})
	p.mark(fs)
	return fs
}

// mark sets DeniedBy on the findings the profile would deny. Only
// containers (and their projects) are marked: enforcement judges what is
// created through the API, not how an image was built or the host.
func (p *Policy) mark(fs []rules.Finding) {
	if p.Profile.IsZero() {
		return
	}
	for i := range fs {
		if deny, _ := rules.Verdict(p.Profile, p.Overrides, fs[i].Rule); deny {
			fs[i].DeniedBy = p.Profile.String()
		}
	}
}

// Project judges containers deployed together.
func (p *Policy) Project(pr *facts.Project) []rules.Finding {
	fs := p.run(func(r *rules.Rule, rep *rules.Reporter) {
		if r.Project != nil {
			r.Project(pr, rep)
		}
	})
	p.mark(fs)
	return fs
}

// Host judges a Docker host and its daemon.
func (p *Policy) Host(h *facts.Host) []rules.Finding {
	return p.run(func(r *rules.Rule, rep *rules.Reporter) {
		if r.Host != nil {
			r.Host(h, rep)
		}
	})
}

// Image judges an image: its content through the rules' Image hooks, and
// its config through the container rules that apply to a config alone.
func (p *Policy) Image(im *facts.Image) []rules.Finding {
	return p.run(func(r *rules.Rule, rep *rules.Reporter) {
		if r.Image != nil {
			r.Image(im, rep)
		}
		if r.Container != nil && im.Config != nil && r.ImageConfig {
			r.Container(im.Config, rep)
		}
	})
}

// Script judges shell code that runs outside a build (scripts, Makefile
// recipes, CI steps, --run lines).
func (p *Policy) Script(sc *facts.Script) []rules.Finding {
	return p.run(func(r *rules.Rule, rep *rules.Reporter) {
		if r.Script != nil {
			r.Script(sc, rep)
		}
	})
}

// run gives every rule its own reporter and collects the findings in order.
func (p *Policy) run(judge func(*rules.Rule, *rules.Reporter)) []rules.Finding {
	var out []rules.Finding
	for _, r := range p.Rules {
		rep := rules.NewReporter(r, &p.Config)
		judge(r, rep)
		fs := rep.Findings()
		if sev, ok := severityFor(r, p.Config); ok {
			for i := range fs {
				fs[i].Severity = sev
			}
		}
		out = append(out, fs...)
	}
	Sort(out)
	return out
}

// Adjust applies the configuration to findings made outside the rules'
// own run (the ignore directives' findings): drops disabled rules, applies
// severity overrides.
func Adjust(fs []rules.Finding, cfg rules.Config) []rules.Finding {
	var out []rules.Finding
	for _, f := range fs {
		if !Enabled(f.Rule, cfg) {
			continue
		}
		if sev, ok := severityFor(f.Rule, cfg); ok {
			f.Severity = sev
		}
		out = append(out, f)
	}
	return out
}

// Sort orders findings by place, then rule, so reports are stable.
func Sort(fs []rules.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].At, fs[j].At
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return fs[i].Rule.ID < fs[j].Rule.ID
	})
}
