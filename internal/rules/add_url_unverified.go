package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// add-url-unverified: ADD fetches a URL with no --checksum.
func init() {
	register(&Rule{
		ID:          "DG511",
		Slug:        "add-url-unverified",
		Control:     "unverified-downloads",
		Threat:      ThreatImages,
		Severity:    Low,
		Title:       "ADD from a URL without a checksum",
		Rationale:   "ADD trusts whatever the URL serves at build time; a compromised or changed download goes into the image unnoticed.",
		Remediation: "Add the expected digest: `ADD --checksum=sha256:<digest> https://… /dest` (Dockerfile syntax 1.6+), or download with curl and check it with sha256sum.",
		References:  []string{"CIS Docker Benchmark 4.9"},
		Doc:         "ADD downloads at build time and trusts whatever arrives; BuildKit's --checksum=sha256:… makes the build fail when the content changes.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range b.Stages {
				for _, st := range s.Steps {
					if st.Instruction != "ADD" || st.Flags["checksum"] != "" {
						continue
					}
					for _, src := range st.Sources {
						l := strings.ToLower(src)
						if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
							r.Report(s.Subject, st.At, "ADD %s has no --checksum", src)
						}
					}
				}
			}
		},
	})
}
