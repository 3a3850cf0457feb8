package rules

// buildkit-session: buildKit build; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG361",
		Slug:        "buildkit-session",
		Control:     "daemon-exposure",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "BuildKit build",
		Rationale:   "BuildKit's gRPC traffic (/session, /grpc, version=2 builds) is never shown to authorization plugins, so what the build mounts and runs is not judged.",
		Remediation: "Set `enforce.allowBuilds: true` where builds are wanted, on hosts that build only trusted code.",
		Request:     true,
	})
}
