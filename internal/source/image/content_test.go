package image

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// fakeToken builds a random-looking value from alphabet, so that no whole
// token sits in the source.
func fakeToken(seed uint64, n int, alphabet string) string {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestGitleaksContent: secrets only gitleaks' rules know (a Shopify token,
// an age key, a generic api_key assignment) are found in text files, with
// their rule and line, in a file a later layer deleted too, and never
// printed.
func TestGitleaksContent(t *testing.T) {
	t.Parallel()
	const hexDigits = "0123456789abcdef"
	shop := "shpat_" + fakeToken(1, 32, hexDigits)
	age := "AGE-SECRET-KEY-1" + fakeToken(2, 58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
	generic := fakeToken(3, 32, "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
	l0 := layerOf(t, []testFile{
		{name: "etc/shop.conf", body: "# shop\nSHOPIFY_TOKEN=" + shop + "\n"},
		{name: "opt/backup/notes.txt", body: "keys:\n\n" + age + "\n"},
		{name: "srv/app/settings.ini", body: "[db]\nhost = db\napi_key = \"" + generic + "\"\n"},
		{name: "srv/app/plain.txt", body: "nothing to see here\nkey rotation is weekly\n"},
	})
	l1 := layerOf(t, []testFile{{name: "opt/backup/.wh.notes.txt"}})
	arch := saveArchive(t, imageOf(t, v1.Config{User: "app"}, nil, l0, l1), "example.com/app:1.0")
	res, err := ReadArchive(context.Background(), bytes.NewReader(arch), "docker-archive:app.tar", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A file with nothing notable is not kept at all.
	if f := findFile(res.Image, "srv/app/plain.txt", 0); f != nil {
		t.Errorf("plain.txt: want no entry kept, got %+v", f)
	}
	fs := findings(res.Image, rules.Config{})
	for _, want := range []string{
		"shopify-access-token in /etc/shop.conf line 2",
		"age-secret-key in /opt/backup/notes.txt line 3 (deleted or replaced by a later layer, still in layer 0)",
		"possible secret (generic-api-key: a high-entropy value under a key-like name) in /srv/app/settings.ini line 3",
	} {
		if !has(fs, "secret-file-in-image", want) {
			t.Errorf("missing secret-file-in-image %q", want)
		}
	}
	// The generic rule is a lead, reported below the known formats.
	for _, f := range fs {
		generic := strings.Contains(f.Message, "generic-api-key")
		if f.Rule.Slug == "secret-file-in-image" && generic != (f.Severity == rules.Medium) {
			t.Errorf("%s: severity %s", f.Message, f.Severity)
		}
	}
	for _, f := range fs {
		for _, s := range []string{shop, age, generic} {
			if strings.Contains(f.Message, s) {
				t.Errorf("a finding prints the secret: %s", f.Message)
			}
		}
	}
	if t.Failed() {
		for _, f := range fs {
			t.Logf("%s %s", f.Rule.Slug, f.Message)
		}
	}
}

// TestLabelSecret: a secret in the config's labels is reported like one in
// Env, without its value; ordinary labels are not.
func TestLabelSecret(t *testing.T) {
	t.Parallel()
	cfg := v1.Config{User: "app", Labels: map[string]string{
		"org.opencontainers.image.title": "app",
		"com.example.deploy-token":       ghToken,
		"com.example.db.password":        "changeme",
	}}
	arch := saveArchive(t, imageOf(t, cfg, nil, layerOf(t, []testFile{{name: "app/x", body: "x"}})), "example.com/app:1.0")
	res, err := ReadArchive(context.Background(), bytes.NewReader(arch), "docker-archive:app.tar", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := findings(res.Image, rules.Config{})
	n := 0
	for _, f := range fs {
		if f.Rule.Slug != "secret-in-env" {
			continue
		}
		n++
		if !strings.Contains(f.Message, "label com.example.deploy-token holds a GitHub token") || strings.Contains(f.Message, ghToken) {
			t.Errorf("unexpected: %s", f.Message)
		}
	}
	if n != 1 {
		t.Errorf("want one secret-in-env finding, got %d", n)
	}
}
