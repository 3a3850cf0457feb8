package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// image-latest: an image is used with the `latest` tag, a latest variant
// (latest-rpi, alpine-latest), or with no tag (which
// Docker reads as latest).
func init() {
	register(&Rule{
		ID:          "DG502",
		Slug:        "image-latest",
		Control:     "image-pinning",
		Threat:      ThreatImages,
		Severity:    Medium,
		Title:       "Image uses latest or no tag",
		Rationale:   "`latest` moves: each build or pull may get a different image, including a compromised one, and nothing records which one ran.",
		Remediation: "Pin a version and its digest: `FROM alpine:3.20@sha256:<digest>` (`docker buildx imagetools inspect alpine:3.20` prints it).",
		References:  []string{"CIS Docker Benchmark 4.2"},
		Doc:         "Every build may get a different image, so a poisoned or broken push reaches production unnoticed and no build can be reproduced. Stages referenced by name and `scratch` are not images. A latest tag of one variant (`latest-rpi`, `alpine-latest`) moves the same way and is reported here too, not as image-unpinned.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range b.Stages {
				ref := s.Base
				if !ref.IsSet() || ref.V.Scratch || ref.V.Digest != "" {
					continue
				}
				switch ref.V.Tag {
				case "":
					r.Report(s.Subject, s.From, "FROM %s has no tag, so Docker pulls latest", ref.V.Raw)
				case "latest":
					r.Report(s.Subject, s.From, "FROM %s uses the latest tag", ref.V.Raw)
				default:
					if latestVariant(ref.V.Tag) {
						r.Report(s.Subject, s.From, "FROM %s uses %s, a latest tag of one variant, which moves as latest does", ref.V.Raw, ref.V.Tag)
					}
				}
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			ref, ok := pulledImage(c)
			if !ok || ref.Digest != "" {
				return
			}
			switch ref.Tag {
			case "":
				r.Report(c.Subject, c.Image.At, "image %s has no tag, so %s pulls latest", ref.Raw, describeEngine(c))
			case "latest":
				r.Report(c.Subject, c.Image.At, "image %s uses the latest tag", ref.Raw)
			default:
				if latestVariant(ref.Tag) {
					r.Report(c.Subject, c.Image.At, "image %s uses %s, a latest tag of one variant, which moves as latest does", ref.Raw, ref.Tag)
				}
			}
		},
	})
}

// latestVariant reports a tag that is latest for one variant of an image
// (latest-rpi, alpine-latest): it moves with every release as latest
// does.
func latestVariant(tag string) bool {
	t := strings.ToLower(tag)
	return strings.HasPrefix(t, "latest-") || strings.HasSuffix(t, "-latest")
}
