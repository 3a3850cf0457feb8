package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// host-device: host devices are passed in (`--device`, compose `devices:`)
// or allowed by a device cgroup rule (`--device-cgroup-rule`).
func init() {
	register(&Rule{
		ID:          "DG344",
		Slug:        "host-device",
		Control:     "devices",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Host device passed into the container",
		Rationale:   "A host device gives the container direct access to hardware or kernel interfaces (disks, /dev/mem, GPUs, KVM), outside the isolation namespaces provide.",
		Remediation: "Pass only the device the workload needs, with the least permissions (`--device /dev/ttyUSB0:/dev/ttyUSB0:r`); avoid device cgroup rules with wildcards.",
		References:  []string{"CIS Docker Benchmark 5.18"},
		Container: func(c *facts.Container, r *Reporter) {
			for _, d := range c.Devices {
				r.Report(c.Subject, d.At, "passes the host device %s into the container", d.Host)
			}
			for _, rule := range c.DeviceCgroupRules {
				r.Report(c.Subject, rule.At, "device cgroup rule %q allows access to host devices", rule.V)
			}
		},
	})
}
