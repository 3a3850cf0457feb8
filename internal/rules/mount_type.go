package rules

// mount-type: mount of a type dockguard does not judge; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG350",
		Slug:        "mount-type",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Mount of a type dockguard does not judge",
		Rationale:   "Mount types other than bind, volume and tmpfs (npipe, cluster volumes) reach what the mount rules do not see.",
		Remediation: "Use a bind, volume or tmpfs mount.",
		Request:     true,
	})
}
