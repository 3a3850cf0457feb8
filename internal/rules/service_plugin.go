package rules

// service-plugin: swarm service that installs a plugin; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG363",
		Slug:        "service-plugin",
		Control:     "daemon-exposure",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Swarm service that installs a plugin",
		Rationale:   "A plugin service (TaskTemplate.PluginSpec) installs a plugin, with its privileges, on every node.",
		Remediation: "Install plugins by hand, reviewed.",
		Request:     true,
	})
}
