package rules

// build-parameter: build parameter that reaches the host; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG359",
		Slug:        "build-parameter",
		Control:     "privileged",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Build parameter that reaches the host",
		Rationale:   "Some build parameters change what a build step can reach (extra hosts, cgroup parent, security options, …).",
		Remediation: "Build without the parameter.",
		Doc:         "Unknown build parameters are denied as unjudged requests.",
		Request:     true,
	})
}
