package rules

// exec-privileged: privileged docker exec; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG353",
		Slug:        "exec-privileged",
		Control:     "privileged",
		Threat:      ThreatBreakout,
		Severity:    Critical,
		Title:       "Privileged docker exec",
		Rationale:   "docker exec --privileged gives the process every capability and every device, whatever the container was created with.",
		Remediation: "Drop `--privileged` from `docker exec`.",
		Request:     true,
	})
}
