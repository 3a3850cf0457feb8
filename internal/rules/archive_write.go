package rules

// archive-write: write into a container's filesystem; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG364",
		Slug:        "archive-write",
		Control:     "daemon-exposure",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Write into a container's filesystem",
		Rationale:   "docker cp into a container follows symlinks the container controls; CVE-2026-41567 made that a write on the host.",
		Remediation: "Set `enforce.allowArchiveWrites: true` on patched daemons that need docker cp into containers.",
		Request:     true,
	})
}
