package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// userns-host: the container opts out of the daemon's user-namespace
// remapping (`--userns host`, `userns_mode: host`), so root in it is root on
// the host again.
func init() {
	register(&Rule{
		ID:          "DG339",
		Slug:        "userns-host",
		Control:     "userns-remap",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "User namespace remapping turned off",
		Rationale:   "With userns-remap, root in a container is an unprivileged user on the host; `--userns host` undoes that for this container.",
		Remediation: "Remove `--userns host` / `userns_mode: host`.",
		References:  []string{"CIS Docker Benchmark 5.31"},
		Container: func(c *facts.Container, r *Reporter) {
			if v, ok := c.Namespaces[facts.NSUser]; ok && v.IsSet() && v.V == "host" {
				r.Report(c.Subject, v.At, "opts out of user-namespace remapping (userns host)")
			}
		},
	})
}
