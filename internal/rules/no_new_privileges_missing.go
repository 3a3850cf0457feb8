package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// no-new-privileges-missing: the container does not set
// no-new-privileges, so SUID binaries inside it can still raise privileges.
func init() {
	register(&Rule{
		ID:          "DG333",
		Slug:        "no-new-privileges-missing",
		Control:     "no-new-privileges",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "no-new-privileges not set",
		Rationale:   "Without no-new-privileges a process can gain privileges through set-uid binaries or file capabilities, turning a compromised unprivileged process into root in the container.",
		Remediation: "Add `--security-opt no-new-privileges` (compose: `security_opt: [\"no-new-privileges:true\"]`), or set `\"no-new-privileges\": true` in daemon.json for every container.",
		References:  []string{"CIS Docker Benchmark 5.26"},
		Doc:         "Low: nearly every container lacks it. Explicitly turning it off is no-new-privileges-disabled.",
		Container: func(c *facts.Container, r *Reporter) {
			if c.SecurityOpt.NoNewPrivileges.State == facts.Unset && !c.Privileged.V {
				r.Report(c.Subject, missingAt(c), "no-new-privileges is not set")
			}
		},
	})
}
