package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// context-copy-unfiltered: `COPY . .` (or ADD, or `*`) copies the whole
// build context into a stage that ends up in the image, and no .dockerignore
// keeps secrets out: either there is no ignore file at all, or sensitive
// files (.env, .git, private keys, .npmrc, …) sit in the context and the
// ignore file does not exclude them.
func init() {
	register(&Rule{
		ID:          "DG605",
		Slug:        "context-copy-unfiltered",
		Control:     "secrets-build",
		Threat:      ThreatSecrets,
		Severity:    Low,
		Title:       "Whole build context copied without a .dockerignore",
		Rationale:   "`COPY . .` takes every file of the context: `.env` files, `.git` (with its history and any credentials in its config), keys. Once in a layer they stay there even if a later step deletes them.",
		Remediation: "Add a `.dockerignore` with at least `.git`, `.env*`, `*.pem`, `*.key`, `id_*`, `.npmrc`, or copy only what the image needs (`COPY src/ ./src/`).",
		References:  []string{"CIS Docker Benchmark 4.10"},
		Doc:         "Builder stages are not judged: only what is copied out of them reaches the image.",
		Build: func(b *facts.Build, r *Reporter) {
			if b.Ignore != nil && len(b.ExposedInContext) == 0 {
				return
			}
			for _, s := range runtimeStages(b) {
				for _, st := range s.Steps {
					if (st.Instruction != "COPY" && st.Instruction != "ADD") || st.From != "" {
						continue
					}
					if !copiesWholeContext(st.Sources) {
						continue
					}
					switch {
					case b.Ignore == nil && len(b.ExposedInContext) > 0:
						r.Report(s.Subject, st.At, "%s copies the whole build context and there is no .dockerignore: %s would be copied into the image", st.Instruction, strings.Join(b.ExposedInContext, ", "))
					case b.Ignore == nil:
						r.Report(s.Subject, st.At, "%s copies the whole build context and there is no .dockerignore to keep .env files, .git or keys out", st.Instruction)
					default:
						r.Report(s.Subject, st.At, "%s copies the whole build context and %s does not exclude %s", st.Instruction, b.Ignore.Path, strings.Join(b.ExposedInContext, ", "))
					}
				}
			}
		},
	})
}

func copiesWholeContext(sources []string) bool {
	for _, s := range sources {
		switch strings.TrimSuffix(s, "/") {
		case ".", "", "*", "./*", ".*":
			return true
		}
	}
	return false
}
