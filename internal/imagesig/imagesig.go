// Package imagesig verifies cosign signatures of an image's manifest
// digest, in both formats cosign writes: the legacy `sha256-<hex>.sig`
// manifest (one simple-signing payload per layer, the signature in an
// annotation) and Sigstore bundles attached as OCI referrers. Keys and
// legacy signatures are checked with github.com/sigstore/sigstore, bundles
// and keyless (Fulcio certificate) signatures with sigstore-go.
//
// The package judges signatures it is handed; finding them (registry, OCI
// layout) is the image source's job.
package imagesig

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Media types and annotations cosign writes.
const (
	// BundleArtifactType is the artifactType of the referrer manifest
	// `cosign sign --new-bundle-format` attaches; its one layer is the
	// bundle JSON, with a media type of this prefix.
	BundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	BundleMediaPrefix  = "application/vnd.dev.sigstore.bundle"

	// Legacy .sig layer annotations.
	SignatureAnnotation   = "dev.cosignproject.cosign/signature"
	CertificateAnnotation = "dev.sigstore.cosign/certificate"
	ChainAnnotation       = "dev.sigstore.cosign/chain"
	BundleAnnotation      = "dev.sigstore.cosign/bundle"
	TimestampAnnotation   = "dev.sigstore.cosign/rfc3161timestamp"

	// signPredicate is the in-toto predicate type of the statement cosign
	// signs for an image in a bundle; other predicate types are
	// attestations (SBOM, provenance), not signatures of the image.
	signPredicate = "https://sigstore.dev/cosign/sign/v1"
	// simpleSigningType is the critical.type of a legacy payload.
	simpleSigningType = "cosign container image signature"
)

// Formats, as the report names them.
const (
	FormatLegacy = "cosign .sig"
	FormatBundle = "Sigstore bundle"
)

// MaxSignatureSize caps what is read of one signature layer or bundle.
const MaxSignatureSize = 4 << 20

// Policy is what the user requires: a signature made with a key (a cosign
// public key file), or a keyless signature whose Fulcio certificate names an
// identity and OIDC issuer, checked against a trusted root.
type Policy struct {
	KeyFile  string
	Identity string
	Issuer   string
	// IdentityRegexp and IssuerRegexp match the certificate's SAN and
	// issuer with a regular expression (Go syntax, as cosign's
	// --certificate-identity-regexp), in place of Identity and Issuer.
	IdentityRegexp string
	IssuerRegexp   string
	TrustedRoot    string // trusted_root.json; "" fetches the public-good root
}

// keyless tells whether a keyless identity or issuer was given.
func (p Policy) keyless() bool {
	return p.Identity != "" || p.Issuer != "" || p.IdentityRegexp != "" || p.IssuerRegexp != ""
}

// Requested tells whether any verification was asked for.
func (p Policy) Requested() bool {
	return p.KeyFile != "" || p.keyless() || p.TrustedRoot != ""
}

// signerText names the required keyless signer for the report.
func (p Policy) signerText() string {
	id, iss := p.Identity, p.Issuer
	if id == "" {
		id = "matching " + p.IdentityRegexp
	}
	if iss == "" {
		iss = "matching " + p.IssuerRegexp
	}
	return fmt.Sprintf("certificate identity %s (issuer %s)", id, iss)
}

// Verifier checks signatures against one policy. It is safe for
// concurrent use.
type Verifier struct {
	signer string // how the report names the required signer

	key         signature.Verifier
	keyMaterial root.TrustedMaterial

	identity *verify.CertificateIdentity
	trusted  root.TrustedMaterial
	ctlogs   bool
}

// New loads the key or the trusted root the policy names. A file that
// cannot be read or parsed is an error naming it.
func New(p Policy) (*Verifier, error) {
	switch {
	case p.KeyFile != "" && p.keyless():
		return nil, errors.New("--verify-key and --certificate-identity/--certificate-oidc-issuer exclude each other: give a key or a keyless identity")
	case p.KeyFile != "":
		if p.TrustedRoot != "" {
			return nil, errors.New("--trusted-root is for keyless verification (--certificate-identity), not with --verify-key")
		}
		return newKeyVerifier(p.KeyFile)
	case p.Identity != "" && p.IdentityRegexp != "":
		return nil, errors.New("give --certificate-identity or --certificate-identity-regexp, not both")
	case p.Issuer != "" && p.IssuerRegexp != "":
		return nil, errors.New("give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both")
	case p.Identity == "" && p.IdentityRegexp == "" || p.Issuer == "" && p.IssuerRegexp == "":
		return nil, errors.New("keyless verification needs an identity (--certificate-identity or --certificate-identity-regexp) and an issuer (--certificate-oidc-issuer or --certificate-oidc-issuer-regexp)")
	}
	id, err := verify.NewShortCertificateIdentity(p.Issuer, p.IssuerRegexp, p.Identity, p.IdentityRegexp)
	if err != nil {
		return nil, fmt.Errorf("certificate identity: %w", err)
	}
	var tr *root.TrustedRoot
	if p.TrustedRoot != "" {
		b, err := os.ReadFile(p.TrustedRoot)
		if err != nil {
			return nil, fmt.Errorf("trusted root: %w", err)
		}
		tr, err = root.NewTrustedRootFromJSON(b)
		if err != nil {
			return nil, fmt.Errorf("trusted root %s: not a Sigstore trusted root: %w", p.TrustedRoot, err)
		}
	} else {
		tr, err = root.FetchTrustedRoot()
		if err != nil {
			return nil, fmt.Errorf("fetching the Sigstore public-good trusted root (give --trusted-root FILE to verify offline): %w", err)
		}
	}
	return &Verifier{
		signer:   p.signerText(),
		identity: &id,
		trusted:  tr,
		ctlogs:   len(tr.CTLogs()) > 0,
	}, nil
}

func newKeyVerifier(file string) (*Verifier, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("verification key: %w", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("verification key %s: not a PEM public key: %w", file, err)
	}
	sv, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("verification key %s: %w", file, err)
	}
	// A key is trusted at any time: it carries no validity window.
	ek := root.NewExpiringKey(sv, time.Time{}, time.Time{})
	return &Verifier{
		signer: "key " + file,
		key:    sv,
		keyMaterial: root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return ek, nil
		}),
	}, nil
}

// Signer names the signer the policy requires (key file, or certificate
// identity and issuer).
func (v *Verifier) Signer() string { return v.signer }

// Legacy is one layer of a `sha256-<hex>.sig` manifest: the payload (the
// layer's bytes) and the layer's annotations.
type Legacy struct {
	Payload     []byte
	Annotations map[string]string
}

// Found is every signature found for one image digest.
type Found struct {
	Legacy  []Legacy
	Bundles [][]byte // bundle JSON documents
}

// Outcome is the verdict on one digest.
type Outcome struct {
	Verified bool
	Format   string // of the verified signature
	Signer   string
	// Unsigned is set when no signature was found at all.
	Unsigned bool
	// Problem says why nothing verified.
	Problem string
}

// Check verifies the signatures found for digest (sha256:<hex>): the image
// is verified when any one of them is valid under the policy.
func (v *Verifier) Check(digest string, found Found) Outcome {
	alg, hexd, ok := strings.Cut(digest, ":")
	raw, err := hex.DecodeString(hexd)
	if !ok || alg != "sha256" || err != nil || len(raw) != sha256.Size {
		return Outcome{Problem: fmt.Sprintf("the image digest %q is not a sha256 digest", digest)}
	}
	var problems []string
	seen := map[string]bool{}
	add := func(format string, err error) {
		p := format + ": " + err.Error()
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p)
		}
	}
	signatures := 0
	for _, l := range found.Legacy {
		signatures++
		if err := v.checkLegacy(digest, l); err != nil {
			add(FormatLegacy, err)
			continue
		}
		return Outcome{Verified: true, Format: FormatLegacy, Signer: v.signer}
	}
	attestations := 0
	for _, b := range found.Bundles {
		err := v.checkBundle(raw, b)
		if errors.Is(err, errNotSignature) {
			attestations++
			continue
		}
		signatures++
		if err != nil {
			add(FormatBundle, err)
			continue
		}
		return Outcome{Verified: true, Format: FormatBundle, Signer: v.signer}
	}
	if signatures == 0 {
		msg := "no cosign signature found (neither a .sig tag nor a Sigstore bundle referrer)"
		if attestations > 0 {
			msg += fmt.Sprintf("; %d attestation bundle(s) of other predicate types are not signatures", attestations)
		}
		return Outcome{Unsigned: true, Problem: msg}
	}
	if len(problems) > 3 {
		problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
	}
	return Outcome{Problem: strings.Join(problems, "; ")}
}

// payload is the simple-signing document a legacy signature signs.
type payload struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// checkLegacy verifies one .sig layer: the signature over the payload
// (with the key, or with the certificate under the trusted root and
// identity), then that the payload names this digest: a valid signature of
// another image copied here is not a signature of this one.
func (v *Verifier) checkLegacy(digest string, l Legacy) error {
	b64 := l.Annotations[SignatureAnnotation]
	if b64 == "" {
		return errors.New("a layer without the " + SignatureAnnotation + " annotation")
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("the signature annotation is not base64: %w", err)
	}
	if v.key != nil {
		if err := v.key.VerifySignature(bytes.NewReader(sig), bytes.NewReader(l.Payload)); err != nil {
			return fmt.Errorf("signature does not verify with %s (another key, or a tampered signature or payload)", v.signer)
		}
	} else if err := v.checkLegacyKeyless(sig, l); err != nil {
		return err
	}
	var p payload
	if err := json.Unmarshal(l.Payload, &p); err != nil {
		return fmt.Errorf("the signed payload is not simple-signing JSON: %w", err)
	}
	if p.Critical.Type != simpleSigningType {
		return fmt.Errorf("the signed payload's type is %q, not %q", p.Critical.Type, simpleSigningType)
	}
	if got := p.Critical.Image.DockerManifestDigest; got != digest {
		return fmt.Errorf("digest mismatch: the signature is for %s, not this image's %s", got, digest)
	}
	return nil
}

// errNotSignature marks a bundle that is an attestation, not a signature.
var errNotSignature = errors.New("not a signature")

// checkBundle verifies one Sigstore bundle whose artifact is the image
// digest: a DSSE envelope whose in-toto statement has the digest as a
// subject and cosign's sign predicate type (what `cosign sign
// --new-bundle-format` writes), or a message signature over the digest.
func (v *Verifier) checkBundle(digest []byte, raw []byte) error {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return fmt.Errorf("not a valid bundle: %w", err)
	}
	if env, err := b.Envelope(); err == nil && env != nil {
		st, err := env.Statement()
		if err != nil {
			return fmt.Errorf("the bundle's envelope holds no in-toto statement: %w", err)
		}
		if st.GetPredicateType() != signPredicate {
			return errNotSignature
		}
	}
	artifact := verify.WithArtifactDigest("sha256", digest)
	var (
		vr  *verify.Verifier
		pol verify.PolicyBuilder
		err error
	)
	if v.key != nil {
		if vc, err := b.VerificationContent(); err == nil && vc.Certificate() != nil {
			return errors.New("signed with a certificate (keyless), not with " + v.signer)
		}
		vr, err = verify.NewVerifier(v.keyMaterial, verify.WithNoObserverTimestamps())
		pol = verify.NewPolicy(artifact, verify.WithKey())
	} else {
		opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
		if entries, _ := b.TlogEntries(); len(entries) > 0 {
			opts = append(opts, verify.WithTransparencyLog(1))
		}
		if v.ctlogs {
			opts = append(opts, verify.WithSignedCertificateTimestamps(1))
		}
		vr, err = verify.NewVerifier(v.trusted, opts...)
		pol = verify.NewPolicy(artifact, verify.WithCertificateIdentity(*v.identity))
	}
	if err != nil {
		return err
	}
	if _, err := vr.Verify(&b, pol); err != nil {
		return explain(err, v)
	}
	return nil
}

// explain turns sigstore-go's errors into the reason a user acts on.
func explain(err error, v *Verifier) error {
	msg := err.Error()
	var idErr *verify.ErrNoMatchingCertificateIdentity
	switch {
	case errors.As(err, &idErr) || strings.Contains(msg, "no matching CertificateIdentity"):
		return fmt.Errorf("identity mismatch: the certificate is not for %s (%v)", v.signer, err)
	case strings.Contains(msg, "failed to verify leaf certificate") || strings.Contains(msg, "certificate signed by unknown authority"):
		return fmt.Errorf("untrusted certificate: it does not chain to a certificate authority of the trusted root (%v)", err)
	case strings.Contains(msg, "failed to verify log inclusion"):
		return fmt.Errorf("untrusted transparency log entry: no log of the trusted root vouches for it (%v)", err)
	case strings.Contains(msg, "failed to verify timestamps"):
		return fmt.Errorf("no timestamp from a log or timestamp authority of the trusted root, needed for a short-lived certificate (%v)", err)
	case strings.Contains(msg, "artifact digest") || strings.Contains(msg, "subject digest") || strings.Contains(msg, "provided artifact digests"):
		return fmt.Errorf("digest mismatch: the bundle does not sign this image's digest (%v)", err)
	case v.key != nil && strings.Contains(msg, "verif"):
		return fmt.Errorf("signature does not verify with %s (another key, or a tampered bundle): %v", v.signer, err)
	}
	return err
}
