package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// apparmor-profile: an AppArmor profile other than Docker's default and
// the allow-list. A profile is loaded by root on the host, but its name is
// chosen by the requester: any loaded profile, including ones written for
// host daemons that allow mounts, can be picked.
func init() {
	register(&Rule{
		ID:          "DG126",
		Slug:        "apparmor-profile",
		Control:     "apparmor",
		Threat:      ThreatKernel,
		Severity:    Medium,
		Title:       "AppArmor profile not on the allow-list",
		Rationale:   "`--security-opt apparmor=<name>` picks any profile loaded on the host, and hosts load profiles for their own daemons that allow what docker-default forbids (mounts, writes under /proc and /sys).",
		Remediation: "Leave the AppArmor profile at Docker's default, or add the reviewed profile to `allow.apparmorProfiles` in .dockguard.yaml.",
		References:  []string{"Kubernetes Pod Security Standards, baseline: AppArmor"},
		Doc:         "docker-default (and runtime/default) is Docker's own profile and never reported; unconfined is apparmor-unconfined's. Any other name is reported unless allow.apparmorProfiles lists it.",
		Container: func(c *facts.Container, r *Reporter) {
			v := c.SecurityOpt.AppArmorProfile
			if !v.IsSet() {
				return
			}
			switch v.V {
			case "unconfined", "docker-default", "runtime/default", "":
				return
			}
			if Has(r.Config().Allow.AppArmorProfiles, v.V) {
				return
			}
			r.Report(c.Subject, v.At, "runs under AppArmor profile %q, which is not on allow.apparmorProfiles", v.V)
		},
	})
}
