package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// ulimits-missing: the container sets no nofile or nproc ulimit, so it runs
// with the daemon's defaults (unlimited nproc unless daemon.json sets
// default-ulimits). Info: most containers rely on the daemon default.
// `--ulimit cpu=` is CPU seconds (RLIMIT_CPU), not a CPU share, and does not
// count as either.
func init() {
	register(&Rule{
		ID:          "DG207",
		Slug:        "ulimits-missing",
		Control:     "ulimits",
		Threat:      ThreatDoS,
		Severity:    Info,
		Title:       "No nofile/nproc ulimits",
		Rationale:   "nofile and nproc limits stop one container from exhausting the host's file descriptors or process table when the daemon sets no default-ulimits.",
		Remediation: "Set `--ulimit nofile=1024:2048 --ulimit nproc=512` (compose: `ulimits:`), or `default-ulimits` in daemon.json.",
		References:  []string{"CIS Docker Benchmark 5.19"},
		Container: func(c *facts.Container, r *Reporter) {
			if c.RuntimeBy != "" {
				return // decided elsewhere: unknown, not missing
			}
			for _, u := range c.Ulimits {
				if u.Name == "nofile" || u.Name == "nproc" {
					return
				}
			}
			r.Report(c.Subject, missingAt(c), "no nofile or nproc ulimit: the daemon's defaults apply")
		},
	})
}
