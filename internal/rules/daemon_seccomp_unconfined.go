package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-seccomp-unconfined: the daemon's default seccomp profile is
// "unconfined" (`"seccomp-profile": "unconfined"`, `--seccomp-profile
// unconfined`), so every container that does not name a profile runs with
// every system call open.
func init() {
	register(&Rule{
		ID:          "DG123",
		Slug:        "daemon-seccomp-unconfined",
		Control:     "seccomp",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "Daemon turns seccomp off for every container",
		Rationale:   "Docker's default seccomp profile blocks the system calls most kernel exploits need (keyctl, unshare, bpf, userfaultfd, …); a daemon-wide unconfined profile removes it from every container at once.",
		Remediation: "Remove `seccomp-profile` from daemon.json (or the `--seccomp-profile` flag) to use Docker's default, or point it at a profile that extends the default; restart the daemon.",
		References:  []string{"CIS Docker Benchmark 2.17"},
		Host: func(h *facts.Host, r *Reporter) {
			if v := h.SeccompProfile; v.IsSet() && v.V == "unconfined" {
				r.Report(h.Subject, hostAt(h, v), "the daemon's default seccomp profile is unconfined: containers run with every system call allowed")
			}
		},
	})
}
