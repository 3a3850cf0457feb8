package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// expose-ssh: the image exposes port 22, or a container publishes it.
func init() {
	register(&Rule{
		ID:          "DG401",
		Slug:        "expose-ssh",
		Control:     "published-ports",
		Threat:      ThreatFSNetwork,
		Severity:    Medium,
		Title:       "SSH port exposed",
		Rationale:   "An SSH daemon in a container adds credentials to steal and a network service to attack; operators get a shell with `docker exec` instead.",
		Remediation: "Remove `EXPOSE 22` and the SSH server; use `docker exec` (or `kubectl exec`) for interactive access.",
		References:  []string{"CIS Docker Benchmark 5.7"},
		Doc:         "An SSH server in a container is a second way in, with its own keys and passwords to leak; `docker exec` already gives shell access to those allowed to have it. Ranges that include 22 count.",
		Image: func(im *facts.Image, r *Reporter) {
			if im.Config == nil {
				return
			}
			for _, p := range im.Config.ExposedPorts {
				if p.Proto == "tcp" && p.Port <= 22 && p.EndPort >= 22 {
					r.Report(im.Subject, p.At, "the image config exposes port 22 (SSH)")
				}
			}
		},
		Build: func(b *facts.Build, r *Reporter) {
			c := b.Container
			if c == nil {
				return
			}
			for _, p := range c.ExposedPorts {
				if p.Port <= 22 && p.EndPort >= 22 && p.Proto == "tcp" {
					r.Report(c.Subject, p.At, "EXPOSE includes port 22 (SSH)")
				}
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			for _, p := range c.Published {
				if p.Proto == "tcp" && p.ContainerPort <= 22 && p.EndPort >= 22 {
					r.Report(c.Subject, p.At, "publishes port 22 (SSH)")
				}
			}
		},
	})
}
