package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/imagesig/sigtest"
	"github.com/dockguard/dockguard/internal/source/image/imagetest"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestAuditImageSignature runs dockguard audit --image with --verify-key
// and with a keyless identity against images signed with cosign's own
// packages in an in-process registry: a valid signature is a note naming
// the signer, an unsigned image a high image-signature finding (exit 1),
// a bad key file or trusted root an error naming the file (exit 2).
func TestAuditImageSignature(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	host := sigtest.Registry(t)
	signed := sigtest.Push(t, host+"/app:1", imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/one", Body: "1"}))
	sigtest.Push(t, host+"/app:2", imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/two", Body: "2"}))
	priv, pub := sigtest.KeyPair(t, dir)
	sigtest.Sign(t, signed.String(), priv, false)

	base := []string{"audit", "--format", "json", "--insecure-registry", host}
	r := run(t, append(base, "--image", "registry:"+host+"/app:1", "--verify-key", pub)...)
	if r.code != 0 {
		t.Fatalf("signed image: exit %d: %s %s", r.code, r.out, r.err)
	}
	d := parseReport(t, r.out)
	var note string
	for _, n := range d.Notes {
		if strings.Contains(n.Message, "signature verified") {
			note = n.Message
		}
	}
	if !strings.Contains(note, "cosign .sig") || !strings.Contains(note, "key "+pub) || !strings.Contains(note, signed.DigestStr()) {
		t.Errorf("no note naming the format, the key and the digest: %q\n%s", note, r.out)
	}

	r = run(t, append(base, "--image", "registry:"+host+"/app:2", "--verify-key", pub)...)
	if r.code != 1 {
		t.Fatalf("unsigned image: exit %d: %s %s", r.code, r.out, r.err)
	}
	var got bool
	for _, f := range parseReport(t, r.out).Findings {
		if f.Slug == "image-signature" && f.Rule == "DG505" && f.Severity == "high" && strings.Contains(f.Message, "is not signed") {
			got = true
		}
	}
	if !got {
		t.Errorf("no image-signature finding for the unsigned image:\n%s", r.out)
	}

	// The same requirement from .dockguard.yaml, the key named relative to
	// the file; a flag replaces it.
	cfg := write(t, filepath.Join(dir, "cfgdir", ".dockguard.yaml"), "imageSignature:\n  key: ../"+filepath.Base(pub)+"\n")
	r = run(t, append(base, "--config", cfg, "--image", "registry:"+host+"/app:1")...)
	if r.code != 0 || !strings.Contains(r.out, "signature verified") {
		t.Errorf("signed image, key from the config: exit %d: %s %s", r.code, r.out, r.err)
	}
	r = run(t, append(base, "--config", cfg, "--image", "registry:"+host+"/app:2")...)
	if r.code != 1 || !strings.Contains(r.out, "is not signed") {
		t.Errorf("unsigned image, key from the config: exit %d: %s %s", r.code, r.out, r.err)
	}
	_, otherPub := sigtest.KeyPair(t, t.TempDir())
	r = run(t, append(base, "--config", cfg, "--image", "registry:"+host+"/app:1", "--verify-key", otherPub)...)
	if r.code != 1 || !strings.Contains(r.out, "image-signature") {
		t.Errorf("a flag does not replace the config's key: exit %d: %s %s", r.code, r.out, r.err)
	}

	// Keyless, offline against a trusted root file.
	ss := sigtest.NewSigstore(t, dir)
	ss.SignKeyless(t, signed, signed.DigestStr(), "ci@example.com", "https://issuer.example.com")
	r = run(t, append(base, "--image", "registry:"+host+"/app:1", "--certificate-identity", "ci@example.com",
		"--certificate-oidc-issuer", "https://issuer.example.com", "--trusted-root", ss.Root)...)
	if r.code != 0 || !strings.Contains(r.out, "certificate identity ci@example.com") {
		t.Errorf("keyless: exit %d: %s %s", r.code, r.out, r.err)
	}

	missing := filepath.Join(dir, "missing.pub")
	r = run(t, append(base, "--image", "registry:"+host+"/app:1", "--verify-key", missing)...)
	if r.code != 2 || !strings.Contains(r.err, missing) {
		t.Errorf("missing key: exit %d, stderr %q", r.code, r.err)
	}
	r = run(t, append(base, "--image", "registry:"+host+"/app:1", "--certificate-identity", "ci@example.com",
		"--certificate-oidc-issuer", "https://issuer.example.com", "--trusted-root", pub)...)
	if r.code != 2 || !strings.Contains(r.err, pub) {
		t.Errorf("bad trusted root: exit %d, stderr %q", r.code, r.err)
	}
}
