package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// sysctl: a kernel parameter that is not in one of the container's own
// namespaces. Setting it writes the host's kernel; runc refuses most of
// them, but other runtimes and older versions do not, and what reaches
// the runtime is the only safe place to stop it.
func init() {
	register(&Rule{
		ID:          "DG128",
		Slug:        "sysctl",
		Control:     "privileged",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "Kernel parameter that is not namespaced",
		Rationale:   "A sysctl outside the container's own IPC, UTS and network namespaces is a setting of the host's kernel, shared by every container on it.",
		Remediation: "Remove the sysctl, set it on the host, or add it to `allow.sysctls` in .dockguard.yaml once reviewed.",
		References:  []string{"Kubernetes Pod Security Standards, baseline: sysctls", "runc libcontainer/configs/validate"},
		Doc:         "Namespaced, and allowed: kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced and fs.mqueue.* (the IPC namespace, unless --ipc host), kernel.hostname and kernel.domainname (UTS, unless --uts host) and net.* (the network namespace, unless --network host or a join). allow.sysctls names more (an exact name, or a prefix ending in .*).",
		Container: func(c *facts.Container, r *Reporter) {
			for _, s := range c.Sysctls {
				if why := sysctlRisk(c, s.Name, r.Config().Allow.Sysctls); why != "" {
					r.Report(c.Subject, s.At, "sysctl %s %s", s.Name, why)
				}
			}
		},
	})
}

var ipcSysctls = map[string]bool{"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true}

// sysctlRisk says why a sysctl reaches the host ("" when it stays in one
// of the container's namespaces, or is allowed).
func sysctlRisk(c *facts.Container, name string, allow []string) string {
	n := strings.TrimSpace(strings.ReplaceAll(name, "/", "."))
	for _, a := range allow {
		if a == n || strings.HasSuffix(a, ".*") && strings.HasPrefix(n, strings.TrimSuffix(a, "*")) {
			return ""
		}
	}
	own := func(ns facts.Namespace) bool {
		v, ok := c.Namespaces[ns]
		return !ok || !v.IsSet() || !(isHostMode(v.V) || joinsOther(v.V))
	}
	switch {
	case ipcSysctls[n] || strings.HasPrefix(n, "fs.mqueue."):
		if !own(facts.NSIPC) {
			return "is not namespaced here: the container shares the host's or another container's IPC namespace"
		}
		return ""
	case n == "kernel.hostname" || n == "kernel.domainname":
		if !own(facts.NSUTS) {
			return "is not namespaced here: the container shares the host's UTS namespace"
		}
		return ""
	case strings.HasPrefix(n, "net."):
		if !own(facts.NSNetwork) {
			return "is not namespaced here: the container shares the host's or another container's network namespace"
		}
		return ""
	}
	return "is not namespaced: it sets the host's kernel"
}
