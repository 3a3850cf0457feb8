package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/secrets"
)

// secret-arg-name: an ARG is named for a secret (NPM_TOKEN, DB_PASSWORD, …)
// and has no secret default, so the secret is meant to arrive with
// `--build-arg`.
func init() {
	register(&Rule{
		ID:          "DG604",
		Slug:        "secret-arg-name",
		Control:     "secrets-build",
		Threat:      ThreatSecrets,
		Severity:    Medium,
		Title:       "Secret passed as a build argument",
		Rationale:   "Values given with `--build-arg` are written into the image history of each RUN that uses them, readable by anyone who can pull the image.",
		Remediation: "Use a build secret instead: `RUN --mount=type=secret,id=npm_token NPM_TOKEN=$(cat /run/secrets/npm_token) npm ci` and `docker build --secret id=npm_token,env=NPM_TOKEN`.",
		References:  []string{"CIS Docker Benchmark 4.10"},
		Doc:         "On command lines (scripts, Makefiles, CI steps): `docker build --build-arg NPM_TOKEN=$NPM_TOKEN` or `--build-arg NPM_TOKEN` hands the secret over the same way.\n\nBuild arguments are not secret: `docker history` shows the value for every RUN that uses it, and BuildKit warns about it (SecretsUsedInArgOrEnv). A secret default is secret-in-arg instead.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range withGlobal(b) {
				for _, st := range s.Steps {
					if st.Instruction != "ARG" {
						continue
					}
					for _, kv := range st.KVs {
						if !secrets.IsSecretName(kv.Key) {
							continue
						}
						if kv.HasValue {
							if _, ok := secrets.Assignment(kv.Key, kv.Raw); ok {
								continue // secret-in-arg
							}
						}
						r.Report(s.Subject, kv.At, "ARG %s is named for a secret; a value passed with --build-arg is kept in the image history", kv.Key)
					}
				}
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			for _, a := range c.BuildArgs {
				if !secrets.IsSecretName(a.Name) {
					continue
				}
				if _, ok := secrets.Assignment(a.Name, a.Value); ok && !a.Dynamic {
					continue // secret-in-arg
				}
				r.Report(c.Subject, a.At, "build argument %s is named for a secret; its value is kept in the image history", a.Name)
			}
		},
		Script: func(s *facts.Script, r *Reporter) {
			for _, a := range s.BuildArgs {
				if !secrets.IsSecretName(a.Name) {
					continue
				}
				if _, ok := secrets.Assignment(a.Name, a.Value); ok && !a.Dynamic {
					continue // secret-in-arg
				}
				r.Report(s.Subject, a.At, "--build-arg %s is named for a secret; its value is kept in the image history", a.Name)
			}
		},
	})
}
