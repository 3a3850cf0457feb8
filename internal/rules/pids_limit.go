package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// pids-limit: the container has no PIDs limit (none, 0 or -1), so a fork
// bomb exhausts the host's process IDs. Podman applies a default limit
// (2048); Docker does not.
func init() {
	register(&Rule{
		ID:          "DG204",
		Slug:        "pids-limit",
		Control:     "pids-limit",
		Threat:      ThreatDoS,
		Severity:    Low,
		Title:       "No PIDs limit",
		Rationale:   "Process IDs are a host-wide resource: one container's fork bomb stops every other container and the host from starting processes.",
		Remediation: "Set `--pids-limit 256` (compose: `pids_limit: 256` or `deploy.resources.limits.pids`).",
		References:  []string{"CIS Docker Benchmark 5.29"},
		Container: func(c *facts.Container, r *Reporter) {
			switch {
			case c.PidsLimit.State == facts.Unset:
				r.Report(c.Subject, missingAt(c), "no PIDs limit")
			case c.PidsLimit.IsSet() && c.PidsLimit.V <= 0:
				r.Report(c.Subject, c.PidsLimit.At, "pids limit %d means unlimited", c.PidsLimit.V)
			case c.PidsLimit.IsSet() && r.Config().MaxPids > 0 && c.PidsLimit.V > r.Config().MaxPids:
				r.Report(c.Subject, c.PidsLimit.At, "pids limit %d is above the configured maximum %d", c.PidsLimit.V, r.Config().MaxPids)
			}
		},
	})
}
