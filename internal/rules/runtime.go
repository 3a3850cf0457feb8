package rules

// runtime: container runtime other than the default; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG346",
		Slug:        "runtime",
		Control:     "privileged",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Container runtime other than the default",
		Rationale:   "HostConfig.Runtime picks the OCI runtime; a runtime configured on the daemon may run containers without the isolation runc gives, and dockguard cannot judge what it does.",
		Remediation: "Leave `--runtime` unset; run workloads that need another runtime on hosts set aside for them.",
		Doc:         "Judged by enforcement on create requests. runc and io.containerd.runc.v2 are the default; every other name is denied.",
		Request:     true,
	})
}
