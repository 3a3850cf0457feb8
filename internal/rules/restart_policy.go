package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// restart-policy: the container restarts forever: `always`,
// `unless-stopped`, or `on-failure` without a retry count.
func init() {
	register(&Rule{
		ID:          "DG205",
		Slug:        "restart-policy",
		Control:     "restart-policy",
		Threat:      ThreatDoS,
		Severity:    Low,
		Title:       "Container restarts without end",
		Rationale:   "A container that crashes in a loop and is restarted forever burns CPU and floods logs, and an exploit that crashes it gets unlimited retries.",
		Remediation: "Use `--restart on-failure:5` (compose: `restart: on-failure:5`, or `deploy.restart_policy.max_attempts`).",
		References:  []string{"CIS Docker Benchmark 5.15"},
		Doc:         "Not restarting at all (the default, `no`) is not reported.",
		Container: func(c *facts.Container, r *Reporter) {
			p := c.Restart
			if max := r.Config().MaxRestartRetries; p.IsSet() && p.V.Name == "on-failure" && max > 0 && p.V.MaxRetry > max {
				r.Report(c.Subject, p.At, "restart on-failure:%d retries more than the configured maximum %d", p.V.MaxRetry, max)
				return
			}
			if !p.IsSet() || !restartsForever(p.V) {
				return
			}
			if p.V.Name == "on-failure" {
				r.Report(c.Subject, p.At, "restart on-failure without a retry count restarts forever")
				return
			}
			r.Report(c.Subject, p.At, "restart %s restarts forever", p.V.Name)
		},
	})
}
