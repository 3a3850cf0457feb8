package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// root-user: the container's main process runs as root.
func init() {
	register(&Rule{
		ID:          "DG301",
		Slug:        "root-user",
		Control:     "non-root-user",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "Container runs as root",
		Rationale:   "A process that runs as root in the container is root on the host after any namespace escape, and can write everywhere in its own filesystem. Most services need no root at all.",
		Remediation: "Create an unprivileged user and end the final stage with `USER 10001:10001` (a numeric UID lets Kubernetes' runAsNonRoot verify it).",
		References:  []string{"CIS Docker Benchmark 4.1"},
		Doc:         "Judged on the image the target stage yields, following FROM <stage> inheritance: the last USER decides. No USER at all means the base image's user, which is root for scratch and for nearly every public base image. A root start that switches user in its entrypoint is root-start-drop, not this rule. A USER that depends on a build argument with no value is unknown and not reported.",
		ImageConfig: true,
		Build: func(b *facts.Build, r *Reporter) {
			c := b.Container
			if c == nil || c.PrivilegeDrop != nil {
				return
			}
			checkRootUser(c, r)
		},
		Container: func(c *facts.Container, r *Reporter) {
			if c.PrivilegeDrop != nil {
				return
			}
			checkRootUser(c, r)
		},
	})
}

func checkRootUser(c *facts.Container, r *Reporter) {
	report := r.Report
	suffix := ""
	if c.Rootless {
		// Rootless Podman maps container root to the invoking user: an
		// escape lands as that user, not as host root.
		report = func(s facts.Subject, at facts.Location, format string, args ...any) {
			r.ReportSeverity(Low, s, at, format, args...)
		}
		suffix = " (rootless Podman maps it to the invoking user)"
	}
	switch c.User.State {
	case facts.Set:
		if facts.IsRootUser(c.User.V) {
			if c.Subject.Kind != facts.SubjectStage && c.User.At.Path != "" && c.User.At.Path != c.Origin.Path {
				// The user comes from the image (a joined Dockerfile); the
				// Dockerfile's own finding is at its USER line.
				report(c.Subject, c.Origin, "its image runs as root (USER %s at %s)%s", c.User.V, c.User.At, suffix)
				return
			}
			if c.Subject.Kind == facts.SubjectStage {
				report(c.Subject, c.User.At, "USER %s: the container runs as root%s", c.User.V, suffix)
			} else {
				report(c.Subject, c.User.At, "user %s: the container runs as root%s", c.User.V, suffix)
			}
		}
	case facts.Unset:
		if c.Subject.Kind == facts.SubjectStage {
			report(c.Subject, c.Origin, "no USER is set, so the container runs as %s%s", c.User.Why, suffix)
		} else {
			report(c.Subject, c.Origin, "no user is set, so the container runs as %s%s", c.User.Why, suffix)
		}
	}
}
