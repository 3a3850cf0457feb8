package rules

// field-denied: request field that no setting allows; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG358",
		Slug:        "field-denied",
		Control:     "privileged",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Request field that no setting allows",
		Rationale:   "Some Engine API fields reach the host in ways dockguard does not judge (Sysctls, MaskedPaths/ReadonlyPaths, Cgroup, CgroupParent, realtime CPU, OomKillDisable, negative OomScoreAdj, cluster volumes …).",
		Remediation: "Leave the field unset; the denial names it.",
		Doc:         "The fields are the denied-when-set entries of enforcement's field table, which classifies every field of every request type; the denial names the field and why it is denied.",
		Request:     true,
		Enforce:     EnforceFailClosed,
	})
}
