package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/imagesig"
	"github.com/dockguard/dockguard/internal/imagesig/sigtest"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/image/imagetest"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	cosignlayout "github.com/sigstore/cosign/v3/pkg/oci/layout"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
)

// signedSetup is one registry, two images (app:1 and app:2) and two cosign
// key pairs.
type signedSetup struct {
	host         string
	dir          string
	d1, d2       name.Digest
	ref1, ref2   string             // registry:HOST/app:1 and :2
	priv, pub    string             // the key pair that signs
	otherPub     string             // another key pair's public key
	keyV, otherV *imagesig.Verifier // verify with pub, with otherPub
}

func newSignedSetup(t *testing.T) *signedSetup {
	t.Helper()
	s := &signedSetup{dir: t.TempDir(), host: sigtest.Registry(t)}
	s.d1 = sigtest.Push(t, s.host+"/app:1", imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/one", Body: "1"}))
	s.d2 = sigtest.Push(t, s.host+"/app:2", imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/two", Body: "2"}))
	s.ref1, s.ref2 = "registry:"+s.host+"/app:1", "registry:"+s.host+"/app:2"
	s.priv, s.pub = sigtest.KeyPair(t, s.dir)
	other := filepath.Join(s.dir, "other")
	os.Mkdir(other, 0o755)
	_, s.otherPub = sigtest.KeyPair(t, other)
	var err error
	if s.keyV, err = imagesig.New(imagesig.Policy{KeyFile: s.pub}); err != nil {
		t.Fatal(err)
	}
	if s.otherV, err = imagesig.New(imagesig.Policy{KeyFile: s.otherPub}); err != nil {
		t.Fatal(err)
	}
	return s
}

// load reads ref with verification v and returns the image and the
// image-signature findings.
func loadVerified(t *testing.T, ref string, v *imagesig.Verifier) (*facts.Image, []rules.Finding) {
	t.Helper()
	res, err := Load(context.Background(), ref, Options{Verify: v})
	if err != nil {
		t.Fatal(err)
	}
	var out []rules.Finding
	for _, f := range findings(res.Image, rules.Config{}) {
		if f.Rule.Slug == "image-signature" {
			out = append(out, f)
		}
	}
	return res.Image, out
}

func wantVerified(t *testing.T, im *facts.Image, fs []rules.Finding, format, signer string) {
	t.Helper()
	if len(fs) != 0 {
		t.Errorf("findings for a valid signature: %v", fs[0].Message)
	}
	s := im.Signature
	if s == nil || s.Status != facts.SignatureVerified || s.Format != format {
		t.Fatalf("signature: %+v, want verified %s", s, format)
	}
	var note string
	for _, n := range im.Notes {
		if strings.HasPrefix(n.Message, "signature verified") {
			note = n.Message
		}
	}
	if !strings.Contains(note, format) || !strings.Contains(note, signer) {
		t.Errorf("note %q does not name the format %q and the signer %q", note, format, signer)
	}
}

func wantFinding(t *testing.T, im *facts.Image, fs []rules.Finding, status facts.SignatureStatus, reason string) {
	t.Helper()
	if im.Signature == nil || im.Signature.Status != status {
		t.Fatalf("signature: %+v, want %s", im.Signature, status)
	}
	if len(fs) != 1 || fs[0].Rule.ID != "DG505" || fs[0].Severity != rules.High {
		t.Fatalf("want one high DG505 finding, got %v", fs)
	}
	if !strings.Contains(fs[0].Message, reason) {
		t.Errorf("finding %q does not say %q", fs[0].Message, reason)
	}
}

// TestSignatureKeyLegacyAndBundle signs with cosign's sign command, in the
// legacy .sig format and as a Sigstore bundle referrer: the right key
// verifies each (a note names the format and the key), another key does
// not, an unsigned image is a finding, and without a policy nothing is
// checked.
func TestSignatureKeyLegacyAndBundle(t *testing.T) {
	s := newSignedSetup(t)
	sigtest.Sign(t, s.d1.String(), s.priv, false)
	sigtest.Sign(t, s.d2.String(), s.priv, true)

	im, fs := loadVerified(t, s.ref1, s.keyV)
	wantVerified(t, im, fs, imagesig.FormatLegacy, "key "+s.pub)
	im, fs = loadVerified(t, s.ref2, s.keyV)
	wantVerified(t, im, fs, imagesig.FormatBundle, "key "+s.pub)

	im, fs = loadVerified(t, s.ref1, s.otherV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "does not verify with key "+s.otherPub)
	im, fs = loadVerified(t, s.ref2, s.otherV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "does not verify with key "+s.otherPub)

	d3 := sigtest.Push(t, s.host+"/app:3", imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/three", Body: "3"}))
	im, fs = loadVerified(t, "registry:"+d3.String(), s.keyV)
	wantFinding(t, im, fs, facts.SignatureUnsigned, "is not signed")

	im, fs = loadVerified(t, s.ref1, nil)
	if im.Signature != nil || len(fs) != 0 {
		t.Errorf("no policy, yet a verdict: %+v %v", im.Signature, fs)
	}
}

// rawManifest pushes manifest bytes as they are.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// TestSignatureLegacyCopiedAndTampered: a valid .sig of another image
// copied to this image's .sig tag is a digest mismatch; a .sig whose
// signature annotation was altered does not verify.
func TestSignatureLegacyCopiedAndTampered(t *testing.T) {
	s := newSignedSetup(t)
	sigtest.Sign(t, s.d1.String(), s.priv, false)
	repo := s.d1.Context()
	desc, err := remote.Get(repo.Tag(sigTag(s.d1.DigestStr())))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(repo.Tag(sigTag(s.d2.DigestStr())), rawManifest{desc.Manifest, desc.MediaType}); err != nil {
		t.Fatal(err)
	}
	im, fs := loadVerified(t, s.ref2, s.keyV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "digest mismatch: the signature is for "+s.d1.DigestStr())

	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(m.Layers[0].Annotations[imagesig.SignatureAnnotation])
	sig[len(sig)/2] ^= 1
	m.Layers[0].Annotations[imagesig.SignatureAnnotation] = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	if err := remote.Put(repo.Tag(sigTag(s.d1.DigestStr())), rawManifest{b, desc.MediaType}); err != nil {
		t.Fatal(err)
	}
	im, fs = loadVerified(t, s.ref1, s.keyV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "does not verify with key "+s.pub)
}

// TestSignatureKeyless signs keyless with a virtual Sigstore (Fulcio CA,
// Rekor, TSA; cosign's keyless signing needs the real services) into a
// bundle laid out as cosign sign --new-bundle-format writes it, attached
// with cosign's own referrer writer, and verifies it offline against the
// virtual trusted root: the right identity and issuer verify; another
// identity, another issuer, a bundle naming another digest and another
// trusted root do not.
func TestSignatureKeyless(t *testing.T) {
	s := newSignedSetup(t)
	ss := sigtest.NewSigstore(t, s.dir)
	const id, iss = "ci@example.com", "https://issuer.example.com"
	ss.SignKeyless(t, s.d1, s.d1.DigestStr(), id, iss)
	ss.SignKeyless(t, s.d2, s.d1.DigestStr(), id, iss) // names d1, attached to d2

	verifier := func(root, id, iss string) *imagesig.Verifier {
		v, err := imagesig.New(imagesig.Policy{Identity: id, Issuer: iss, TrustedRoot: root})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	im, fs := loadVerified(t, s.ref1, verifier(ss.Root, id, iss))
	wantVerified(t, im, fs, imagesig.FormatBundle, "certificate identity "+id+" (issuer "+iss+")")

	im, fs = loadVerified(t, s.ref1, verifier(ss.Root, "mallory@example.com", iss))
	wantFinding(t, im, fs, facts.SignatureInvalid, "identity mismatch")

	// Regular expressions in place of the exact identity and issuer.
	byRegexp := func(idRe, issRe string) *imagesig.Verifier {
		v, err := imagesig.New(imagesig.Policy{IdentityRegexp: idRe, IssuerRegexp: issRe, TrustedRoot: ss.Root})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	im, fs = loadVerified(t, s.ref1, byRegexp(`^ci@example\.com$`, `^https://issuer\.example\.com$`))
	wantVerified(t, im, fs, imagesig.FormatBundle, `certificate identity matching ^ci@example\.com$ (issuer matching ^https://issuer\.example\.com$)`)
	im, fs = loadVerified(t, s.ref1, byRegexp(`^ops@example\.com$`, `.*`))
	wantFinding(t, im, fs, facts.SignatureInvalid, "identity mismatch")
	im, fs = loadVerified(t, s.ref1, verifier(ss.Root, id, "https://other.example.com"))
	wantFinding(t, im, fs, facts.SignatureInvalid, "identity mismatch")
	im, fs = loadVerified(t, s.ref2, verifier(ss.Root, id, iss))
	wantFinding(t, im, fs, facts.SignatureInvalid, "digest mismatch")

	otherDir := filepath.Join(s.dir, "other-root")
	os.Mkdir(otherDir, 0o755)
	other := sigtest.NewSigstore(t, otherDir)
	im, fs = loadVerified(t, s.ref1, verifier(other.Root, id, iss))
	wantFinding(t, im, fs, facts.SignatureInvalid, "of the trusted root")

	// A key-signed image under a keyless policy, and the reverse.
	sigtest.Sign(t, s.d2.String(), s.priv, true)
	im, fs = loadVerified(t, s.ref2, verifier(ss.Root, id, iss))
	wantFinding(t, im, fs, facts.SignatureInvalid, "")
	im, fs = loadVerified(t, s.ref1, s.keyV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "keyless")
}

// TestSignatureLayout saves signed images to OCI layouts the way cosign
// save does (cosign's layout writer; the bundle referrer's blobs beside
// the image) and verifies them there.
func TestSignatureLayout(t *testing.T) {
	s := newSignedSetup(t)
	sigtest.Sign(t, s.d1.String(), s.priv, false)
	sigtest.Sign(t, s.d2.String(), s.priv, true)
	for i, d := range []name.Digest{s.d1, s.d2} {
		dir := filepath.Join(s.dir, "layout", string(rune('1'+i)))
		cosignSave(t, d, dir)
		im, fs := loadVerified(t, "oci:"+dir, s.keyV)
		wantVerified(t, im, fs, []string{imagesig.FormatLegacy, imagesig.FormatBundle}[i], "key "+s.pub)
		im, fs = loadVerified(t, "oci:"+dir, s.otherV)
		wantFinding(t, im, fs, facts.SignatureInvalid, "does not verify")
	}
}

// cosignSave is cosign save's sequence (cmd/cosign/cli/save.go) with
// cosign's own packages: each referrer with an artifact type, then the
// signed image with its .sig signatures.
func cosignSave(t *testing.T, d name.Digest, dir string) {
	t.Helper()
	idx, err := ociremote.Referrers(d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range idx.Manifests {
		if m.ArtifactType == "" {
			continue
		}
		si, err := ociremote.SignedImage(d.Context().Digest(m.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		if err := cosignlayout.WriteSignedImage(dir, si); err != nil {
			t.Fatal(err)
		}
	}
	if desc, err := remote.Get(d); err == nil && desc.MediaType.IsIndex() {
		sii, err := ociremote.SignedImageIndex(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := cosignlayout.WriteSignedImageIndex(dir, sii); err != nil {
			t.Fatal(err)
		}
		return
	}
	si, err := ociremote.SignedImage(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := cosignlayout.WriteSignedImage(dir, si); err != nil {
		t.Fatal(err)
	}
}

// TestSignatureUnverifiable: an archive records no registry digest, and a
// daemon image's repository digest in a registry that cannot be reached is
// a finding saying so, never a pass.
func TestSignatureUnverifiable(t *testing.T) {
	s := newSignedSetup(t)
	p := filepath.Join(s.dir, "app.tar")
	if err := os.WriteFile(p, imagetest.Archive(t, "example.com/app:1", v1.Config{User: "app"}), 0o644); err != nil {
		t.Fatal(err)
	}
	im, fs := loadVerified(t, "docker-archive:"+p, s.keyV)
	wantFinding(t, im, fs, facts.SignatureUnverifiable, "records no registry digest")

	im = &facts.Image{Ref: "daemon:app:1"}
	verifyDaemonImage(context.Background(), im, []string{"127.0.0.1:1/app@" + s.d1.DigestStr()}, Options{Verify: s.keyV, InsecureRegistries: []string{"127.0.0.1:1"}})
	if im.Signature == nil || im.Signature.Status != facts.SignatureUnverifiable || !strings.Contains(im.Signature.Problem, "looking up the signatures") {
		t.Errorf("unreachable registry: %+v", im.Signature)
	}
	im = &facts.Image{Ref: "daemon:app:1"}
	verifyDaemonImage(context.Background(), im, nil, Options{Verify: s.keyV})
	if im.Signature == nil || im.Signature.Status != facts.SignatureUnverifiable || !strings.Contains(im.Signature.Problem, "no registry digest") {
		t.Errorf("no repository digest: %+v", im.Signature)
	}
	// The daemon's repository digest, in a registry that holds the
	// signature, verifies.
	sigtest.Sign(t, s.d1.String(), s.priv, false)
	im = &facts.Image{Ref: "daemon:app:1"}
	verifyDaemonImage(context.Background(), im, []string{s.d1.String()}, Options{Verify: s.keyV})
	if im.Signature == nil || im.Signature.Status != facts.SignatureVerified {
		t.Errorf("repository digest: %+v", im.Signature)
	}
}

// TestSignaturePolicyErrors: unreadable or malformed keys and trusted
// roots are errors naming the file.
func TestSignaturePolicyErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("not a key"), 0o644)
	for _, p := range []imagesig.Policy{
		{KeyFile: filepath.Join(dir, "missing.pub")},
		{KeyFile: bad},
		{Identity: "a@b", Issuer: "https://i", TrustedRoot: filepath.Join(dir, "missing.json")},
		{Identity: "a@b", Issuer: "https://i", TrustedRoot: bad},
	} {
		_, err := imagesig.New(p)
		file := p.KeyFile + p.TrustedRoot
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Errorf("%+v: error %v does not name %s", p, err, file)
		}
	}
	for _, p := range []imagesig.Policy{{Identity: "a@b"}, {Issuer: "https://i"}, {KeyFile: bad, Identity: "a@b", Issuer: "https://i"},
		{Identity: "a@b", IdentityRegexp: "a@.*", Issuer: "https://i"}, {IdentityRegexp: ".*", Issuer: "https://i", IssuerRegexp: ".*"},
		{IdentityRegexp: "([", Issuer: "https://i"}, {IssuerRegexp: "https://i", KeyFile: bad}} {
		if _, err := imagesig.New(p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

// TestSignatureKeylessLegacy: a keyless legacy .sig (certificate, Rekor
// bundle and RFC 3161 timestamp annotations, as cosign writes them) verifies
// for its identity, not for another, and not when its payload names
// another digest.
func TestSignatureKeylessLegacy(t *testing.T) {
	s := newSignedSetup(t)
	ss := sigtest.NewSigstore(t, s.dir)
	const id, iss = "ci@example.com", "https://issuer.example.com"
	ss.SignKeylessLegacy(t, s.d1, s.d1.DigestStr(), id, iss)
	ss.SignKeylessLegacy(t, s.d2, s.d1.DigestStr(), id, iss)
	v, err := imagesig.New(imagesig.Policy{Identity: id, Issuer: iss, TrustedRoot: ss.Root})
	if err != nil {
		t.Fatal(err)
	}
	im, fs := loadVerified(t, s.ref1, v)
	wantVerified(t, im, fs, imagesig.FormatLegacy, "certificate identity "+id)
	im, fs = loadVerified(t, s.ref2, v)
	wantFinding(t, im, fs, facts.SignatureInvalid, "digest mismatch")
	other, err := imagesig.New(imagesig.Policy{Identity: "mallory@example.com", Issuer: iss, TrustedRoot: ss.Root})
	if err != nil {
		t.Fatal(err)
	}
	im, fs = loadVerified(t, s.ref1, other)
	wantFinding(t, im, fs, facts.SignatureInvalid, "identity mismatch")
	// A key-signed .sig under a keyless policy.
	sigtest.Sign(t, s.d2.String(), s.priv, false)
	im, fs = loadVerified(t, s.ref2, v)
	wantFinding(t, im, fs, facts.SignatureInvalid, "signed with a key")
}

// TestSignatureIndex: cosign signs what a tag names; a tag naming a
// multi-platform index is verified by the index's signature while the
// platform's image is read.
func TestSignatureIndex(t *testing.T) {
	s := newSignedSetup(t)
	img := imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/idx", Body: "i"})
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	tag, _ := name.NewTag(s.host+"/app:multi", name.Insecure)
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	id, _ := idx.Digest()
	sigtest.Sign(t, tag.Context().Digest(id.String()).String(), s.priv, true)
	res, err := Load(context.Background(), "registry:"+tag.String(), Options{Verify: s.keyV, Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	sig := res.Image.Signature
	if sig == nil || sig.Status != facts.SignatureVerified || sig.Digest != id.String() {
		t.Errorf("index signature: %+v, want verified for %s", sig, id)
	}
	// The same, saved by cosign save into a layout, with a legacy .sig too.
	sigtest.Sign(t, tag.Context().Digest(id.String()).String(), s.priv, false)
	dir := filepath.Join(s.dir, "index-layout")
	cosignSave(t, tag.Context().Digest(id.String()), dir)
	for _, c := range []struct {
		v    *imagesig.Verifier
		want facts.SignatureStatus
	}{{s.keyV, facts.SignatureVerified}, {s.otherV, facts.SignatureInvalid}} {
		res, err = Load(context.Background(), "oci:"+dir, Options{Verify: c.v, Platform: "linux/amd64"})
		if err != nil {
			t.Fatal(err)
		}
		if sig := res.Image.Signature; sig == nil || sig.Status != c.want || sig.Digest != id.String() {
			t.Errorf("index signature in a layout: %+v, want %s for %s", sig, c.want, id)
		}
	}
}

// TestSignatureBundleTampered: image 1's key-signed bundle, its in-toto
// statement edited to name image 2 and attached to image 2 with cosign's
// referrer writer, does not verify; the unedited copy is a digest mismatch.
func TestSignatureBundleTampered(t *testing.T) {
	s := newSignedSetup(t)
	sigtest.Sign(t, s.d1.String(), s.priv, true)
	found, err := registryLookup(s.d1.Context(), nil)(context.Background(), s.d1.DigestStr())
	if err != nil || len(found.Bundles) != 1 {
		t.Fatalf("bundles of image 1: %d, %v", len(found.Bundles), err)
	}
	var b map[string]any
	if err := json.Unmarshal(found.Bundles[0], &b); err != nil {
		t.Fatal(err)
	}
	env := b["dsseEnvelope"].(map[string]any)
	stmt, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	attach := func(t *testing.T, bundle []byte) {
		t.Helper()
		if err := ociremote.WriteAttestationNewBundleFormat(s.d2, bundle, "https://sigstore.dev/cosign/sign/v1"); err != nil {
			t.Fatal(err)
		}
	}
	attach(t, found.Bundles[0])
	im, fs := loadVerified(t, s.ref2, s.keyV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "digest mismatch")

	edited := strings.ReplaceAll(string(stmt), strings.TrimPrefix(s.d1.DigestStr(), "sha256:"), strings.TrimPrefix(s.d2.DigestStr(), "sha256:"))
	if edited == string(stmt) {
		t.Fatalf("statement does not name image 1: %s", stmt)
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(edited))
	raw, _ := json.Marshal(b)
	attach(t, raw)
	im, fs = loadVerified(t, s.ref2, s.keyV)
	wantFinding(t, im, fs, facts.SignatureInvalid, "does not verify with key "+s.pub)
}

// TestSignatureCertificateWithoutTimestamp: cosign sign --key --certificate
// with a virtual Fulcio certificate for the right identity, but no
// transparency log entry and no timestamp, in both formats: a short-lived
// certificate proves nothing without a time, so neither verifies, and the
// finding says why.
func TestSignatureCertificateWithoutTimestamp(t *testing.T) {
	s := newSignedSetup(t)
	ss := sigtest.NewSigstore(t, s.dir)
	const id, iss = "ci@example.com", "https://issuer.example.com"
	key, cert := ss.CertKey(t, s.dir, id, iss)
	sigtest.SignWithCert(t, s.d1.String(), key, cert, false)
	sigtest.SignWithCert(t, s.d2.String(), key, cert, true)
	v, err := imagesig.New(imagesig.Policy{Identity: id, Issuer: iss, TrustedRoot: ss.Root})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{s.ref1, s.ref2} {
		im, fs := loadVerified(t, ref, v)
		wantFinding(t, im, fs, facts.SignatureInvalid, "no timestamp from a log or timestamp authority of the trusted root")
	}
}
