package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// mixed-trust: containers of different trust levels or tenants are deployed
// together on one host: their dockguard.trust or dockguard.tenant labels
// differ within one project.
func init() {
	register(&Rule{
		ID:          "DG101",
		Slug:        "mixed-trust",
		Control:     "host-segregation",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "Different trust levels or tenants on one host",
		Rationale:   "All containers on a host share its kernel: a kernel exploit from the least trusted container reaches the most trusted one. Segregate them onto different hosts.",
		Remediation: "Deploy each trust level or tenant to its own hosts (separate compose projects on separate machines, node labels and placement constraints in Swarm/Kubernetes).",
		Project: func(p *facts.Project, r *Reporter) {
			for _, key := range []string{trustKey(r), tenantKey(r)} {
				var first *facts.Container
				var firstVal string
				for _, c := range p.Containers {
					v, ok := label(c, key)
					if !ok {
						continue
					}
					if first == nil {
						first, firstVal = c, v.V
						continue
					}
					if v.V != firstVal {
						r.Report(c.Subject, v.At, "%s=%s runs on the same host as %s (%s=%s)", key, v.V, first.Subject.Name, key, firstVal)
					}
				}
			}
		},
	})
}
