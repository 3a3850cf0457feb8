package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// shared-network: services share a network on which inter-container
// communication is on. Info: nearly every multi-service project does this;
// exposed-beside-internal reports the case that matters.
func init() {
	register(&Rule{
		ID:          "DG421",
		Slug:        "shared-network",
		Control:     "icc",
		Threat:      ThreatFSNetwork,
		Severity:    Info,
		Title:       "Services share a network with unrestricted traffic",
		Rationale:   "Containers on one bridge network reach each other on every port unless icc is disabled for it.",
		Remediation: "Split networks by tier, or set `driver_opts: {com.docker.network.bridge.enable_icc: \"false\"}` where containers need not talk.",
		References:  []string{"CIS Docker Benchmark 2.2"},
		Project: func(p *facts.Project, r *Reporter) {
			groups, names := byNetwork(p)
			for _, n := range names {
				cs := groups[n]
				if len(cs) < 2 || iccOff(p, n) {
					continue
				}
				at := p.Origin
				if nw := p.Networks[n]; nw != nil && (nw.At.Line > 0 || nw.At.Engine != "") {
					at = nw.At
				}
				what := "services"
				if cs[0].Subject.Kind == facts.SubjectContainer {
					what = "containers"
				}
				r.Report(cs[0].Subject, at, "%d %s share network %s with inter-container communication on", len(cs), what, n)
			}
		},
	})
}
