package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// content-trust-disabled: image verification is switched off on the
// command line (`--disable-content-trust`, `DOCKER_CONTENT_TRUST=0`).
//
// Docker Content Trust (Notary v1) is being retired; the finding is about
// the intent: a script that turns verification off will not verify
// signatures under a newer scheme either.
func init() {
	register(&Rule{
		ID:          "DG504",
		Slug:        "content-trust-disabled",
		Control:     "image-trust",
		Threat:      ThreatImages,
		Severity:    Medium,
		Title:       "Image verification switched off",
		Rationale:   "Turning off content trust runs whatever image the registry returns, signed or not, even where the environment requires signatures.",
		Remediation: "Remove `--disable-content-trust` / `DOCKER_CONTENT_TRUST=0`; verify signatures with cosign or notation before running (`cosign verify <image>`).",
		References:  []string{"CIS Docker Benchmark 4.5"},
		Surfaces:    []Surface{SurfaceRun},
		Container: func(c *facts.Container, r *Reporter) {
			if v := c.DisableContentTrust; v.IsSet() && v.V {
				r.Report(c.Subject, v.At, "image verification is switched off (--disable-content-trust)")
			}
		},
	})
}
