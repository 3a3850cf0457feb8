package rules

import (
	"maps"
	"slices"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/secrets"
)

// secret-in-env: an ENV instruction holds a value that looks like a live
// secret: a known token format (cloud keys, GitHub/GitLab/Slack/Stripe
// tokens, private keys) anywhere in the value, or a high-entropy value under
// a secret-like name (…_PASSWORD, …_TOKEN, …_SECRET). Labels are judged the
// same way (LABEL, compose labels:, --label, an image config's or a running
// container's labels): they are as readable as the environment.
func init() {
	register(&Rule{
		ID:          "DG601",
		Slug:        "secret-in-env",
		Control:     "secrets-env",
		Threat:      ThreatSecrets,
		Severity:    High,
		Title:       "Secret in an environment variable or label",
		Rationale:   "Image environment variables are readable by anyone who can pull or inspect the image, and are inherited by every process in every container started from it.",
		Remediation: "Remove the value from the Dockerfile and rotate it; pass secrets at run time as files (`docker run --secret`, compose `secrets:`, Kubernetes Secrets mounted as files).",
		References:  []string{"CIS Docker Benchmark 4.10"},
		Doc:         "In scripts, Makefiles and CI files: a literal password given to a registry login (`docker login -p …`, `echo … | docker login --password-stdin`), a CI container's credentials.password, and secrets in a CI file's env: or variables:.\n\nENV values are in the image config for anyone who can pull it, and in every container's environment. References (${VAR}) and placeholders (changeme, <password>, empty) are not secrets. The secret is never printed: only its prefix and length.",
		ImageConfig: true,
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range b.Stages {
				for _, st := range s.Steps {
					if st.Instruction != "ENV" && st.Instruction != "LABEL" {
						continue
					}
					for _, kv := range st.KVs {
						if m, ok := secrets.Assignment(kv.Key, kv.Raw); ok {
							r.Report(s.Subject, kv.At, "%s %s holds a %s (%s)", st.Instruction, kv.Key, m.Kind, secrets.Redact(m.Value))
						}
					}
				}
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			// env_file variables may be both in the environment and in
			// EnvFiles: judge each written place once.
			seen := map[facts.Location]bool{}
			for _, list := range [][]facts.EnvVar{c.Env, c.EnvFiles} {
				for _, e := range list {
					if e.Dynamic || seen[e.At] {
						continue
					}
					seen[e.At] = true
					if m, ok := secrets.Assignment(e.Name, e.Value); ok {
						r.Report(c.Subject, e.At, "environment variable %s holds a %s (%s)", e.Name, m.Kind, secrets.Redact(m.Value))
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
				l := c.Labels[k]
				if l.State != facts.Set {
					continue
				}
				if m, ok := secrets.Assignment(k, l.V); ok {
					r.Report(c.Subject, l.At, "label %s holds a %s (%s)", k, m.Kind, secrets.Redact(m.Value))
				}
			}
		},
		Script: func(s *facts.Script, r *Reporter) {
			for _, e := range s.Env {
				if e.Dynamic {
					continue
				}
				if m, ok := secrets.Assignment(e.Name, e.Value); ok {
					r.Report(s.Subject, e.At, "environment variable %s holds a %s (%s)", e.Name, m.Kind, secrets.Redact(m.Value))
				}
			}
			for _, c := range s.Credentials {
				if m, ok := secrets.Assignment("password", c.Value); ok {
					r.Report(s.Subject, c.At, "%s is given a %s (%s)", c.What, m.Kind, secrets.Redact(m.Value))
				}
			}
		},
	})
}
