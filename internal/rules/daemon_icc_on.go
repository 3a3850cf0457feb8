package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-icc-on: inter-container communication is on for the default
// bridge (dockerd's `icc` is not false, or the bridge network's
// com.docker.network.bridge.enable_icc is true), so every container on
// docker0 reaches every port of every other one. Low: user-defined
// networks are not affected, and many hosts put nothing on the default
// bridge.
func init() {
	register(&Rule{
		ID:          "DG108",
		Slug:        "daemon-icc-on",
		Control:     "icc",
		Threat:      ThreatKernel,
		Severity:    Low,
		Title:       "Containers on the default bridge talk freely",
		Rationale:   "With icc on, a compromised container on the default bridge can reach every service of every other container there, bypassing published-port choices.",
		Remediation: "Set `\"icc\": false` in daemon.json (or `--icc=false`) and connect containers that must talk through user-defined networks or explicit links.",
		References:  []string{"CIS Docker Benchmark 2.2"},
		Host: func(h *facts.Host, r *Reporter) {
			v := h.ICC
			if !decided(v) || (v.IsSet() && !v.V) {
				return
			}
			if v.IsSet() {
				r.Report(h.Subject, hostAt(h, v), "inter-container communication is on for the default bridge (icc true)")
				return
			}
			r.Report(h.Subject, hostAt(h, v), "inter-container communication is on for the default bridge (%s)", v.Why)
		},
	})
}
