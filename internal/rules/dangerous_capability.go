package rules

import (
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// dangerous-capability: a capability that opens a path to the host is added:
// ALL, SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH,
// NET_ADMIN, SYS_BOOT, SYS_TIME, BPF, PERFMON, MAC_ADMIN, MAC_OVERRIDE,
// SYSLOG, DAC_OVERRIDE. Names are compared as Docker does: any case, with or
// without CAP_. `--cap-add ALL` wins over `--cap-drop ALL`.
func init() {
	register(&Rule{
		ID:          "DG331",
		Slug:        "dangerous-capability",
		Control:     "capabilities",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Dangerous capability added",
		Rationale:   "These capabilities let root in the container load kernel modules, mount filesystems, trace host-visible processes or read any file handle: the known container escapes start here.",
		Remediation: "Remove the capability; if one privileged operation is needed, do it in an init step or a separate, tightly scoped container.",
		References:  []string{"CIS Docker Benchmark 5.4"},
		Container: func(c *facts.Container, r *Reporter) {
			if !c.CapAdd.IsSet() {
				return
			}
			var bad []string
			allowed := map[string]bool{}
			for _, a := range r.Config().Allow.Capabilities {
				allowed[strings.TrimPrefix(strings.ToUpper(a), "CAP_")] = true
			}
			for _, cp := range c.CapAdd.V {
				if dangerousCaps[cp] && !allowed[cp] {
					bad = append(bad, cp)
				}
			}
			if len(bad) == 0 {
				return
			}
			sort.Strings(bad)
			msg := "adds " + strings.Join(bad, ", ")
			if hasCap(c.CapAdd, "ALL") && dropsAll(c) {
				msg += " (cap-add ALL wins over cap-drop ALL)"
			}
			r.Report(c.Subject, c.CapAdd.At, "%s", msg)
		},
	})
}

var dangerousCaps = map[string]bool{
	"ALL": true, "SYS_ADMIN": true, "SYS_MODULE": true, "SYS_PTRACE": true, "SYS_RAWIO": true, "DAC_READ_SEARCH": true,
	"NET_ADMIN": true, "SYS_BOOT": true, "SYS_TIME": true, "BPF": true, "PERFMON": true, "MAC_ADMIN": true,
	"MAC_OVERRIDE": true, "SYSLOG": true, "DAC_OVERRIDE": true,
}
