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
		Rationale:   "BuildKit's gRPC traffic (/session, /grpc) is never shown to authorization plugins: what a build asks for there is bounded only by the daemon's builder entitlements.",
		Remediation: "Leave `enforce.allowBuilds` at its default (true) where builds are wanted, and keep dockerd's builder entitlements off (`\"builder\": {\"Entitlements\": {\"network-host\": false}}`); set it to false on hosts that must not build.",
		Doc:         "Reported by enforcement only under `enforce.allowBuilds: false`, which denies /session, /grpc and /build?version=2. By default BuildKit builds pass and are judged on what the request shows (build-network, build-parameter).",
		Request:     true,
	})
}
