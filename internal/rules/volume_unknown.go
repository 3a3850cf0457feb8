package rules

// volume-unknown: named volume that cannot be judged; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG356",
		Slug:        "volume-unknown",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Named volume that cannot be judged",
		Rationale:   "A named volume's options decide what it mounts; when the daemon cannot be asked, its options are not judged.",
		Remediation: "Run dockguard with access to the daemon's API.",
		Request:     true,
	})
}
