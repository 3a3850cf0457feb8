// Package sigtest signs test images the way cosign does, with cosign's own
// Go packages (so what is verified is what cosign writes), and builds
// offline keyless material: sigstore-go's virtual Sigstore acts as Fulcio,
// Rekor and a timestamp authority, and its trusted root is written as a
// trusted_root.json. Only tests import it.
package sigtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/cmd/cosign/cli/options"
	"github.com/sigstore/cosign/v3/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v3/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v3/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v3/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/cosign/v3/pkg/oci/static"
	"github.com/sigstore/cosign/v3/pkg/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
	"google.golang.org/protobuf/encoding/protojson"
)

// Registry starts an in-process registry with referrers support on
// loopback and returns its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Push writes img to ref (host/repo:tag) and returns its digest reference.
func Push(t testing.TB, ref string, img v1.Image) name.Digest {
	t.Helper()
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(d.String())
}

// KeyPair generates a cosign key pair in dir (cosign.key, cosign.pub,
// password "test") and returns the two paths.
func KeyPair(t testing.TB, dir string) (priv, pub string) {
	t.Helper()
	keys, err := cosign.GenerateKeyPair(password)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(priv, keys.PrivateBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, keys.PublicBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func password(bool) ([]byte, error) { return []byte("test"), nil }

// Sign signs ref (a tag or digest) with cosign's sign command and the
// private key, no transparency log upload: the legacy .sig tag, or a
// Sigstore bundle referrer when bundle is set (--new-bundle-format).
func Sign(t testing.TB, ref, keyPath string, bundle bool) {
	t.Helper()
	ko := options.KeyOpts{KeyRef: keyPath, PassFunc: password, SkipConfirmation: true, NewBundleFormat: bundle}
	so := options.SignOptions{
		Key:             keyPath,
		Upload:          true,
		TlogUpload:      false,
		NewBundleFormat: bundle,
		Registry:        options.RegistryOptions{AllowHTTPRegistry: true, AllowInsecure: true},
	}
	if err := sign.SignCmd(context.Background(), &options.RootOptions{Timeout: time.Minute}, ko, so, []string{ref}); err != nil {
		t.Fatalf("cosign sign %s: %v", ref, err)
	}
}

// Sigstore is a virtual Sigstore (Fulcio CA, Rekor, TSA) and the path of
// its trusted_root.json.
type Sigstore struct {
	VS   *ca.VirtualSigstore
	Root string
}

// NewSigstore makes a virtual Sigstore and writes its trusted root to dir.
// The root lists no certificate transparency log: the virtual Fulcio's
// certificates carry no SCTs.
func NewSigstore(t testing.TB, dir string) *Sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	// The virtual Rekor names its log by the hex string of its key ID; a
	// trusted_root.json carries the raw key ID, as the public-good one does.
	logs := vs.RekorLogs()
	for k, l := range logs {
		if l.ID, err = hex.DecodeString(k); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Sigstore{VS: vs, Root: p}
}

// SignKeyless signs digest keyless, as identity from issuer, the way cosign
// sign --new-bundle-format does (a DSSE envelope over an in-toto statement
// whose subject is the digest, predicate type https://sigstore.dev/cosign/sign/v1),
// with a Rekor entry (inclusion proof and signed entry timestamp) and an
// RFC 3161 timestamp, and attaches the bundle as a referrer with cosign's
// own writer. statementDigest is the digest the statement names (the
// image's, unless a test wants another).
func (s *Sigstore) SignKeyless(t testing.TB, digest name.Digest, statementDigest, identity, issuer string) {
	t.Helper()
	alg, hexd, _ := strings.Cut(statementDigest, ":")
	st, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{alg: hexd}}},
		"predicateType": types.CosignSignPredicateType,
		"predicate":     map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	ent, err := s.VS.AttestAtTime(identity, issuer, st, time.Now().Add(time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	b := s.toBundle(t, ent)
	if err := ociremote.WriteAttestationNewBundleFormat(digest, b, types.CosignSignPredicateType,
		ociremote.WithNameOptions(name.Insecure)); err != nil {
		t.Fatal(err)
	}
}

// toBundle serializes a virtual Sigstore entity as a v0.3 bundle.
func (s *Sigstore) toBundle(t testing.TB, ent *ca.TestEntity) []byte {
	t.Helper()
	vc, err := ent.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ent.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env := sc.EnvelopeContent().RawEnvelope()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	pe := &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType}
	for _, sg := range env.Signatures {
		raw, err := base64.StdEncoding.DecodeString(sg.Sig)
		if err != nil {
			t.Fatal(err)
		}
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: raw, Keyid: sg.KeyID})
	}
	entries, err := ent.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	var tles []*protorekor.TransparencyLogEntry
	for _, e := range entries {
		tles = append(tles, s.tlogEntry(t, e))
	}
	tss, err := ent.Timestamps()
	if err != nil {
		t.Fatal(err)
	}
	var rfc []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc = append(rfc, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	mt, err := bundle.MediaTypeString("0.3")
	if err != nil {
		t.Fatal(err)
	}
	pb := &protobundle.Bundle{
		MediaType: mt,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               tles,
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe},
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	// The bundle must read back and verify in sigstore-go's own terms.
	if _, err := bundle.NewBundle(pb); err != nil {
		t.Fatalf("virtual Sigstore bundle: %v", err)
	}
	return out
}

// tlogEntry completes a virtual Rekor entry for a bundle: its kind and
// version (read from the body) and a signed entry timestamp.
func (s *Sigstore) tlogEntry(t testing.TB, e *tlog.Entry) *protorekor.TransparencyLogEntry {
	t.Helper()
	tle := e.TransparencyLogEntry()
	var body struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(tle.CanonicalizedBody, &body); err != nil {
		t.Fatal(err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: body.Kind, Version: body.APIVersion}
	set, err := s.VS.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	return tle
}

// SignKeylessLegacy signs digest keyless in the legacy format: a
// simple-signing payload naming payloadDigest, signed with a virtual
// Fulcio certificate, carrying the certificate, a Rekor bundle (signed
// entry timestamp) and an RFC 3161 timestamp as annotations, built and
// pushed to the .sig tag with cosign's own signature and writer packages.
func (s *Sigstore) SignKeylessLegacy(t testing.TB, digest name.Digest, payloadDigest, identity, issuer string) {
	t.Helper()
	pd, err := name.NewDigest(digest.Context().Name()+"@"+payloadDigest, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := (&sigpayload.Cosign{Image: pd}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	ent, err := s.VS.SignAtTime(identity, issuer, payload, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := ent.VerificationContent()
	sc, _ := ent.SignatureContent()
	certPEM, err := cryptoutils.MarshalCertificateToPEM(vc.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := ent.TlogEntries()
	tle := s.tlogEntry(t, entries[0])
	tss, _ := ent.Timestamps()
	sig, err := static.NewSignature(payload, base64.StdEncoding.EncodeToString(sc.Signature()),
		static.WithCertChain(certPEM, nil),
		static.WithBundle(&cbundle.RekorBundle{
			SignedEntryTimestamp: tle.InclusionPromise.SignedEntryTimestamp,
			Payload: cbundle.RekorPayload{
				Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
				IntegratedTime: tle.IntegratedTime,
				LogIndex:       tle.LogIndex,
				LogID:          hex.EncodeToString(tle.LogId.KeyId),
			},
		}),
		static.WithRFC3161Timestamp(&cbundle.RFC3161Timestamp{SignedRFC3161Timestamp: tss[0]}))
	if err != nil {
		t.Fatal(err)
	}
	se, err := ociremote.SignedEntity(digest)
	if err != nil {
		t.Fatal(err)
	}
	se, err = mutate.AttachSignatureToEntity(se, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(digest.Repository, se); err != nil {
		t.Fatal(err)
	}
}

// CertKey issues a virtual Fulcio certificate for identity and issuer and
// writes its key as a cosign key file (cosign's own import) and the
// certificate as PEM, for cosign sign --key --certificate.
func (s *Sigstore) CertKey(t testing.TB, dir, identity, issuer string) (keyPath, certPath string) {
	t.Helper()
	cert, priv, err := s.VS.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := priv.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("virtual Fulcio key is a %T", priv)
	}
	der, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "leaf.pem")
	if err := os.WriteFile(plain, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := cosign.ImportKeyPair(plain, password)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := cryptoutils.MarshalCertificateToPEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath = filepath.Join(dir, "leaf.key"), filepath.Join(dir, "leaf.crt")
	if err := os.WriteFile(keyPath, keys.PrivateBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, certPath
}

// SignWithCert signs ref with cosign's sign command, a key and its
// certificate (--key --certificate), no transparency log and no timestamp
// authority: the certificate is attached, but nothing vouches for when the
// signature was made.
func SignWithCert(t testing.TB, ref, keyPath, certPath string, bundle bool) {
	t.Helper()
	ko := options.KeyOpts{KeyRef: keyPath, PassFunc: password, SkipConfirmation: true, NewBundleFormat: bundle}
	so := options.SignOptions{
		Key:             keyPath,
		Cert:            certPath,
		Upload:          true,
		NewBundleFormat: bundle,
		Registry:        options.RegistryOptions{AllowHTTPRegistry: true, AllowInsecure: true},
	}
	if err := sign.SignCmd(context.Background(), &options.RootOptions{Timeout: time.Minute}, ko, so, []string{ref}); err != nil {
		t.Fatalf("cosign sign --certificate %s: %v", ref, err)
	}
}
