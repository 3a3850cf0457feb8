package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// suid-removal-noop: a step meant to strip SUID/SGID bits silently does
// nothing: `find … -perm +6000 … || true` on GNU find.
func init() {
	register(&Rule{
		ID:          "DG311",
		Slug:        "suid-removal-noop",
		Control:     "suid-sgid",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "SUID/SGID removal step does nothing",
		Rationale:   "GNU find rejects `-perm +MODE`; with `|| true` the error is hidden and the image keeps every SUID/SGID binary while the Dockerfile claims to remove them.",
		Remediation: "Use the `/MODE` form: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`.",
		References:  []string{"CIS Docker Benchmark 4.8"},
		Doc:         "GNU findutils has rejected the `+MODE` form of -perm since 4.5.12 (Debian, Ubuntu, RHEL all ship newer), so find exits with an error, `|| true` hides it, and every set-id bit stays. BusyBox find (Alpine) still accepts +MODE, so Alpine stages without GNU findutils are not reported. Without the `|| true` the build fails loudly, which is not this rule's concern.",
		Shell:       true,
		Build: func(b *facts.Build, r *Reporter) {
			eachCommand(runtimeStages(b), func(s *facts.Stage, st *facts.Step, c *facts.Command) {
				perm, _ := findPermSetID(c)
				if perm == "" || perm[0] != '+' || !c.FailureIgnored {
					return
				}
				if findFlavor(s) != "gnu" {
					return
				}
				r.Report(s.Subject, c.At, "find -perm %s is rejected by GNU find and the error is ignored: no SUID/SGID bit is removed", perm)
			})
		},
	})
}
