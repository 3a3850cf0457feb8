package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// port-all-interfaces: a port is published on every host interface (no
// host IP, 0.0.0.0 or ::), not only where it is needed. `127.0.0.1:` or
// another specific address is not reported.
func init() {
	register(&Rule{
		ID:          "DG402",
		Slug:        "port-all-interfaces",
		Control:     "published-ports",
		Threat:      ThreatFSNetwork,
		Severity:    Low,
		Title:       "Port published on all interfaces",
		Rationale:   "A port published without a host IP listens on every interface, including public ones, and Docker's iptables rules bypass host firewalls such as ufw.",
		Remediation: "Bind to the interface that needs it: `-p 127.0.0.1:8080:80` (compose: `\"127.0.0.1:8080:80\"` or `host_ip:`).",
		References:  []string{"CIS Docker Benchmark 5.14"},
		Doc:         "Low: public services do this on purpose; the finding makes it a choice. Docker's published ports also bypass host firewalls such as ufw.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, p := range c.Published {
				if !allInterfaces(p.HostIP) {
					continue
				}
				host := "a random port"
				if p.HostPort > 0 {
					host = portRange(p.HostPort, p.HostPortEnd)
				}
				r.Report(c.Subject, p.At, "container port %s/%s is published on all interfaces as %s", portRange(p.ContainerPort, p.EndPort), p.Proto, host)
			}
		},
	})
}
