package rules

// update-devices: update that adds devices; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG365",
		Slug:        "update-devices",
		Control:     "devices",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Update that adds devices",
		Rationale:   "An update that adds devices or device rules gives a running container host devices its create never asked for.",
		Remediation: "Recreate the container, under review, to change its devices.",
		Request:     true,
	})
}
