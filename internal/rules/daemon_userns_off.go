package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-userns-off: the daemon runs as root without user-namespace
// remapping, so root in every container is root on the host, kept in only
// by capabilities, seccomp and the MAC profile. Low on its own (most
// daemons run this way); medium when the daemon also applies neither
// AppArmor nor SELinux. Rootless daemons are remapped by construction.
func init() {
	register(&Rule{
		ID:          "DG106",
		Slug:        "daemon-userns-off",
		Control:     "userns-remap",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "Daemon without user-namespace remapping",
		Rationale:   "With userns-remap (or a rootless daemon), UID 0 in a container is an unprivileged UID on the host, so a container escape lands as nobody; without it, an escape is root.",
		Remediation: "Set `\"userns-remap\": \"default\"` in daemon.json (or `--userns-remap=default`) and restart the daemon, or run Docker rootless; containers that need host IDs opt out with `--userns host`.",
		References:  []string{"CIS Docker Benchmark 2.9"},
		Host: func(h *facts.Host, r *Reporter) {
			u := h.UsernsRemap
			if !decided(u) || u.V != "" || h.Rootless.V || h.Rootless.IsUnknown() {
				return
			}
			at := hostAt(h, u)
			noMAC := h.AppArmorEnabled.IsSet() && !h.AppArmorEnabled.V && h.SELinuxEnabled.IsSet() && !h.SELinuxEnabled.V
			if noMAC {
				r.Report(h.Subject, at, "the daemon runs as root without userns-remap and applies neither AppArmor nor SELinux: root in a container is root on the host behind capabilities and seccomp alone")
				return
			}
			r.ReportSeverity(Low, h.Subject, at, "the daemon runs as root without userns-remap: root in a container is root on the host")
		},
	})
}
