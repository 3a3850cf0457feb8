package rules

import (
	"path"

	"github.com/dockguard/dockguard/internal/facts"
)

// host-path-mount: a sensitive host path is bind-mounted: / (critical
// read-write), /etc, /proc, /sys, /sys/fs/cgroup, /boot, /dev, /root,
// /var/lib/docker, /lib/modules, /usr, host key and account files, the
// D-Bus socket folder, … or a folder that holds one (high read-write,
// medium read-only). Where the host could be looked at (enforcement), the
// daemon's data-root and exec-root, every folder above them, and any
// socket are sensitive too. Read-only binds of the time zone and the CA
// certificates are not reported. allow.bindRoots does not narrow this
// set: it widens nothing here.
func init() {
	register(&Rule{
		ID:          "DG341",
		Slug:        "host-path-mount",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    Critical,
		Title:       "Sensitive host path mounted",
		Rationale:   "A writable mount of the host's /, /etc, /root or /var/lib/docker lets the container plant cron jobs, keys or binaries that the host runs; /proc, /sys and /dev expose kernel interfaces; even read-only they leak host secrets.",
		Remediation: "Mount only the application's own data folder, read-only where possible (`-v /srv/app/config:/config:ro`), or use a named volume.",
		References:  []string{"CIS Docker Benchmark 5.6"},
		Doc:         "Read-only, the files containers commonly read are not sensitive: /etc/localtime, /etc/timezone and the CA certificates (/etc/ssl/certs, /etc/pki/ca-trust, /usr/share/ca-certificates, /etc/ca-certificates); writable, they are (a container would change the host's trusted CAs). A folder that holds a sensitive path is sensitive (/etc/ssl holds the private keys). Enforcement also resolves each bind source in the daemon's mount namespace and judges where it leads, and counts the daemon's data-root and exec-root (and the folders above them) and any socket as sensitive. `:ro` does not make a sensitive path safe: /etc/shadow read-only leaks password hashes, and a read-only /sys/fs/cgroup bind is not read-only below it on dockerd 20.10 (`ro` is not recursive), which is a known escape.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, m := range c.Mounts {
				if m.Type != "bind" {
					continue
				}
				if msg, proxy := mountSocket(m); msg != "" || proxy && !m.Host.Holds {
					// runtime-socket-mount's, or the proxy's own socket
					// (proxy-socket-mount's); a folder that holds the
					// proxy's socket is judged as a folder.
					continue
				}
				src := path.Clean(m.Source)
				// Where the host showed what the source is: the daemon's
				// own folders (and the folders above them), any socket.
				what := via(m)
				switch h := m.Host; {
				case sensitiveMount(src, m.ReadOnly) || underAny(src, r.Config().SensitivePaths):
				case h != nil && h.DaemonRoot != "":
					what += " (the daemon's " + h.DaemonRoot + ")"
				case h != nil && h.Socket == "other" && !h.Holds:
					what += " (a socket: another service's API)"
				default:
					continue
				}
				switch {
				case src == "/" && !m.ReadOnly:
					r.Report(c.Subject, m.At, "mounts the host's /%s read-write at %s", what, m.Target)
				case src == "/":
					r.ReportSeverity(High, c.Subject, m.At, "mounts the host's /%s (read-only) at %s", what, m.Target)
				case !m.ReadOnly:
					r.ReportSeverity(High, c.Subject, m.At, "mounts the host's %s%s read-write at %s", m.Source, what, m.Target)
				default:
					r.ReportSeverity(Medium, c.Subject, m.At, "mounts the host's %s%s (read-only) at %s", m.Source, what, m.Target)
				}
			}
		},
	})
}
