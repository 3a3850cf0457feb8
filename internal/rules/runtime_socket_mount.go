package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// runtime-socket-mount: the Docker socket (or containerd's, Podman's,
// CRI-O's) is mounted into the container, by its own path or through a
// folder that holds it (/var/run, /run, /run/containerd), whatever the
// volume syntax (-v, --mount, compose short or long syntax, a local-driver
// bind volume). Where the host could be looked at (enforcement, the live
// audit), the daemon's own socket is known by its inode: under any name,
// as a hard link, or through any folder (or bind of a folder) that holds
// it. A mount at /var/run/docker.sock or /run/docker.sock in the container
// is one whatever its source.
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
		Doc:         "Read-only does not help: a read-only bind of a socket still lets the container connect and ask the daemon for a privileged container. Enforcement knows the daemon's socket by its device and inode (its -H listeners, the socket dockguard talks to, containerd's), so another name, a hard link or a bind of its folder is the same socket; the live audit knows the engine's own socket by path. A mount at /var/run/docker.sock or /run/docker.sock in the container is reported whatever its source. A dockguard proxy's own socket is proxy-socket-mount's instead.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, m := range c.Mounts {
				if m.Host != nil && m.Host.Via != "" && m.Host.Socket == "engine" {
					continue // the mount as written says it already
				}
				if msg, _ := mountSocket(m); msg != "" {
					r.Report(c.Subject, m.At, "%s", msg)
				}
			}
		},
	})
}
