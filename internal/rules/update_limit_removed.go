package rules

// update-limit-removed: update that removes or raises a limit; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG209",
		Slug:        "update-limit-removed",
		Control:     "memory-limit",
		Threat:      ThreatDoS,
		Severity:    High,
		Title:       "Update that removes or raises a limit",
		Rationale:   "An update can take away the memory, swap, CPU or PIDs limit a container was created with, or raise it past the configured maximum.",
		Remediation: "Keep the container's limits; recreate it to change them under review.",
		Doc:         "Judged by enforcement on container update bodies against maxMemory and maxPids.",
		Request:     true,
	})
}
