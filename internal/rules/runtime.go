package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// runtime: a container runtime other than the daemon's default. The
// runtime is what creates the namespaces; another one (configured in
// daemon.json) may run the container with less isolation than runc, and
// dockguard cannot judge what it does.
func init() {
	register(&Rule{
		ID:          "DG346",
		Slug:        "runtime",
		Control:     "privileged",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Container runtime other than the default",
		Rationale:   "`--runtime` picks any OCI runtime configured on the daemon; one configured for a special purpose may run containers without the isolation runc gives, and dockguard cannot judge what it does.",
		Remediation: "Leave `--runtime` (compose `runtime:`) unset, or add the reviewed runtime to `allow.runtimes` in .dockguard.yaml.",
		Doc:         "runc and io.containerd.runc.v2 are the default of every Docker daemon, and a live container names the daemon's default (docker info's DefaultRuntime) in HostConfig.Runtime, which is not reported; allow.runtimes names others (a sandboxing runtime such as runsc is a good one to allow).",
		Container: func(c *facts.Container, r *Reporter) {
			v := c.Runtime
			if !v.IsSet() {
				return
			}
			switch v.V {
			case "", "runc", "io.containerd.runc.v2", c.DefaultRuntime:
				return
			}
			if Has(r.Config().Allow.Runtimes, v.V) {
				return
			}
			r.Report(c.Subject, v.At, "runs under runtime %q, which is not the default nor on allow.runtimes", v.V)
		},
	})
}
