package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/secrets"
)

// secret-in-arg: an ARG default holds a value that looks like a live
// secret (same test as secret-in-env).
func init() {
	register(&Rule{
		ID:          "DG602",
		Slug:        "secret-in-arg",
		Control:     "secrets-build",
		Threat:      ThreatSecrets,
		Severity:    High,
		Title:       "Secret in a build argument default",
		Rationale:   "A default value is committed with the Dockerfile, and build arguments used by RUN are kept in the image history (`docker history --no-trunc`).",
		Remediation: "Remove the default and rotate the secret; pass it as a build secret: `RUN --mount=type=secret,id=token TOKEN=$(cat /run/secrets/token) …` with `docker build --secret id=token,env=TOKEN`.",
		References:  []string{"CIS Docker Benchmark 4.10"},
		Doc:         "Also `--build-arg NAME=<secret>` on a docker/podman/buildah build command in a script, Makefile or CI step, and compose build.args.\n\nThe Dockerfile itself now holds the secret, in the repository and its history, and build arguments are recorded in the image history of every RUN that uses them.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range withGlobal(b) {
				for _, st := range s.Steps {
					if st.Instruction != "ARG" {
						continue
					}
					for _, kv := range st.KVs {
						if !kv.HasValue {
							continue
						}
						if m, ok := secrets.Assignment(kv.Key, kv.Raw); ok {
							r.Report(s.Subject, kv.At, "ARG %s defaults to a %s (%s)", kv.Key, m.Kind, secrets.Redact(m.Value))
						}
					}
				}
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			for _, a := range c.BuildArgs {
				if a.Dynamic {
					continue
				}
				if m, ok := secrets.Assignment(a.Name, a.Value); ok {
					r.Report(c.Subject, a.At, "build argument %s is a %s (%s)", a.Name, m.Kind, secrets.Redact(m.Value))
				}
			}
		},
		Script: func(s *facts.Script, r *Reporter) {
			for _, a := range s.BuildArgs {
				if a.Dynamic {
					continue
				}
				if m, ok := secrets.Assignment(a.Name, a.Value); ok {
					r.Report(s.Subject, a.At, "--build-arg %s is a %s (%s)", a.Name, m.Kind, secrets.Redact(m.Value))
				}
			}
		},
	})
}
