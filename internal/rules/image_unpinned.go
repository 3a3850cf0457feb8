package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// image-unpinned: an image is named by tag only, without a digest.
func init() {
	register(&Rule{
		ID:          "DG501",
		Slug:        "image-unpinned",
		Control:     "image-pinning",
		Threat:      ThreatImages,
		Severity:    Low,
		Title:       "Image not pinned by digest",
		Rationale:   "A tag can be moved to another image at any time; only a digest guarantees that the image you reviewed is the image you build on.",
		Remediation: "Add the digest to the tag: `FROM node:22-alpine@sha256:<digest>`, and let a bot (Renovate, Dependabot) update it.",
		References:  []string{"CIS Docker Benchmark 4.2"},
		OffWhen:     func(c *Config) bool { return c.NoDigestPinning },
		Doc:         "Tags are mutable: whoever controls the registry (or the account) can move a tag to another image. Only a digest names exactly one image. Low, since nearly every Dockerfile does this; `latest`, its variants (latest-rpi) and missing tags are image-latest.",
		Image: func(im *facts.Image, r *Reporter) {
			if !im.ByTag {
				return
			}
			if im.Digest != "" {
				r.Report(im.Subject, facts.Location{Image: im.Ref}, "%s was named by tag; pin it by digest: @%s", im.Ref, im.Digest)
			} else {
				r.Report(im.Subject, facts.Location{Image: im.Ref}, "%s was named by tag, not by digest", im.Ref)
			}
		},
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range b.Stages {
				ref := s.Base
				if !ref.IsSet() || ref.V.Scratch || ref.V.Digest != "" || ref.V.Tag == "" || ref.V.Tag == "latest" || latestVariant(ref.V.Tag) {
					continue
				}
				r.Report(s.Subject, s.From, "FROM %s is pinned by tag only, not by digest", ref.V.Raw)
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			ref, ok := pulledImage(c)
			if !ok || ref.Digest != "" || ref.Tag == "" || ref.Tag == "latest" || latestVariant(ref.Tag) {
				return
			}
			r.Report(c.Subject, c.Image.At, "image %s is pinned by tag only, not by digest", ref.Raw)
		},
	})
}
