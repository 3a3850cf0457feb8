package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// writable-bind-suid: a non-root container binds a host folder writable
// without no-new-privileges. A set-user-ID-root program in the image (the
// requester builds the image) runs as root, and root writes the folder as
// host root: it leaves a set-user-ID-root copy of a shell there, which a
// local user runs to become root on the host. no-new-privileges makes
// set-user-ID bits and file capabilities inert.
func init() {
	register(&Rule{
		ID:          "DG376",
		Slug:        "writable-bind-suid",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Writable bind mount without no-new-privileges",
		Rationale:   "A set-user-ID-root file in the image makes a non-root container root again, and root writes the bound host folder as host root: a set-user-ID shell left there is root for any local user.",
		Remediation: "Add `--security-opt no-new-privileges` (compose: `security_opt: [\"no-new-privileges:true\"]`), bind the folder read-only (`:ro`), or use a named volume.",
		Off:         true,
		Doc:         "Off in the audit unless enabled or asked for by --profile baseline (an image with set-user-ID files is the requester's choice at enforcement, seldom in a reviewed compose file); baseline@v1 enforcement always runs it. A container that runs as root is writable-bind-root's. Not reported when the daemon remaps user namespaces or runs rootless, or when its daemon.json sets no-new-privileges for every container (enforcement reads it on the daemon's host).",
		Container: func(c *facts.Container, r *Reporter) {
			if c.UsernsRemap || c.Rootless || runsAsRootSurely(c) || userByName(c) {
				return
			}
			if nnp := c.SecurityOpt.NoNewPrivileges; nnp.IsSet() && nnp.V {
				return
			}
			for _, m := range c.Mounts {
				if m.Type != "bind" || m.ReadOnly || sensitivePath(m.Source) || reachesSocket(m.Source) != "" || m.Host != nil && m.Host.Socket != "" && !m.Host.Holds {
					continue
				}
				r.Report(c.Subject, m.At, "binds host path %s writable at %s without no-new-privileges: a set-user-ID file in the image would write it as root", m.Source, m.Target)
			}
		},
	})
}
