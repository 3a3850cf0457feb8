package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// writable-bind-root: a container that runs as UID 0 binds a host folder
// writable. No list of sensitive paths catches this: root in the container
// can create a set-user-ID-root binary in the folder, and any local user
// who can reach the folder on the host then runs it as root (the classic
// docker-group escalation). User-namespace remapping and rootless daemons
// map container root to an unprivileged host user, so the file they
// create is not host root's.
func init() {
	register(&Rule{
		ID:          "DG373",
		Slug:        "writable-bind-root",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Writable bind mount in a container running as root",
		Rationale:   "Root in the container writes the host folder as host root: it can leave a set-user-ID-root program (or a file host root will run) that a local user runs to become root on the host.",
		Remediation: "Run the container as your own user (`--user $(id -u):$(id -g)`, compose `user:`), or bind the folder read-only (`:ro`), or use a named volume.",
		References:  []string{"https://docs.docker.com/engine/security/#docker-daemon-attack-surface"},
		Doc:         "Reported when the user is root for certain: set to root or UID 0, or unset while the image is known to set no USER (an image that starts as root and drops to its own user in its entrypoint still writes as root first); and, where the daemon knows the image (enforcement, live containers), when the user is a name, which the image's /etc/passwd may make UID 0 (give a UID instead). An image whose user is not known is not reported here (root-user says what is known). A non-root container that could become root through a set-user-ID file is writable-bind-suid's. Not reported when the daemon remaps user namespaces or runs rootless, unless the container opts out with --userns host. Named volumes and tmpfs are not binds.",
		Container: func(c *facts.Container, r *Reporter) {
			if c.UsernsRemap || c.Rootless {
				return
			}
			who := ""
			switch {
			case runsAsRootSurely(c):
				who = "the container runs as root"
			case userByName(c):
				who = "the container's user " + c.User.V + " is a name, which runc resolves in the image's /etc/passwd at start, where it may be UID 0"
			default:
				return
			}
			for _, m := range c.Mounts {
				if m.Type != "bind" || m.ReadOnly || sensitivePath(m.Source) || reachesSocket(m.Source) != "" || m.Host != nil && m.Host.Socket != "" && !m.Host.Holds {
					continue // host-path-mount and runtime-socket-mount say more
				}
				r.Report(c.Subject, m.At, "binds host path %s writable at %s while %s", m.Source, m.Target, who)
			}
		},
	})
}

// userByName reports whether the container's user is a name whose UID
// only the image's /etc/passwd says (where any name can be 0), when the
// image is the daemon's to know: a running container whose first process
// is seen not to be root is not.
func userByName(c *facts.Container) bool {
	if !(c.ImageUserKnown || c.Enforced) || c.User.State != facts.Set || facts.IsRootUser(c.User.V) {
		return false
	}
	if c.Live != nil && c.Live.ProcessUID.IsSet() && c.Live.ProcessUID.V != "0" {
		return false
	}
	name, _, _ := strings.Cut(c.User.V, ":")
	return !facts.NumericID(name)
}

// runsAsRootSurely reports whether the container's first process is UID 0
// for certain: a root user, or no user where the image is known to set
// none.
func runsAsRootSurely(c *facts.Container) bool {
	switch c.User.State {
	case facts.Set:
		return facts.IsRootUser(c.User.V)
	case facts.Unset:
		return c.ImageUserKnown
	}
	return false
}
