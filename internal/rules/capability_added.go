package rules

import (
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// capability-added: a capability beyond Docker's default set is added
// that dangerous-capability does not already name (IPC_LOCK, SYS_NICE,
// SYS_RESOURCE, LINUX_IMMUTABLE, …). baseline denies it as Pod Security
// Standards' baseline does: each one widens what root in the container
// can do to the shared kernel, and none is needed by ordinary services.
func init() {
	register(&Rule{
		ID:          "DG367",
		Slug:        "capability-added",
		Control:     "capabilities",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Capability beyond Docker's default set added",
		Rationale:   "Docker's default set is what ordinary services need; every capability added beyond it gives root in the container another kernel interface shared with the host (locking memory, raising resource limits, changing immutable files, real-time scheduling).",
		Remediation: "Remove the capability, or add it to `allow.capabilities` in .dockguard.yaml once its need is reviewed.",
		References:  []string{"CIS Docker Benchmark 5.4", "Kubernetes Pod Security Standards, baseline: capabilities"},
		Doc:         "Docker's default set is AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, NET_RAW, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT; adding one of them changes nothing and is not reported. The capabilities that open a known path to the host are dangerous-capability's, and are not reported twice. allow.capabilities (and the older allowedCapabilities) name capabilities that may be added.",
		Container: func(c *facts.Container, r *Reporter) {
			if !c.CapAdd.IsSet() {
				return
			}
			var extra []string
			for _, cp := range c.CapAdd.V {
				if defaultCaps[cp] || dangerousCaps[cp] || Has(r.Config().Allow.Capabilities, cp) {
					continue
				}
				extra = append(extra, cp)
			}
			if len(extra) == 0 {
				return
			}
			sort.Strings(extra)
			r.Report(c.Subject, c.CapAdd.At, "adds %s beyond Docker's default capabilities", strings.Join(extra, ", "))
		},
	})
}

// defaultCaps is Docker's default capability set (moby's
// oci/caps.DefaultCapabilities).
var defaultCaps = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true, "MKNOD": true,
	"NET_BIND_SERVICE": true, "NET_RAW": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}
