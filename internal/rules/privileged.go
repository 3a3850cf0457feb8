package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// privileged: the container runs with --privileged / privileged: true.
func init() {
	register(&Rule{
		ID:          "DG330",
		Slug:        "privileged",
		Control:     "privileged",
		Threat:      ThreatBreakout,
		Severity:    Critical,
		Title:       "Privileged container",
		Rationale:   "--privileged gives the container all capabilities, all host devices and no seccomp/AppArmor confinement; escaping to the host takes one mount command.",
		Remediation: "Remove `--privileged` (`privileged: true`); add only the capability or device the workload needs (`--cap-add NET_BIND_SERVICE`, `--device /dev/fuse`).",
		References:  []string{"CIS Docker Benchmark 5.5"},
		Doc:         "A privileged container has every capability, every host device, no seccomp or AppArmor confinement and writable /sys: it is root on the host in all but name.",
		Container: func(c *facts.Container, r *Reporter) {
			if c.Privileged.IsSet() && c.Privileged.V {
				r.Report(c.Subject, c.Privileged.At, "runs privileged: all capabilities, all host devices, no confinement")
			}
		},
	})
}
