package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// apparmor-unconfined: the container runs without an AppArmor profile
// (`apparmor=unconfined`, either spelling).
func init() {
	register(&Rule{
		ID:          "DG121",
		Slug:        "apparmor-unconfined",
		Control:     "apparmor",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "AppArmor turned off",
		Rationale:   "Docker's default AppArmor profile stops mounts and writes to /proc and /sys kernel interfaces; without it, a root process in the container meets one barrier less on the way to the host.",
		Remediation: "Remove `apparmor=unconfined`, or load a profile written for the workload and use `--security-opt apparmor=<profile>`.",
		References:  []string{"CIS Docker Benchmark 5.2"},
		Container: func(c *facts.Container, r *Reporter) {
			if v := c.SecurityOpt.AppArmorProfile; v.IsSet() && v.V == "unconfined" {
				r.Report(c.Subject, v.At, "runs without an AppArmor profile (apparmor=unconfined)")
			}
		},
	})
}
