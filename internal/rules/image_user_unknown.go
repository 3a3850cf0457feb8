package rules

// image-user-unknown: image user that cannot be asked; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG357",
		Slug:        "image-user-unknown",
		Control:     "non-root-user",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Image user that cannot be asked",
		Rationale:   "When the daemon cannot say which user an image runs as, the container is judged as root.",
		Remediation: "Run dockguard with access to the daemon's API, or set `enforce.unknownImageUser: allow`.",
		Request:     true,
	})
}
