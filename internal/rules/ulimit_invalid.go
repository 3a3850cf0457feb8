package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// ulimit-invalid: a ulimit's soft limit is above its hard limit; Docker
// refuses to start such a container.
func init() {
	register(&Rule{
		ID:          "DG206",
		Slug:        "ulimit-invalid",
		Control:     "ulimits",
		Threat:      ThreatDoS,
		Severity:    Medium,
		Title:       "Ulimit soft limit above hard limit",
		Rationale:   "Docker rejects a ulimit whose soft limit exceeds its hard limit, so the container does not start (and the limit the author meant is not in force).",
		Remediation: "Write the soft limit first and keep it at or below the hard one: `--ulimit nofile=1024:2048`.",
		References:  []string{"CIS Docker Benchmark 5.19"},
		Container: func(c *facts.Container, r *Reporter) {
			for _, u := range c.Ulimits {
				if u.Hard >= 0 && u.Soft > u.Hard {
					r.Report(c.Subject, u.At, "ulimit %s: soft limit %d is above hard limit %d; Docker refuses this", u.Name, u.Soft, u.Hard)
				}
			}
		},
	})
}
