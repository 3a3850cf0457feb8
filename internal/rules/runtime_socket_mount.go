package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// runtime-socket-mount: the Docker socket (or containerd's, Podman's,
// CRI-O's) is mounted into the container, by its own path or through a
// folder that holds it (/var/run, /run, /run/containerd), whatever the
// volume syntax (-v, --mount, compose short or long syntax, a local-driver
// bind volume).
func init() {
	register(&Rule{
		ID:          "DG340",
		Slug:        "runtime-socket-mount",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    Critical,
		Title:       "Container runtime socket mounted",
		Rationale:   "Whoever can talk to the Docker socket can start a privileged container with the host's / mounted: the container owns the host. `:ro` does not stop connecting to a socket.",
		Remediation: "Do not mount the socket; if a tool needs the API, put an authorizing proxy in front of it (dockguard's proxy, or a socket proxy limited to read-only endpoints) and mount that instead.",
		References:  []string{"CIS Docker Benchmark 5.32"},
		Doc:         "Read-only does not help: a read-only bind of a socket still lets the container connect and ask the daemon for a privileged container.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, m := range c.Mounts {
				if m.Type != "bind" {
					continue
				}
				if s := reachesSocket(m.Source); s != "" {
					if s == m.Source {
						r.Report(c.Subject, m.At, "mounts the runtime socket %s at %s", s, m.Target)
					} else {
						r.Report(c.Subject, m.At, "mounts %s at %s, which holds the runtime socket %s", m.Source, m.Target, s)
					}
				}
			}
		},
	})
}
