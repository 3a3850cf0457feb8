package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// exposed-beside-internal: a service that publishes ports on all interfaces
// shares a network with a service that publishes nothing (a database, a
// cache), and the network lets containers talk freely (inter-container
// communication is on, as by default).
func init() {
	register(&Rule{
		ID:          "DG420",
		Slug:        "exposed-beside-internal",
		Control:     "icc",
		Threat:      ThreatFSNetwork,
		Severity:    Low,
		Title:       "Internet-facing service shares a network with an internal one",
		Rationale:   "If the public service is compromised it reaches every port of the internal services on its network directly, with no firewall between them.",
		Remediation: "Put internal services on their own network (`internal: true`) reached only by the tier that needs them, or set `com.docker.network.bridge.enable_icc: \"false\"` and publish only what is needed.",
		References:  []string{"CIS Docker Benchmark 2.2"},
		Doc:         "Low: it is the usual web-plus-database layout; the finding is the prompt to split front and back networks. Networks with enable_icc=false are not reported.",
		Project: func(p *facts.Project, r *Reporter) {
			groups, names := byNetwork(p)
			for _, n := range names {
				if iccOff(p, n) {
					continue
				}
				var facing, internal []*facts.Container
				for _, c := range groups[n] {
					if internetFacing(c) {
						facing = append(facing, c)
					} else if len(c.Published) == 0 {
						internal = append(internal, c)
					}
				}
				if len(facing) == 0 {
					continue
				}
				for _, in := range internal {
					r.Report(in.Subject, in.Origin, "publishes nothing but shares network %s with %s, which is published on all interfaces", n, facing[0].Subject.Name)
				}
			}
		},
	})
}
