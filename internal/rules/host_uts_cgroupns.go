package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// host-uts-cgroupns: the container shares the host's UTS (hostname) or
// cgroup namespace.
func init() {
	register(&Rule{
		ID:          "DG337",
		Slug:        "host-uts-cgroupns",
		Control:     "host-namespaces",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Host UTS or cgroup namespace shared",
		Rationale:   "Sharing the host's UTS namespace lets the container change the host's hostname; sharing its cgroup namespace exposes the host cgroup hierarchy used by cgroup release_agent escapes.",
		Remediation: "Remove `--uts host` / `uts: host` and `--cgroupns host` / `cgroup: host`.",
		References:  []string{"CIS Docker Benchmark 5.21"},
		Doc:         "The host UTS namespace lets root in the container rename the host; the host cgroup namespace shows the host's cgroup tree, a step of several cgroup-based escapes (CVE-2022-0492).",
		Container: func(c *facts.Container, r *Reporter) {
			for _, ns := range []facts.Namespace{facts.NSUTS, facts.NSCgroup} {
				if v, ok := c.Namespaces[ns]; ok && v.IsSet() && isHostMode(v.V) {
					r.Report(c.Subject, v.At, "shares the host's %s namespace (%s)", ns, v.V)
				}
			}
		},
	})
}
