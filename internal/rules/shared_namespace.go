package rules

import (
	"sort"

	"github.com/dockguard/dockguard/internal/facts"
)

// shared-namespace: the container joins another container's namespace
// (`--network container:x`, `--pid container:x`, compose `service:x`).
func init() {
	register(&Rule{
		ID:          "DG338",
		Slug:        "shared-namespace",
		Control:     "host-namespaces",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "Namespace shared with another container",
		Rationale:   "A container that joins another's namespace sees its processes or network traffic and inherits its exposure, including a host namespace if the other has one.",
		Remediation: "Give each container its own namespaces unless a sidecar pattern needs the share; then make sure the target container is hardened.",
		Doc:         "Low in an audit: it inherits whatever that container is exposed to, and the other container is judged on its own. Enforcement asks the daemon for the container joined (NetworkMode, PidMode, IpcMode `container:<x>`) and judges it as a create of it would be judged: the join is allowed when that container passes the profile in force, and denied, naming it and why, when it fails or cannot be asked (enforce.rules can set warn); `ns:` paths are judged as host namespaces by host-network, host-pid-ipc and host-uts-cgroupns.",
		Container: func(c *facts.Container, r *Reporter) {
			var nss []string
			for ns := range c.Namespaces {
				nss = append(nss, string(ns))
			}
			sort.Strings(nss)
			for _, ns := range nss {
				v := c.Namespaces[facts.Namespace(ns)]
				if v.IsSet() && joinsOther(v.V) {
					r.Report(c.Subject, v.At, "joins the %s namespace of %s", ns, v.V)
				}
			}
		},
	})
}
