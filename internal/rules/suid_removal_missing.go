package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// suid-removal-missing: the image keeps whatever SUID/SGID binaries its base
// ships (passwd, su, mount, …) because no step strips them.
func init() {
	register(&Rule{
		ID:          "DG312",
		Slug:        "suid-removal-missing",
		Control:     "suid-sgid",
		Threat:      ThreatBreakout,
		Severity:    Info,
		Title:       "No step removes SUID/SGID bits",
		Rationale:   "Base images ship set-id binaries (su, passwd, mount) that a container rarely needs; each one is a privilege-escalation path after a compromise.",
		Remediation: "Add to the final stage: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true`.",
		References:  []string{"CIS Docker Benchmark 4.8"},
		Doc:         "Info: nearly every Dockerfile lacks such a step. A scratch image, or one built only FROM scratch, has no base binaries and is not reported.",
		Shell:       true,
		Build: func(b *facts.Build, r *Reporter) {
			if b.Target == nil {
				return
			}
			root := b.Target.Root()
			if root.Base.IsSet() && root.Base.V.Scratch {
				return
			}
			found := false
			eachCommand(runtimeStages(b), func(s *facts.Stage, st *facts.Step, c *facts.Command) {
				if perm, removes := findPermSetID(c); perm != "" && removes {
					found = true
				}
				for _, m := range chmodModes(c.Args) {
					if removesSetID(m) {
						found = true
					}
				}
			})
			if !found {
				r.Report(b.Target.Subject, b.Target.From, "no step removes SUID/SGID bits from the base image's files")
			}
		},
	})
}
