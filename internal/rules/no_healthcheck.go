package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// no-healthcheck: the image declares no HEALTHCHECK (or disables it).
func init() {
	register(&Rule{
		ID:          "DG901",
		Slug:        "no-healthcheck",
		Control:     "hygiene",
		Threat:      ThreatHygiene,
		Severity:    Info,
		Title:       "No HEALTHCHECK",
		Rationale:   "Without a health check a hung service looks healthy: Swarm keeps routing to it and restart policies never fire.",
		Remediation: "Add `HEALTHCHECK --interval=30s --timeout=3s CMD [\"/app\", \"healthcheck\"]` (a check the image can run without curl), or set one in compose/Kubernetes.",
		References:  []string{"CIS Docker Benchmark 4.6"},
		Doc:         "Hygiene: without a health check Docker and Swarm cannot tell a hung service from a working one. Never outranks a security finding.",
		Image: func(im *facts.Image, r *Reporter) {
			if c := im.Config; c != nil && c.Healthcheck.IsSet() && !c.Healthcheck.V {
				r.Report(im.Subject, c.Healthcheck.At, "the image config disables the health check (NONE)")
			} else if c != nil && !c.Healthcheck.IsSet() {
				r.Report(im.Subject, c.Healthcheck.At, "the image config declares no health check")
			}
		},
		Build: func(b *facts.Build, r *Reporter) {
			c := b.Container
			if c == nil {
				return
			}
			switch {
			case !c.Healthcheck.IsSet():
				r.Report(c.Subject, c.Origin, "the image declares no HEALTHCHECK")
			case !c.Healthcheck.V:
				r.Report(c.Subject, c.Healthcheck.At, "HEALTHCHECK NONE disables the health check")
			}
		},
	})
}
