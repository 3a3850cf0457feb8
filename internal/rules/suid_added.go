package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// suid-added: a build step gives a file the SUID or SGID bit: chmod u+s,
// g+s, +s or an octal mode like 4755 in RUN (also install -m), or
// COPY/ADD --chmod with such a mode.
func init() {
	register(&Rule{
		ID:          "DG310",
		Slug:        "suid-added",
		Control:     "suid-sgid",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Build step adds a SUID/SGID bit",
		Rationale:   "A SUID or SGID binary runs with its owner's or group's rights whoever starts it: one flaw in it turns any user in the container into root.",
		Remediation: "Do not set the bit; grant the one capability the program needs with `setcap` or run it as the right user, and strip set-id bits: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true`.",
		References:  []string{"CIS Docker Benchmark 4.8"},
		Doc:         "Only the stages that end up in the image are judged.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range runtimeStages(b) {
				for _, st := range s.Steps {
					if (st.Instruction == "COPY" || st.Instruction == "ADD") && addsSetID(st.Flags["chmod"]) && !underAny(st.Dest, r.Config().SUIDAllow) {
						r.Report(s.Subject, st.At, "%s --chmod=%s sets the SUID/SGID bit on %s", st.Instruction, st.Flags["chmod"], strings.Join(st.Sources, " "))
					}
				}
			}
			eachCommand(runtimeStages(b), func(s *facts.Stage, st *facts.Step, c *facts.Command) {
				for _, m := range chmodModes(c.Args) {
					if addsSetID(m) && !allTargetsAllowed(c.Args, m, r.Config().SUIDAllow) {
						r.Report(s.Subject, c.At, "%s %s sets the SUID/SGID bit", c.Name(), m)
					}
				}
			})
		},
	})
}
