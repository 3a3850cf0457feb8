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
		Remediation: "Upgrade dockerd to 29.5.1 or later, where docker cp into containers is allowed; set `enforce.allowArchiveWrites: true` only on a daemon known to carry the fix under an older version.",
		Doc:         "Judged by enforcement on PUT /containers/{id}/archive against the daemon's version (asked once and kept): denied on a daemon in the range of CVE-2026-41567, or whose version cannot be asked or read; allowed on a fixed daemon.",
		Request:     true,
	})
}
