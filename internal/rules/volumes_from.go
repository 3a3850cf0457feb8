package rules

// volumes-from: mounts inherited from another container; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG345",
		Slug:        "volumes-from",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Mounts inherited from another container",
		Rationale:   "--volumes-from copies every mount of another container, including host binds this request does not name.",
		Remediation: "Inherit mounts only from a container that passes the profile, or mount the named volumes the workload needs (`--mount type=volume,src=data,dst=/data`) instead of `--volumes-from`.",
		Doc:         "Judged by enforcement on create requests (HostConfig.VolumesFrom): the source container is asked of the daemon and judged as a create of it would be; the request is denied, naming it and why, when it fails the profile in force or cannot be asked. The mounts inherited are also judged as the new container's own (read-only with `:ro`), so that what depends on its user applies to them.",
		Request:     true,
	})
}
