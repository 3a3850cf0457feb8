package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// proxy-socket-mount: the socket of the dockguard proxy that judges the
// request is mounted into the container. Every request through it is
// judged by the same policy, which is what the runtime socket's
// remediation advises, so it is reported low and no profile denies it.
// Only the proxy knows its own sockets (by inode), so only it reports this.
func init() {
	register(&Rule{
		ID:          "DG374",
		Slug:        "proxy-socket-mount",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "Engine API through dockguard's proxy mounted",
		Rationale:   "The container can send Engine API requests, each judged by dockguard's proxy: it can do what the policy allows, which is more than most containers need.",
		Remediation: "Mount the proxy's socket only into the tools that need the API, and prefer a read-only proxy (`--api read-only`) for tools that only read.",
		Doc:         "Reported by the proxy for its own listeners (known by device and inode, under any name or through the folder that holds them). Folders that also hold the daemon's own socket are runtime-socket-mount's.",
		Surfaces:    []Surface{SurfaceAPI},
		Container: func(c *facts.Container, r *Reporter) {
			for _, m := range c.Mounts {
				if m.Host == nil || m.Host.Socket != "proxy" || m.Host.Via != "" {
					continue
				}
				if m.Host.Holds {
					r.Report(c.Subject, m.At, "mounts %s at %s, which holds dockguard's proxy socket %s (the API through dockguard's proxy)", m.Source, m.Target, m.Host.SocketPath)
					continue
				}
				r.Report(c.Subject, m.At, "mounts %s at %s: the API through dockguard's proxy", m.Source, m.Target)
			}
		},
	})
}
