package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// cpu-limit: the container has no hard CPU cap. --cpu-shares (-c) alone is
// only a relative weight (default 1024) that matters under contention; a cap
// is --cpus, or --cpu-period with --cpu-quota.
func init() {
	register(&Rule{
		ID:          "DG203",
		Slug:        "cpu-limit",
		Control:     "cpu-limit",
		Threat:      ThreatDoS,
		Severity:    Low,
		Title:       "No CPU limit",
		Rationale:   "Without a cap a busy or compromised container can use every core of the host; shares only reorder who waits.",
		Remediation: "Cap it: `--cpus 1.5` (compose: `cpus: 1.5` or `deploy.resources.limits.cpus`).",
		References:  []string{"CIS Docker Benchmark 5.12"},
		Container: func(c *facts.Container, r *Reporter) {
			if c.NanoCPUs.IsUnknown() || c.CPUQuota.IsUnknown() {
				return
			}
			if (c.NanoCPUs.IsSet() && c.NanoCPUs.V > 0) || (c.CPUQuota.IsSet() && c.CPUQuota.V > 0) {
				return
			}
			if c.CPUShares.IsSet() {
				r.Report(c.Subject, c.CPUShares.At, "cpu-shares %d is a relative weight, not a limit", c.CPUShares.V)
				return
			}
			r.Report(c.Subject, missingAt(c), "no CPU limit")
		},
	})
}
