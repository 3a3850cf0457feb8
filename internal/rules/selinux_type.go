package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// selinux-type: an SELinux label that picks a process type other than the
// container types, or sets the user or role. spc_t ("super privileged
// container") and unconfined_t are not confined at all.
func init() {
	register(&Rule{
		ID:          "DG127",
		Slug:        "selinux-type",
		Control:     "selinux",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "SELinux type, user or role chosen",
		Rationale:   "SELinux keeps a container's processes in the container_t domain; `label=type:spc_t` or `label=type:unconfined_t` runs them unconfined, and a chosen user or role can reach domains the policy never meant for containers.",
		Remediation: "Remove the `label=type:`, `label=user:` and `label=role:` options, or add a reviewed confined type to `allow.selinuxTypes` in .dockguard.yaml.",
		References:  []string{"Kubernetes Pod Security Standards, baseline: SELinux"},
		Doc:         "The container types of container-selinux (container_t, container_init_t, container_kvm_t, container_engine_t) are allowed, as Pod Security Standards' baseline allows them; label=level: (the MCS categories) is not reported. label=disable is selinux-disabled's.",
		Container: func(c *facts.Container, r *Reporter) {
			for _, l := range c.SecurityOpt.SELinuxLabels {
				k, v, _ := strings.Cut(l.V, ":")
				switch strings.ToLower(k) {
				case "type":
					if containerSELinuxTypes[v] || Has(r.Config().Allow.SELinuxTypes, v) {
						continue
					}
					r.Report(c.Subject, l.At, "runs as SELinux type %s, which is not a container type nor on allow.selinuxTypes", v)
				case "user", "role":
					r.Report(c.Subject, l.At, "sets the SELinux %s to %s", strings.ToLower(k), v)
				}
			}
		},
	})
}

var containerSELinuxTypes = map[string]bool{"container_t": true, "container_init_t": true, "container_kvm_t": true, "container_engine_t": true}
