package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/secrets"
	"github.com/dockguard/dockguard/internal/shell"
)

// secret-in-run: a RUN step holds a credential: a known token format or
// private key anywhere in its text (heredocs included), a high-entropy
// value assigned to a secret-like variable (`TOKEN=… npm ci`, `export …`),
// or a literal password given to a login command (`docker login -p …`,
// `--password …`, `--token …`).
func init() {
	register(&Rule{
		ID:          "DG603",
		Slug:        "secret-in-run",
		Control:     "secrets-build",
		Threat:      ThreatSecrets,
		Severity:    High,
		Title:       "Secret in a RUN step",
		Rationale:   "RUN commands are recorded verbatim in the image history (`docker history --no-trunc`) and in build logs, so a credential written there leaks with the image.",
		Remediation: "Rotate the credential, then mount it for the one step that needs it: `RUN --mount=type=secret,id=token TOKEN=$(cat /run/secrets/token) ./fetch.sh`.",
		References:  []string{"CIS Docker Benchmark 4.10"},
		Doc:         "The RUN text is kept in the image history and the build logs; the fix is a build secret mounted for that one step. Values read from a mounted secret (`$(cat /run/secrets/x)`) or a variable are not literal and not reported.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range b.Stages {
				for _, st := range s.Steps {
					if st.Instruction != "RUN" {
						continue
					}
					seen := map[string]bool{}
					report := func(at facts.Location, what string, m secrets.Match) {
						if seen[m.Value] {
							return
						}
						seen[m.Value] = true
						r.Report(s.Subject, at, "%s a %s (%s)", what, m.Kind, secrets.Redact(m.Value))
					}
					for i, line := range st.Lines {
						for _, m := range secrets.Known(line) {
							report(facts.Location{Path: st.At.Path, Line: st.At.Line + i, Column: m.Start + 1}, "RUN holds", m)
						}
					}
					for _, c := range st.Commands {
						for _, a := range c.Assigns {
							if m, ok := secrets.Assignment(a.Key, a.Value); ok {
								report(a.At, "RUN sets "+a.Key+" to", m)
							}
						}
						if v, flag := passwordArg(c.Args); v != "" {
							if m, ok := secrets.Assignment("password", v); ok {
								report(c.At, "RUN passes "+flag+" with", m)
							}
						}
					}
				}
			}
		},
	})
}

// passwordArg returns a literal credential given on a command line and the
// flag that carries it.
func passwordArg(all []string) (string, string) {
	args := shell.WithoutSudo(all)
	login := len(args) > 1 && args[1] == "login"
	for i := 1; i < len(args); i++ {
		a := args[i]
		for _, f := range []string{"--password", "--token", "--api-key", "--client-secret"} {
			if a == f && i+1 < len(args) {
				return args[i+1], f
			}
			if strings.HasPrefix(a, f+"=") {
				return strings.TrimPrefix(a, f+"="), f
			}
		}
		if login && a == "-p" && i+1 < len(args) {
			return args[i+1], "-p"
		}
	}
	return "", ""
}
