package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-no-new-privileges-off: the daemon does not set no-new-privileges
// for new containers by default (`"no-new-privileges": true`), so every
// container whose own settings say nothing lets setuid binaries raise
// privileges. A container can still opt out with no-new-privileges=false.
func init() {
	register(&Rule{
		ID:          "DG107",
		Slug:        "daemon-no-new-privileges-off",
		Control:     "no-new-privileges",
		Threat:      ThreatKernel,
		Severity:    Low,
		Title:       "Daemon does not default to no-new-privileges",
		Rationale:   "no-new-privileges stops setuid and file-capability binaries from raising a process's privileges; as a daemon default it protects every container that does not set it itself.",
		Remediation: "Set `\"no-new-privileges\": true` in daemon.json (or `--no-new-privileges`) and restart the daemon.",
		References:  []string{"CIS Docker Benchmark 2.14"},
		Host: func(h *facts.Host, r *Reporter) {
			v := h.NoNewPrivileges
			if !decided(v) || v.V {
				return
			}
			if v.IsSet() {
				r.Report(h.Subject, hostAt(h, v), "the daemon's no-new-privileges default is off: containers may gain privileges through setuid binaries")
				return
			}
			r.Report(h.Subject, hostAt(h, v), "the daemon does not set no-new-privileges for new containers (%s)", v.Why)
		},
	})
}
