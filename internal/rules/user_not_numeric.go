package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// user-not-numeric: the container's user is a name. runc resolves a name
// in the image's /etc/passwd when the container starts, where any name
// can be UID 0 (toor:x:0:0), so only a number says who the process is
// before it runs. restricted requires it, as Kubernetes' runAsNonRoot
// verifies a numeric UID.
func init() {
	register(&Rule{
		ID:          "DG371",
		Slug:        "user-not-numeric",
		Control:     "non-root-user",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "User given by name, not UID",
		Rationale:   "A user name is resolved in the image's /etc/passwd at start, and any name can map to UID 0; a numeric UID is what the process runs as, whatever the image holds.",
		Remediation: "Give the user as a UID (`USER 10001:10001`, `--user 10001:10001`, `user: \"10001:10001\"`).",
		Off:         true,
		Doc:         "Off in the audit unless enabled or asked for by --profile restricted; restricted@v1 enforcement always runs it. Root itself is root-user's. A group given by name beside a numeric UID is not reported: the UID decides who the process is.",
		ImageConfig: true,
		Container: func(c *facts.Container, r *Reporter) {
			if c.User.State != facts.Set || facts.IsRootUser(c.User.V) {
				return
			}
			name, _, _ := strings.Cut(c.User.V, ":")
			if facts.NumericID(name) {
				return
			}
			r.Report(c.Subject, c.User.At, "user %s is a name: which UID it is is decided by the image's /etc/passwd at start", c.User.V)
		},
	})
}
