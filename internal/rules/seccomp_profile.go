package rules

// seccomp-profile: custom seccomp profile; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG355",
		Slug:        "seccomp-profile",
		Control:     "seccomp",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Custom seccomp profile",
		Rationale:   "The CLI sends a profile file's JSON inline; one that allows every call turns seccomp off, and dockguard does not judge profiles yet.",
		Remediation: "Use Docker's default seccomp profile (no `seccomp=` security option).",
		Doc:         "seccomp=unconfined is judged by seccomp-unconfined.",
		Request:     true,
	})
}
