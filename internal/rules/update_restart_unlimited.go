package rules

// update-restart-unlimited: update to a restart policy without end; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG210",
		Slug:        "update-restart-unlimited",
		Control:     "restart-policy",
		Threat:      ThreatDoS,
		Severity:    High,
		Title:       "Update to a restart policy without end",
		Rationale:   "always, unless-stopped or on-failure without a retry count keeps a crashing container restarting forever.",
		Remediation: "Use `on-failure` with a retry count (`--restart on-failure:5`).",
		Request:     true,
	})
}
