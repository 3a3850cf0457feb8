package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// memory-limit: the container has no memory limit (none given, or 0), so it
// can take all of the host's memory and push the kernel's OOM killer onto
// its neighbours.
func init() {
	register(&Rule{
		ID:          "DG201",
		Slug:        "memory-limit",
		Control:     "memory-limit",
		Threat:      ThreatDoS,
		Severity:    Low,
		Title:       "No memory limit",
		Rationale:   "Without a limit one container's leak or attack exhausts the host's memory, and the OOM killer may pick another container or the daemon.",
		Remediation: "Set a limit: `--memory 512m --memory-swap 512m` (compose: `mem_limit: 512m` and `memswap_limit: 512m`, or `deploy.resources.limits.memory`).",
		References:  []string{"CIS Docker Benchmark 5.11"},
		Container: func(c *facts.Container, r *Reporter) {
			switch {
			case c.Memory.State == facts.Unset:
				r.Report(c.Subject, missingAt(c), "no memory limit")
			case c.Memory.IsSet() && c.Memory.V <= 0:
				r.Report(c.Subject, c.Memory.At, "memory limit %d means unlimited", c.Memory.V)
			case c.Memory.IsSet() && r.Config().MaxMemory > 0 && c.Memory.V > r.Config().MaxMemory:
				r.Report(c.Subject, c.Memory.At, "memory limit %s is above the configured maximum %s", bytes(c.Memory.V), bytes(r.Config().MaxMemory))
			}
		},
	})
}
