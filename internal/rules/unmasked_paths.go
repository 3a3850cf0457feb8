package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// unmasked-paths: `--security-opt systempaths=unconfined` unmasks the /proc
// and /sys paths Docker hides (kcore, sysrq-trigger, timer_list, …) and
// makes them writable.
func init() {
	register(&Rule{
		ID:          "DG343",
		Slug:        "unmasked-paths",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Masked /proc and /sys paths exposed",
		Rationale:   "Docker masks /proc/kcore, /proc/sysrq-trigger and similar paths because they read kernel memory or reboot the host; systempaths=unconfined hands them to the container.",
		Remediation: "Remove `systempaths=unconfined` from `--security-opt`.",
		Container: func(c *facts.Container, r *Reporter) {
			if v := c.SecurityOpt.Unmasked; v.IsSet() && v.V {
				r.Report(c.Subject, v.At, "systempaths=unconfined exposes the masked /proc and /sys paths")
			}
		},
	})
}
