package rules

// volume-driver: volume plugin driver; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG348",
		Slug:        "volume-driver",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Volume plugin driver",
		Rationale:   "A volume plugin decides what it mounts, anywhere on the host; dockguard cannot judge it.",
		Remediation: "Use the local volume driver, or install and review volume plugins by hand.",
		Doc:         "Judged by enforcement on volume create bodies, mounts with a DriverConfig name, HostConfig.VolumeDriver and existing named volumes.",
		Request:     true,
	})
}
