package rules

// host-block-device: host block, memory or port device; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG354",
		Slug:        "host-block-device",
		Control:     "devices",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Host block, memory or port device",
		Rationale:   "A host disk, /dev/mem, /dev/kmem, /dev/port or a device cgroup rule that opens every device gives the container the host's data and memory.",
		Remediation: "Pass only the named character devices the workload needs (`--device /dev/fuse`), never a disk or a wildcard rule.",
		Doc:         "Judged by enforcement on create, update and service requests: Devices[].PathOnHost and DeviceCgroupRules.",
		Request:     true,
	})
}
