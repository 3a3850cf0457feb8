package rules

// plugin-change: plugin install, upgrade or configuration; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG362",
		Slug:        "plugin-change",
		Control:     "daemon-exposure",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Plugin install, upgrade or configuration",
		Rationale:   "A plugin runs with the privileges it is granted, often all of them, outside any container rule.",
		Remediation: "Manage plugins by hand, or set `enforce.allowPlugins: true`; the plugin's privileges are then judged.",
		Doc:         "Requests that would disable, remove or reconfigure dockguard itself are always denied.",
		Request:     true,
	})
}
