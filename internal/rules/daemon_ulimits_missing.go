package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-ulimits-missing: the daemon sets no default nofile or nproc
// ulimit, so every container that sets none itself inherits dockerd's own
// limits. Info: judged only where daemon.json and the command line can be
// read (a local host).
func init() {
	register(&Rule{
		ID:          "DG109",
		Slug:        "daemon-ulimits-missing",
		Control:     "ulimits",
		Threat:      ThreatKernel,
		Severity:    Info,
		Title:       "Daemon sets no default nofile/nproc ulimits",
		Rationale:   "Default ulimits bound what one container can take of the host's file descriptors and processes when its own configuration sets no limit.",
		Remediation: "Set `\"default-ulimits\": {\"nofile\": {\"Name\": \"nofile\", \"Soft\": 1024, \"Hard\": 4096}}` in daemon.json (or `--default-ulimit nofile=1024:4096`); nproc counts per user across the host, so prefer pids limits for processes.",
		References:  []string{"CIS Docker Benchmark 2.8"},
		Host: func(h *facts.Host, r *Reporter) {
			if !h.Local {
				return
			}
			for _, u := range h.DefaultUlimits {
				if u.Name == "nofile" || u.Name == "nproc" {
					return
				}
			}
			r.Report(h.Subject, h.Origin, "the daemon sets no default nofile or nproc ulimit: containers without their own inherit dockerd's limits")
		},
	})
}
