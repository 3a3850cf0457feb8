package rules

// build-network: build step in another network namespace; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG360",
		Slug:        "build-network",
		Control:     "host-namespaces",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Build step in another network namespace",
		Rationale:   "networkmode host (or another container's) puts the build's RUN steps in a namespace other than their own.",
		Remediation: "Build on the default network (no `--network`).",
		Request:     true,
	})
}
