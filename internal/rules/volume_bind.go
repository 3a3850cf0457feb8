package rules

// volume-bind: local volume that mounts a host path or filesystem; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG347",
		Slug:        "volume-bind",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Local volume that mounts a host path or filesystem",
		Rationale:   "A local-driver volume with o=bind, a filesystem type other than tmpfs or a network filesystem, or a host path as its device mounts the host into the container, past the bind-mount rules.",
		Remediation: "Use a bind mount the policy can judge (`-v /srv/app:/data:ro`), or a plain named volume that holds only its own data.",
		Doc:         "Judged by enforcement on volume create bodies, on HostConfig.Mounts and service mounts with DriverConfig options, and on the named volumes a create mounts (asked of the daemon, so a volume made before enforcement is judged as it is held).",
		Request:     true,
	})
}
