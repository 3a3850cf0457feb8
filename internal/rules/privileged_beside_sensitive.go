package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// privileged-beside-sensitive: a container that can reach the host
// (privileged, a host PID/network/IPC namespace, the runtime socket) runs in
// the same project as one labeled as holding sensitive data
// (dockguard.trust: sensitive, high, restricted, confidential or secret).
func init() {
	register(&Rule{
		ID:          "DG102",
		Slug:        "privileged-beside-sensitive",
		Control:     "host-segregation",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "Host-level container beside a sensitive one",
		Rationale:   "A container that owns the host owns every container on it, including the one holding the sensitive data.",
		Remediation: "Run the sensitive service on hosts without privileged or host-namespace containers, or remove those privileges.",
		Project: func(p *facts.Project, r *Reporter) {
			var sensitive *facts.Container
			for _, c := range p.Containers {
				if v, ok := label(c, trustKey(r)); ok && sensitiveTrust[v.V] {
					sensitive = c
					break
				}
			}
			if sensitive == nil {
				return
			}
			for _, c := range p.Containers {
				if c == sensitive {
					continue
				}
				if why := hostLevel(c); why != "" {
					r.Report(c.Subject, c.Origin, "%s and runs beside %s, labeled %s=%s", why, sensitive.Subject.Name, trustKey(r), sensitive.Labels[trustKey(r)].V)
				}
			}
		},
	})
}

// hostLevel says why a container can reach the host, or "".
func hostLevel(c *facts.Container) string {
	if c.Privileged.V {
		return "is privileged"
	}
	for _, ns := range []facts.Namespace{facts.NSPid, facts.NSNetwork, facts.NSIPC} {
		if v, ok := c.Namespaces[ns]; ok && v.IsSet() && isHostMode(v.V) {
			return "shares the host's " + string(ns) + " namespace"
		}
	}
	for _, m := range c.Mounts {
		if m.Type == "bind" && reachesSocket(m.Source) != "" {
			return "mounts the runtime socket"
		}
	}
	return ""
}
