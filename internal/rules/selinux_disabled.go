package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// selinux-disabled: the container turns SELinux labeling off
// (`label=disable`, `label:disable`, or the old bare `disable`).
func init() {
	register(&Rule{
		ID:          "DG122",
		Slug:        "selinux-disabled",
		Control:     "selinux",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "SELinux separation turned off",
		Rationale:   "On SELinux hosts each container gets its own label so that, even after an escape, it cannot touch other containers' or the host's files; label=disable removes that.",
		Remediation: "Remove `label=disable`; relabel volumes with `:z`/`:Z` instead of disabling labels.",
		References:  []string{"CIS Docker Benchmark 5.3"},
		Container: func(c *facts.Container, r *Reporter) {
			if v := c.SecurityOpt.SELinuxDisabled; v.IsSet() && v.V {
				r.Report(c.Subject, v.At, "turns SELinux labeling off (label=disable)")
			}
		},
	})
}
