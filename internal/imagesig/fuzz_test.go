package imagesig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

const fuzzDigest = "sha256:4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"

// fuzzVerifiers are a key verifier and a keyless one (virtual trusted root).
func fuzzVerifiers(t testing.TB) (key, keyless *Verifier, cert string) {
	dir := t.TempDir()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "k.pub"), pem, 0o644)
	if key, err = New(Policy{KeyFile: filepath.Join(dir, "k.pub")}); err != nil {
		t.Fatal(err)
	}
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	logs := vs.RekorLogs()
	for k, l := range logs {
		l.ID, _ = hex.DecodeString(k)
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tr.MarshalJSON()
	os.WriteFile(filepath.Join(dir, "root.json"), b, 0o644)
	if keyless, err = New(Policy{Identity: "a@example.com", Issuer: "https://i.example.com", TrustedRoot: filepath.Join(dir, "root.json")}); err != nil {
		t.Fatal(err)
	}
	c, _, err := vs.GenerateLeafCert("a@example.com", "https://i.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := cryptoutils.MarshalCertificateToPEM(c)
	return key, keyless, string(cp)
}

// FuzzCheck feeds signatures as a registry or layout could hold them
// (legacy payloads and annotations, bundle documents) to both kinds of
// verifier: never a panic, never verified.
func FuzzCheck(f *testing.F) {
	key, keyless, cert := fuzzVerifiers(f)
	payload := `{"critical":{"identity":{"docker-reference":"r/app"},"image":{"docker-manifest-digest":"` + fuzzDigest + `"},"type":"cosign container image signature"},"optional":null}`
	f.Add([]byte(payload), "MEUCIQ==", cert, `{"SignedEntryTimestamp":"MEQ=","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"00"}}`, `{"SignedRFC3161Timestamp":"MA=="}`,
		[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEQ="}]}}`))
	f.Add([]byte("{}"), "", "", "", "", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"SlHh5LqrifOjJRqIjDG4f2GPdmc+LMd6shJ7ev3to/s="},"signature":"MEQ="}}`))
	f.Fuzz(func(t *testing.T, payload []byte, sig, cert, rekor, ts string, bundle []byte) {
		found := Found{
			Legacy: []Legacy{{Payload: payload, Annotations: map[string]string{
				SignatureAnnotation: sig, CertificateAnnotation: cert, BundleAnnotation: rekor, TimestampAnnotation: ts}}},
			Bundles: [][]byte{bundle},
		}
		for _, v := range []*Verifier{key, keyless} {
			if out := v.Check(fuzzDigest, found); out.Verified {
				t.Fatalf("verified garbage: %+v", out)
			}
		}
	})
}
