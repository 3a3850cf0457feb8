package rules

import (
	"path"

	"github.com/dockguard/dockguard/internal/facts"
)

// bind-outside-roots: a bind mount whose source is not under one of the
// folders allow.bindRoots names. restricted allows binds only from
// folders a team has set aside for containers; everything else is a named
// volume, which the daemon creates and no other path can be swapped into.
func init() {
	register(&Rule{
		ID:          "DG372",
		Slug:        "bind-outside-roots",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "Bind mount outside the allowed roots",
		Rationale:   "A bind mount reaches whatever the host path holds when the container starts; limiting binds to a few reviewed folders keeps the rest of the host out of reach, and named volumes need no host path at all.",
		Remediation: "Use a named volume, or bind a folder under one of `allow.bindRoots` in .dockguard.yaml.",
		Off:         true,
		Doc:         "Off in the audit unless enabled or asked for by --profile restricted; restricted@v1 enforcement always runs it. With no allow.bindRoots every bind is reported. Sensitive host paths are host-path-mount's whatever the roots say. Named volumes, tmpfs and the runtime socket's own rule are not this rule's.",
		Container: func(c *facts.Container, r *Reporter) {
			roots := r.Config().Allow.BindRoots
			for _, m := range c.Mounts {
				if m.Type != "bind" || !path.IsAbs(m.Source) || underAny(m.Source, roots) {
					continue
				}
				if len(roots) == 0 {
					r.Report(c.Subject, m.At, "binds host path %s, and allow.bindRoots names no folder binds may come from", m.Source)
					continue
				}
				r.Report(c.Subject, m.At, "binds host path %s, which is not under allow.bindRoots", m.Source)
			}
		},
	})
}
