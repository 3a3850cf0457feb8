package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// host-path-mount: a sensitive host path is bind-mounted: / (critical
// read-write), /etc, /proc, /sys, /boot, /dev, /root, /var/lib/docker,
// /lib/modules, /usr, host key and account files, … (high read-write,
// medium read-only).
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
		Doc:         "Ordinary files under /etc that containers read (localtime, timezone, resolv.conf, ssl certificates) are not sensitive.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, m := range c.Mounts {
				if m.Type != "bind" || !(sensitivePath(m.Source) || underAny(m.Source, r.Config().SensitivePaths)) {
					continue
				}
				switch {
				case m.Source == "/" && !m.ReadOnly:
					r.Report(c.Subject, m.At, "mounts the host's / read-write at %s", m.Target)
				case m.Source == "/":
					r.ReportSeverity(High, c.Subject, m.At, "mounts the host's / (read-only) at %s", m.Target)
				case !m.ReadOnly:
					r.ReportSeverity(High, c.Subject, m.At, "mounts the host's %s read-write at %s", m.Source, m.Target)
				default:
					r.ReportSeverity(Medium, c.Subject, m.At, "mounts the host's %s (read-only) at %s", m.Source, m.Target)
				}
			}
		},
	})
}
