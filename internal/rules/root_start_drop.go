package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// root-start-drop: the container starts as root and its entrypoint switches
// to another user (gosu, su-exec, setpriv, chroot --userspec, s6-setuidgid,
// runuser).
func init() {
	register(&Rule{
		ID:          "DG302",
		Slug:        "root-start-drop",
		Control:     "non-root-user",
		Threat:      ThreatBreakout,
		Severity:    Low,
		Title:       "Container starts as root and drops privileges in its entrypoint",
		Rationale:   "The service runs unprivileged once the entrypoint has switched user, but the entrypoint itself and every `docker exec` run as root. Starting as the service user removes that window.",
		Remediation: "If the entrypoint needs no root (no chown of volumes), set `USER` in the Dockerfile and drop the gosu/su-exec call; otherwise keep the drop and run with `--cap-drop ALL --cap-add CHOWN,SETUID,SETGID`.",
		References:  []string{"CIS Docker Benchmark 4.1"},
		Doc:         "This is the official images' pattern (postgres, redis, …): the service itself runs unprivileged, but the entrypoint runs as root, and so does anything started with `docker exec`. Reported low, naming the tool, so it is never mistaken for a root service.",
		ImageConfig: true,
		Surfaces:    []Surface{SurfaceDockerfile, SurfaceCompose, SurfaceImage, SurfaceLive},
		Build: func(b *facts.Build, r *Reporter) {
			if b.Container != nil {
				checkRootDrop(b.Container, r, false)
			}
		},
		Container: func(c *facts.Container, r *Reporter) { checkRootDrop(c, r, true) },
	})
}

// checkRootDrop reports a root start that drops privileges. A container
// (a compose service) only has the drop of its image: the Dockerfile is
// reported where it is written, and the container where it is declared,
// which is where a user would be set.
func checkRootDrop(c *facts.Container, r *Reporter, inherited bool) {
	d := c.PrivilegeDrop
	if d == nil {
		return
	}
	if c.User.IsUnknown() || (c.User.IsSet() && !facts.IsRootUser(c.User.V)) {
		return
	}
	at, from := d.At, ""
	if inherited {
		at, from = missingAt(c), " of its image"
	}
	if d.Script != "" {
		r.Report(c.Subject, at, "starts as root; the entrypoint script %s%s switches user with %s", d.Script, from, d.Tool)
		return
	}
	r.Report(c.Subject, at, "starts as root; the entrypoint%s switches user with %s", from, d.Tool)
}
