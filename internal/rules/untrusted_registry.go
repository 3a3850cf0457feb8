package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// untrusted-registry: an image comes from a registry that is not on the
// trusted list (--trusted-registry). With no list, every registry is trusted
// and the rule reports nothing.
func init() {
	register(&Rule{
		ID:          "DG503",
		Slug:        "untrusted-registry",
		Control:     "image-trust",
		Threat:      ThreatImages,
		Severity:    Medium,
		Title:       "Image from a registry that is not trusted",
		Rationale:   "Images from registries outside the ones you control or vetted bypass your scanning and signing; a typo-squatted name on a public registry is a classic way in.",
		Remediation: "Mirror the image into a trusted registry and reference it there, or add the registry to the trusted list.",
		References:  []string{"CIS Docker Benchmark 4.2"},
		Doc:         "Registries are compared the way Docker resolves names: `nginx` and `library/nginx` are docker.io. An entry may name a registry (`ghcr.io`) or a registry and path prefix (`ghcr.io/acme`).",
		Build: func(b *facts.Build, r *Reporter) {
			trusted := r.Config().TrustedRegistries
			if len(trusted) == 0 {
				return
			}
			for _, s := range b.Stages {
				ref := s.Base
				if !ref.IsSet() || ref.V.Scratch {
					continue
				}
				if !registryTrusted(ref.V, trusted) {
					r.Report(s.Subject, s.From, "FROM %s: registry %s is not in the trusted list (%s)", ref.V.Raw, ref.V.Registry, strings.Join(trusted, ", "))
				}
			}
		},
		Container: func(c *facts.Container, r *Reporter) {
			trusted := r.Config().TrustedRegistries
			ref, ok := pulledImage(c)
			if len(trusted) == 0 || !ok {
				return
			}
			if !registryTrusted(ref, trusted) {
				r.Report(c.Subject, c.Image.At, "image %s: registry %s is not in the trusted list (%s)", ref.Raw, ref.Registry, strings.Join(trusted, ", "))
			}
		},
	})
}

func registryTrusted(ref facts.ImageRef, trusted []string) bool {
	full := ref.Registry + "/" + ref.Repo
	for _, t := range trusted {
		t = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(t)), "/")
		host, rest, _ := strings.Cut(t, "/")
		if t = facts.Registry(host); rest != "" {
			t += "/" + rest
		}
		if full == t || strings.HasPrefix(full, t+"/") {
			return true
		}
	}
	return false
}
