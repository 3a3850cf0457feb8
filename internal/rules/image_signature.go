package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// image-signature: a signature was required (--verify-key, or a keyless
// --certificate-identity and --certificate-oidc-issuer) and the image has
// none that verifies.
func init() {
	register(&Rule{
		ID:          "DG505",
		Slug:        "image-signature",
		Control:     "image-trust",
		Threat:      ThreatImages,
		Severity:    High,
		Title:       "Image signature missing or invalid",
		Rationale:   "A signature proves who published an image; without a valid one, an image pushed by anyone who got write access to the registry or the tag runs as if it were yours.",
		Remediation: "Sign the image digest with cosign (`cosign sign --key cosign.key REGISTRY/IMAGE@sha256:<digest>`, or keyless in CI) and audit it where the signature lives: `dockguard audit --image registry:REF --verify-key cosign.pub`.",
		References:  []string{"CIS Docker Benchmark 4.5"},
		Doc:         "Only a signature ties an image to whoever was meant to build it: a registry account or a tag can be taken over, a digest only says which image it is. The rule judges nothing unless verification was asked for; an image whose signature cannot even be looked up (a docker save archive, an image the daemon has no registry digest for, an unreachable registry) is reported too, so a requirement never passes silently.",
		Image: func(im *facts.Image, r *Reporter) {
			s := im.Signature
			if s == nil {
				return
			}
			at := facts.Location{Image: im.Ref}
			switch s.Status {
			case facts.SignatureUnsigned:
				r.Report(im.Subject, at, "%s is not signed (a signature by %s is required): %s", im.Ref, s.Signer, s.Problem)
			case facts.SignatureInvalid:
				r.Report(im.Subject, at, "%s has no valid signature by %s: %s", im.Ref, s.Signer, s.Problem)
			case facts.SignatureUnverifiable:
				r.Report(im.Subject, at, "%s cannot be verified (a signature by %s is required): %s", im.Ref, s.Signer, s.Problem)
			}
		},
	})
}
