package secrets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// gitleaksOnly are secrets Known does not recognise, each with the gitleaks
// rule that finds it. Values are assembled from random parts so that no
// whole token sits in the source.
func gitleaksOnly() []struct{ text, kind string } {
	return []struct{ text, kind string }{
		{"# shop\nSHOPIFY=" + "shpat_" + rnd(1, 32, hex) + "\n", "shopify-access-token"},
		{"AGE-SECRET-KEY-1" + rnd(2, 58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L") + "\n", "age-secret-key"},
		{"x = 1\ndo_token: " + "dop_v1_" + rnd(3, 64, hex) + "\n", "digitalocean-pat"},
		{"[db]\napi_key = \"" + rnd(4, 32, alnum) + "\"\n", "generic-api-key"},
		{"run:\n  curl -s \\\n    -H \"Authorization: Bearer " + rnd(5, 40, alnum) + "\" https://api.example.com\n", "curl-auth-header"},
	}
}

// gitleaksSamples are gitleaksOnly and a private key, which Known finds too.
func gitleaksSamples() []struct{ text, kind string } {
	key := strings.Repeat(rnd(7, 64, alnum)+"\n", 6)
	return append(gitleaksOnly(), struct{ text, kind string }{
		"-----BEGIN OPENSSH PRIVATE KEY-----\n" + key + "-----END OPENSSH PRIVATE KEY-----\n", "private-key"})
}

func TestContentGitleaksRules(t *testing.T) {
	for _, c := range gitleaksOnly() {
		if k := Known(c.text); len(k) > 0 {
			t.Errorf("%s: Known finds it too (%v): pick a sample only gitleaks finds", c.kind, k)
		}
		got, err := Content("app/settings.conf", c.text)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(got, func(m ContentMatch) bool { return m.Kind == c.kind }) {
			t.Errorf("%s: not found, got %v", c.kind, got)
		}
	}
}

func TestContentKeepsKnown(t *testing.T) {
	text := "a\nurl=https://deploy:" + rnd(9, 20, alnum) + "@git.example.com/x.git\nb\n"
	got, err := Content("app/settings.conf", text)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ContentMatch{{KindURLCredentials, 2}}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// One match per line: gitleaks' Stripe rule and Known's agree.
	got, _ = Content("app/settings.conf", "x\n\nSTRIPE="+"sk_live_"+rnd(10, 24, alnum)+"\n")
	if want := []ContentMatch{{KindStripeSecret, 3}}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestContentLikeWholeText checks that running most rules only on the lines
// around keyword hits finds what gitleaks finds on the whole text, rule and
// line, on config-like texts with the samples at random lines.
func TestContentLikeWholeText(t *testing.T) {
	cfg, err := defaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	full := detect.NewDetector(cfg)
	r := rand.New(rand.NewPCG(3, 4))
	filler := []string{"name: web", "  image: nginx", "password_min_length = 8", "# the api is documented elsewhere",
		"token_ttl: 3600", "key_path=/etc/ssl/key.pem", "export SECRET_FILE=/run/secrets/db", "", "foo bar baz", "auth: none"}
	samples := append(gitleaksSamples(),
		struct{ text, kind string }{"DB_PASSWORD=\"" + rnd(11, 24, alnum) + "\"\n", ""},
		struct{ text, kind string }{"Api_Token:\n  " + rnd(12, 32, alnum) + "\n", ""},
		struct{ text, kind string }{"kind: Secret\ndata:\n  password: " + rnd(13, 24, alnum) + "\n", ""})
	for i := range 400 {
		var b strings.Builder
		for range 5 + r.IntN(60) {
			if r.IntN(8) == 0 {
				b.WriteString(samples[r.IntN(len(samples))].text)
			} else {
				b.WriteString(filler[r.IntN(len(filler))] + "\n")
			}
		}
		text := b.String()
		var want []string
		for _, f := range full.DetectString(text) {
			want = append(want, fmt.Sprintf("%s:%d", f.RuleID, f.StartLine+1))
		}
		got, err := gitleaksContent("app/settings.conf", text)
		if err != nil {
			t.Fatal(err)
		}
		// gitleaks drops a generic finding where another rule found the
		// same secret; Content keeps one kind per line, specific first.
		specific := map[int]bool{}
		for _, m := range got {
			if !isGeneric(m.Kind) {
				specific[m.Line] = true
			}
		}
		var gotS []string
		for _, m := range got {
			if !isGeneric(m.Kind) || !specific[m.Line] {
				gotS = append(gotS, fmt.Sprintf("%s:%d", m.Kind, m.Line))
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		slices.Sort(gotS)
		gotS = slices.Compact(gotS)
		if !slices.Equal(gotS, want) {
			t.Fatalf("text %d:\n%s\ngot  %v\nwant %v", i, text, gotS, want)
		}
	}
}

func TestContentConcurrent(t *testing.T) {
	samples := gitleaksOnly()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				c := samples[(g+i)%len(samples)]
				got, err := Content("app/settings.conf", c.text)
				if err != nil || !slices.ContainsFunc(got, func(m ContentMatch) bool { return m.Kind == c.kind }) {
					select {
					case errs <- fmt.Sprintf("%s: got %v, %v", c.kind, got, err):
					default:
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkContent(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	text := make([]byte, 8<<10)
	for i := range text {
		text[i] = "abcdefghij klmnopqrstuvwxyz=\n"[r.IntN(29)]
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Content("app/settings.conf", string(text)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestContentLongLine: in a line of megabytes (minified code) full of
// keywords, a secret is still found, on its line.
func TestContentLongLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("// bundle\n")
	r := rand.New(rand.NewPCG(8, 9))
	for i := range 40000 {
		if i == 20000 {
			b.WriteString(`shopify:"` + "shpat_" + rnd(21, 32, hex) + `",`)
		}
		fmt.Fprintf(&b, `{key:"k%d",token:null,auth:%d},`, r.IntN(100), i)
	}
	b.WriteString("\nend\n")
	got, err := Content("app/settings.conf", b.String())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, ContentMatch{Kind: "shopify-access-token", Line: 2}) {
		t.Errorf("got %v", got)
	}
}

// FuzzContent: any text is scanned without a panic, and every match names
// a line of the text.
func FuzzContent(f *testing.F) {
	for _, c := range gitleaksSamples() {
		f.Add(c.text)
	}
	f.Add("key\n\nkey=" + strings.Repeat("x", 5000) + "\nkey")
	f.Add("\n\n\nkey")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := Content("app/settings.conf", text)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(text, "\n") + 1
		for _, m := range got {
			if m.Line < 1 || m.Line > lines {
				t.Fatalf("%v: line out of 1..%d", m, lines)
			}
		}
	})
}

// TestContentPathAllowlist: gitleaks' path allowlists apply to its rules
// (a generic key assignment in node_modules, site-packages or vendor is
// not reported) while Known's formats are found there too.
func TestContentPathAllowlist(t *testing.T) {
	key := rnd(7, 32, "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
	text := "[db]\napi_key = \"" + key + "\"\n"
	got, err := Content("srv/app/settings.ini", text)
	if err != nil || len(got) != 1 || got[0].Kind != "generic-api-key" {
		t.Fatalf("app file: %v %+v", err, got)
	}
	for _, p := range []string{"app/node_modules/lib/settings.ini", "usr/lib/python3.11/site-packages/lib/settings.ini", "src/vendor/github.com/acme/lib/settings.ini"} {
		if got, err := Content(p, text); err != nil || len(got) != 0 {
			t.Errorf("%s: want nothing, got %v %+v", p, err, got)
		}
		token := "ghp_" + rnd(8, 36, alnum)
		if got, _ := Content(p, "TOKEN="+token+"\n"); len(got) != 1 {
			t.Errorf("%s: a GitHub token is not found: %+v", p, got)
		}
	}
}
