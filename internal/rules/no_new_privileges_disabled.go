package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// no-new-privileges-disabled: the container turns no-new-privileges off
// explicitly (`no-new-privileges=false`, `:false`, `=0`), overriding a
// daemon-wide default.
func init() {
	register(&Rule{
		ID:          "DG334",
		Slug:        "no-new-privileges-disabled",
		Control:     "no-new-privileges",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "no-new-privileges turned off",
		Rationale:   "An explicit opt-out overrides the daemon's no-new-privileges default, so set-uid binaries in the container can raise privileges again.",
		Remediation: "Remove the opt-out, or set `--security-opt no-new-privileges=true`.",
		References:  []string{"CIS Docker Benchmark 5.26"},
		Container: func(c *facts.Container, r *Reporter) {
			v := c.SecurityOpt.NoNewPrivileges
			if v.IsSet() && !v.V {
				r.Report(c.Subject, v.At, "no-new-privileges is explicitly turned off")
			}
		},
	})
}
