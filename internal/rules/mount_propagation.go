package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// mount-propagation: a bind mount uses shared propagation (shared,
// rshared), so mounts made inside the container appear on the host.
func init() {
	register(&Rule{
		ID:          "DG342",
		Slug:        "mount-propagation",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Shared mount propagation",
		Rationale:   "With shared propagation, a mount created in the container propagates back to the host's mount namespace, which a compromised container can use to hide or replace host paths.",
		Remediation: "Use the default private propagation (drop `:shared`/`:rshared`, `bind.propagation: shared`).",
		References:  []string{"CIS Docker Benchmark 5.20"},
		Container: func(c *facts.Container, r *Reporter) {
			for _, m := range c.Mounts {
				if m.Propagation == "shared" || m.Propagation == "rshared" {
					r.Report(c.Subject, m.At, "mounts %s with %s propagation", m.Target, m.Propagation)
				}
			}
		},
	})
}
