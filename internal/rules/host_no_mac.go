package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// host-no-mac: containers get no mandatory access control at all: the host
// has neither AppArmor nor SELinux enabled (read from /sys on a local
// host), or, for a remote engine, the daemon reports neither among its
// security options. An SELinux host whose daemon leaves SELinux off is
// daemon-selinux-off instead.
func init() {
	register(&Rule{
		ID:          "DG124",
		Slug:        "host-no-mac",
		Control:     "apparmor",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "Host without AppArmor or SELinux",
		Rationale:   "Docker's AppArmor profile and SELinux labels stop a root process in a container from writing to /proc and /sys kernel interfaces, mounting, and reaching host files; without either, seccomp and capabilities are the only barriers.",
		Remediation: "Enable AppArmor (Debian, Ubuntu: boot with `apparmor=1 security=apparmor` and install apparmor) or SELinux in enforcing mode with `\"selinux-enabled\": true` in daemon.json, then restart the daemon.",
		References:  []string{"CIS Docker Benchmark 5.2", "CIS Docker Benchmark 5.3"},
		Host: func(h *facts.Host, r *Reporter) {
			aa, se := h.HostAppArmor, h.SELinuxMode
			if aa.IsSet() && se.IsSet() {
				if !aa.V && se.V == "disabled" {
					r.Report(h.Subject, hostAt(h, aa), "the host has neither AppArmor nor SELinux enabled: containers run without mandatory access control")
				}
				return
			}
			if aa.IsSet() || se.IsSet() {
				return // one of them is known; the other decides
			}
			da, ds := h.AppArmorEnabled, h.SELinuxEnabled
			if da.IsSet() && !da.V && ds.IsSet() && !ds.V {
				r.Report(h.Subject, hostAt(h, da), "the daemon applies neither AppArmor nor SELinux (none in its security options): containers run without mandatory access control")
			}
		},
	})
}
