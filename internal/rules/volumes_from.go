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
		Rationale:   "--volumes-from copies every mount of another container, including host binds dockguard never saw in this request.",
		Remediation: "Mount the named volumes the workload needs (`--mount type=volume,src=data,dst=/data`) instead of `--volumes-from`.",
		Doc:         "Judged by enforcement on create requests (HostConfig.VolumesFrom). The source container's mounts are not looked up, so the request is denied whatever they are.",
		Request:     true,
	})
}
