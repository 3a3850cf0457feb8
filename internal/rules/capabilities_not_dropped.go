package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// capabilities-not-dropped: the container keeps Docker's default capability
// set (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, NET_RAW, …) because it
// does not drop ALL.
func init() {
	register(&Rule{
		ID:          "DG332",
		Slug:        "capabilities-not-dropped",
		Control:     "capabilities",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "Default capabilities not dropped",
		Rationale:   "Docker's default set still lets root in the container change file ownership, bypass file permissions, send raw packets and switch users; most services need none of it.",
		Remediation: "Drop everything and add back only what is needed: `--cap-drop ALL --cap-add NET_BIND_SERVICE` (compose: `cap_drop: [ALL]`).",
		References:  []string{"CIS Docker Benchmark 5.4"},
		Doc:         "Low: nearly every container does this. Privileged containers are reported by privileged instead.",
		Container: func(c *facts.Container, r *Reporter) {
			if c.Privileged.V || c.CapDrop.IsUnknown() || dropsAll(c) {
				return
			}
			at := missingAt(c)
			if c.CapDrop.IsSet() {
				at = c.CapDrop.At
				r.Report(c.Subject, at, "drops only some capabilities; drop ALL and add back what is needed")
				return
			}
			r.Report(c.Subject, at, "keeps %s's default capabilities (no cap-drop ALL)", describeEngine(c))
		},
	})
}
