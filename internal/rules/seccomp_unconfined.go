package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// seccomp-unconfined: the container runs without a seccomp profile
// (`seccomp=unconfined`, either spelling), so every system call, including
// the ones most kernel exploits need, is open to it.
func init() {
	register(&Rule{
		ID:          "DG120",
		Slug:        "seccomp-unconfined",
		Control:     "seccomp",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "Seccomp turned off",
		Rationale:   "Docker's default seccomp profile blocks about 50 system calls (keyctl, unshare, bpf, userfaultfd, …) used by kernel exploits; all containers share the host kernel.",
		Remediation: "Remove `seccomp=unconfined`; if a call is missing, start from Docker's default profile and add just that call: `--security-opt seccomp=./profile.json`.",
		References:  []string{"CIS Docker Benchmark 5.22"},
		Container: func(c *facts.Container, r *Reporter) {
			if v := c.SecurityOpt.SeccompProfile; v.IsSet() && v.V == "unconfined" {
				r.Report(c.Subject, v.At, "runs without a seccomp profile (seccomp=unconfined)")
			}
		},
	})
}
