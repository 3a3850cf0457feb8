package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-selinux-off: SELinux is enforcing on the host but the daemon runs
// without SELinux support (`selinux-enabled` is off, dockerd's default), so
// containers get no SELinux labels and the policy does not separate them
// from the host or from each other.
func init() {
	register(&Rule{
		ID:          "DG125",
		Slug:        "daemon-selinux-off",
		Control:     "selinux",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "SELinux host with SELinux off in the daemon",
		Rationale:   "On an SELinux host, the daemon's selinux-enabled option gives each container its own label (container_t with a unique MCS category); off, containers run unconfined by the host's policy.",
		Remediation: "Set `\"selinux-enabled\": true` in daemon.json (or `--selinux-enabled`), install the container-selinux policy, and restart the daemon.",
		References:  []string{"CIS Docker Benchmark 5.3"},
		Host: func(h *facts.Host, r *Reporter) {
			mode, d := h.SELinuxMode, h.SELinuxEnabled
			if !mode.IsSet() || mode.V != "enforcing" || !d.IsSet() || d.V {
				return
			}
			r.Report(h.Subject, hostAt(h, d), "SELinux is enforcing on the host but the daemon runs with selinux-enabled off: containers get no SELinux labels")
		},
	})
}
