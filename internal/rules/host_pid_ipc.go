package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// host-pid-ipc: the container shares the host's PID or IPC namespace
// (`--pid host`, `--ipc host`, or `ns:<path>`, which may be the host's).
func init() {
	register(&Rule{
		ID:          "DG335",
		Slug:        "host-pid-ipc",
		Control:     "host-namespaces",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Host PID or IPC namespace shared",
		Rationale:   "A container in the host's PID namespace sees every host process and, as root, can ptrace them or read /proc/<pid>/environ; the host IPC namespace exposes host shared memory.",
		Remediation: "Remove `--pid host` / `pid: host` and `--ipc host` / `ipc: host`; use `--pid container:<name>` to debug one container.",
		References:  []string{"CIS Docker Benchmark 5.16", "CIS Docker Benchmark 5.17"},
		Doc:         "With the host's PIDs the container sees and signals every host process and, as root, can read their memory and environment; with the host's IPC it reads shared memory of host processes.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, ns := range []facts.Namespace{facts.NSPid, facts.NSIPC} {
				if v, ok := c.Namespaces[ns]; ok && v.IsSet() && isHostMode(v.V) {
					r.Report(c.Subject, v.At, "shares the host's %s namespace (%s)", ns, v.V)
				}
			}
		},
	})
}
