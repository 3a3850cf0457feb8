package secrets

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	digits  = "0123456789"
	upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower   = "abcdefghijklmnopqrstuvwxyz"
	alnum   = digits + upper + lower
	urlSafe = alnum + "_-"
	hex     = "0123456789abcdef"
)

// rnd builds a deterministic random-looking string, so that test tokens look
// generated without any whole token sitting in the source.
func rnd(seed uint64, n int, alphabet string) string {
	r := rand.New(rand.NewPCG(seed, 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A realistic JWT: typical header, service claims, random signature.
var testJWT = b64(`{"alg":"HS256","typ":"JWT"}`) + "." +
	b64(`{"sub":"svc-build","iat":1700000000,"scope":"deploy"}`) + "." + rnd(20, 43, urlSafe)

type knownCase struct {
	name   string
	text   string
	kind   string // "" means no match expected
	secret string // expected Value; "" with kind set means the whole text
}

func knownCases() []knownCase {
	aws := "AKIA" + rnd(1, 16, digits+upper)
	ghp := "ghp_" + strings.Repeat("aB3", 12)
	pat := "github_pat_" + rnd(2, 22, alnum) + "_" + rnd(3, 59, alnum)
	glpat := "glpat-" + rnd(4, 20, urlSafe)
	slack := "xoxb-" + rnd(5, 12, digits) + "-" + rnd(6, 13, digits) + "-" + rnd(7, 24, alnum)
	hook := "https://hooks.slack.com/services/T" + rnd(8, 8, upper+digits) + "/B" + rnd(9, 10, upper+digits) + "/" + rnd(10, 24, alnum)
	stripe := "sk_live_" + rnd(11, 24, alnum)
	google := "AIza" + rnd(12, 35, urlSafe)
	npm := "npm_" + rnd(13, 36, alnum)
	docker := "dckr_pat_" + rnd(14, 27, urlSafe)
	pypi := "pypi-AgEIcHlwaS5vcmc" + rnd(15, 60, urlSafe)
	sendgrid := "SG." + rnd(16, 22, urlSafe) + "." + rnd(17, 43, urlSafe)
	twilio := "SK" + rnd(18, 32, hex)
	openai := "sk-proj-" + rnd(19, 64, alnum) + "T3BlbkFJ" + rnd(21, 20, alnum)
	anthropic := "sk-ant-api03-" + rnd(22, 93, urlSafe) + "AA"
	pw := "Vq8" + rnd(23, 13, alnum)
	keyBody := rnd(24, 64, alnum+"+/") + "\n" + rnd(25, 64, alnum+"+/") + "\n"
	key := "-----BEGIN RSA PRIVATE KEY-----\n" + keyBody + "-----END RSA PRIVATE KEY-----"
	jwtExample := b64(`{"alg":"HS256","typ":"JWT"}`) + "." +
		b64(`{"sub":"1234567890","name":"John Doe","iat":1516239022}`) + "." + rnd(26, 43, urlSafe)

	return []knownCase{
		{"aws key id", "ENV AWS_ACCESS_KEY_ID=" + aws, KindAWSAccessKeyID, aws},
		{"aws session key id", "ASIA" + rnd(27, 16, digits+upper), KindAWSAccessKeyID, ""},
		{"aws documented example", "AKIAIOSFODNN7EXAMPLE", "", ""},
		{"aws all x", "AKIA" + strings.Repeat("X", 16), "", ""},
		{"aws too long", aws + "Z", "", ""},
		{"aws inside word", "X" + aws, "", ""},

		{"github ghp", "RUN git clone https://" + ghp + "@github.com/o/r", KindGitHubToken, ghp},
		{"github gho", "gho_" + rnd(28, 36, alnum), KindGitHubToken, ""},
		{"github ghu", "ghu_" + rnd(29, 36, alnum), KindGitHubToken, ""},
		{"github ghs", "ghs_" + rnd(30, 36, alnum), KindGitHubToken, ""},
		{"github ghr", "ghr_" + rnd(31, 36, alnum), KindGitHubToken, ""},
		{"github fine-grained", "token: " + pat, KindGitHubToken, pat},
		{"github placeholder", "ghp_" + strings.Repeat("x", 36), "", ""},
		{"github sequential placeholder", "ghp_1234567890abcdefghij1234567890ABCDEF", "", ""},
		{"github short", "ghp_" + rnd(32, 35, alnum), "", ""},
		{"github in identifier", "my" + ghp, "", ""},
		{"github trailing identifier", ghp + "_suffix", "", ""},
		{"github pat short", "github_pat_" + rnd(33, 40, alnum), "", ""},

		{"gitlab", "GITLAB=" + glpat, KindGitLabToken, glpat},
		{"gitlab placeholder", "glpat-xxxxxxxxxxxxxxxxxxxx", "", ""},
		{"gitlab short", "glpat-" + rnd(34, 12, alnum), "", ""},

		{"slack token", `"token": "` + slack + `"`, KindSlackToken, slack},
		{"slack placeholder", "xoxb-your-bot-token-here-1234", "", ""},
		{"slack no digits", "xoxb-just-some-words", "", ""},
		{"slack webhook", "curl -X POST " + hook + " -d @msg.json", KindSlackWebhook, hook},
		{"slack webhook placeholder", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "", ""},

		{"stripe live", "STRIPE=" + stripe, KindStripeSecret, stripe},
		{"stripe restricted", "rk_live_" + rnd(35, 24, alnum), KindStripeRestricted, ""},
		{"stripe test key", "sk_test_" + rnd(36, 24, alnum), "", ""},
		{"stripe placeholder", "sk_live_" + strings.Repeat("x", 24), "", ""},

		{"google", "key=" + google + "&q=1", KindGoogleAPIKey, google},
		{"google wrong length", "AIza" + rnd(37, 30, alnum), "", ""},
		{"google placeholder", "AIza" + strings.Repeat("0", 35), "", ""},

		{"npm", "//registry.npmjs.org/:_authToken=" + npm, KindNPMToken, npm},
		{"npm placeholder", "npm_" + strings.Repeat("X", 36), "", ""},

		{"docker hub", "echo " + docker + " | docker login -u me --password-stdin", KindDockerHubToken, docker},
		{"docker hub placeholder", "dckr_pat_your-token-goes-here-please", "", ""},

		{"pypi", "password = " + pypi, KindPyPIToken, pypi},
		{"pypi short", "pypi-AgEIcHlwaS5vcmc" + rnd(38, 20, alnum), "", ""},

		{"sendgrid", "SENDGRID_API_KEY=" + sendgrid, KindSendGridKey, sendgrid},
		{"sendgrid placeholder", "SG." + strings.Repeat("x", 22) + "." + strings.Repeat("x", 43), "", ""},

		{"twilio", "TWILIO_KEY=" + twilio, KindTwilioKey, twilio},
		{"twilio inside word", "TASK" + rnd(39, 32, hex), "", ""},
		{"twilio placeholder", "SK" + strings.Repeat("0", 32), "", ""},

		{"openai", "OPENAI_API_KEY=" + openai, KindOpenAIKey, openai},
		{"openai legacy", "sk-" + rnd(40, 48, alnum), KindOpenAIKey, ""},
		{"sk-learn is no key", "pip install scikit-learn sk-learn", "", ""},
		{"long hyphenated words", "sk-some-very-long-package-name-with-many-words-in-it", "", ""},
		{"openai placeholder", "sk-proj-" + strings.Repeat("x", 48), "", ""},

		{"anthropic", "ANTHROPIC_API_KEY=" + anthropic, KindAnthropicKey, anthropic},
		{"anthropic placeholder", "sk-ant-api03-your-key-goes-here-0000000000000", "", ""},

		{"private key block", "RUN echo '" + key + "' > /root/.ssh/id_rsa", KindPrivateKey, key},
		{"private key escaped newlines", strings.ReplaceAll(key, "\n", `\n`), KindPrivateKey, ""},
		{"private key header only", "-----BEGIN OPENSSH PRIVATE KEY-----", KindPrivateKey, ""},
		{"ec private key", "-----BEGIN EC PRIVATE KEY-----\n" + keyBody + "-----END EC PRIVATE KEY-----", KindPrivateKey, ""},
		{"encrypted private key", "-----BEGIN ENCRYPTED PRIVATE KEY-----", KindPrivateKey, ""},
		{"dsa private key", "-----BEGIN DSA PRIVATE KEY-----", KindPrivateKey, ""},
		{"pgp private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + keyBody + "-----END PGP PRIVATE KEY BLOCK-----", KindPrivateKey, ""},
		{"private key elided body", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----", "", ""},
		{"public key", "-----BEGIN PUBLIC KEY-----\n" + keyBody + "-----END PUBLIC KEY-----", "", ""},
		{"certificate", "-----BEGIN CERTIFICATE-----", "", ""},

		{"jwt", "Authorization: Bearer " + testJWT, KindJWT, testJWT},
		{"jwt documentation sample", "Bearer " + jwtExample, "", ""},
		{"jwt short parts", "eyJhbGciOi.eyJzdWIi.abc", "", ""},
		{"jwt payload not json", "eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop.abcdefghijklmnop", "", ""},

		{"url credentials", "DATABASE_URL=postgres://app:" + pw + "@db:5432/app", KindURLCredentials, pw},
		{"url credentials at sign in password", "mysql://root:p@" + pw + "@db/x", KindURLCredentials, "p@" + pw},
		{"url credentials empty user", "redis://:" + pw + "@cache:6379/0", KindURLCredentials, pw},
		{"url credentials variable", "postgres://app:${DB_PASSWORD}@db/app", "", ""},
		{"url credentials dollar variable", "postgres://app:$DB_PASSWORD@db/app", "", ""},
		{"url credentials placeholder", "postgres://user:password@localhost/db", "", ""},
		{"url credentials angle placeholder", "amqp://user:<password>@mq/", "", ""},
		{"url user only", "https://" + "deploy@example.org/repo.git", "", ""},
		{"url without credentials", "https://example.org:8443/path?a=b@c", "", ""},
		{"url no host", "ftp://user:" + pw + "@", "", ""},
		{"ssh url", "git@github.com:o/r.git", "", ""},

		{"plain text", "FROM alpine:3.20\nRUN apk add --no-cache ca-certificates", "", ""},
		{"empty", "", "", ""},
	}
}

func TestKnown(t *testing.T) {
	for _, tc := range knownCases() {
		t.Run(tc.name, func(t *testing.T) {
			ms := Known(tc.text)
			checkMatches(t, tc.text, ms)
			if tc.kind == "" {
				if len(ms) != 0 {
					t.Fatalf("Known found %s %s, want nothing", ms[0].Kind, Redact(ms[0].Value))
				}
				return
			}
			if len(ms) != 1 {
				t.Fatalf("Known found %d matches, want 1 %s", len(ms), tc.kind)
			}
			m := ms[0]
			want := tc.secret
			if want == "" {
				want = tc.text
			}
			if m.Kind != tc.kind {
				t.Errorf("Kind = %q, want %q", m.Kind, tc.kind)
			}
			if m.Value != want {
				t.Errorf("Value = %s, want %s", Redact(m.Value), Redact(want))
			}
			if wantStart := strings.Index(tc.text, want); m.Start != wantStart || m.End != wantStart+len(want) {
				t.Errorf("offsets = [%d,%d), want [%d,%d)", m.Start, m.End, wantStart, wantStart+len(want))
			}
		})
	}
}

// checkMatches verifies the invariants every Known result must keep.
func checkMatches(t *testing.T, text string, ms []Match) {
	t.Helper()
	prevEnd := 0
	for i, m := range ms {
		if m.Start < prevEnd || m.Start >= m.End || m.End > len(text) {
			t.Fatalf("match %d (%s) has bad offsets [%d,%d) after %d in text of %d bytes",
				i, m.Kind, m.Start, m.End, prevEnd, len(text))
		}
		if m.Value != text[m.Start:m.End] {
			t.Fatalf("match %d (%s): Value is not text[Start:End]", i, m.Kind)
		}
		if m.Kind == "" {
			t.Fatalf("match %d has no Kind", i)
		}
		prevEnd = m.End
	}
}

func TestKnownSeveral(t *testing.T) {
	ghp := "ghp_" + rnd(50, 36, alnum)
	aws := "AKIA" + rnd(51, 16, digits+upper)
	pw := "Zr4" + rnd(52, 12, alnum)
	text := "ENV A=" + aws + "\n" +
		"RUN git clone https://x-access-token:" + ghp + "@github.com/o/r\n" +
		"ENV DB=mysql://root:" + pw + "@db/app JWT=" + testJWT + "\n"
	ms := Known(text)
	checkMatches(t, text, ms)
	want := []struct{ kind, value string }{
		{KindAWSAccessKeyID, aws},
		{KindGitHubToken, ghp}, // a known format beats generic URL credentials
		{KindURLCredentials, pw},
		{KindJWT, testJWT},
	}
	if len(ms) != len(want) {
		t.Fatalf("got %d matches, want %d", len(ms), len(want))
	}
	for i, w := range want {
		if ms[i].Kind != w.kind || ms[i].Value != w.value {
			t.Errorf("match %d = %s %s, want %s %s", i, ms[i].Kind, Redact(ms[i].Value), w.kind, Redact(w.value))
		}
	}
}

func TestKnownPrivateKeyHeadersWithoutEnd(t *testing.T) {
	// Many headers and one complete block: each header is reported once and
	// the block keeps its own END line.
	key := "-----BEGIN EC PRIVATE KEY-----\n" + rnd(53, 64, alnum) + "\n-----END EC PRIVATE KEY-----"
	text := strings.Repeat("-----BEGIN RSA PRIVATE KEY-----\n", 3) + key
	ms := Known(text)
	checkMatches(t, text, ms)
	if len(ms) != 4 {
		t.Fatalf("got %d matches, want 4", len(ms))
	}
	if ms[3].Value != key {
		t.Errorf("last match = %s, want the whole EC block", Redact(ms[3].Value))
	}
	for _, m := range ms[:3] {
		if m.Value != "-----BEGIN RSA PRIVATE KEY-----" {
			t.Errorf("header match = %q", m.Value)
		}
	}
}

func TestIsSecretName(t *testing.T) {
	for _, name := range []string{
		"DB_PASSWORD", "MYSQL_ROOT_PASSWORD", "NPM_TOKEN", "GITHUB_TOKEN",
		"AWS_SECRET_ACCESS_KEY", "apiKey", "api-key", "API_KEY", "APIKEY",
		"STRIPE_SECRET_KEY", "CLIENT_SECRET", "PRIVATE_KEY", "NODE_AUTH_TOKEN",
		"PGPASSWORD", "REDIS_PASS", "DB_PWD", "POSTGRES_PASSWD", "SECRET",
		"SECRET_KEY", "ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
		"DOCKER_CREDENTIAL", "BASIC_AUTH", "_AUTH", "CONNECTION_STRING",
		"db.password", "jwtSecret", "accessToken", "APIKey", "OAuthToken",
		"SSH_PASSPHRASE", "password2", "app.secret-key", "x-api-key",
	} {
		if !IsSecretName(name) {
			t.Errorf("IsSecretName(%q) = false, want true", name)
		}
	}
	for _, name := range []string{
		"PASSWORD_FILE", "MYSQL_ROOT_PASSWORD_FILE", "TOKEN_URL",
		"AWS_ACCESS_KEY_ID", "PWD", "OLDPWD", "pwd", "GITHUB_TOKEN_PATH",
		"KEYCLOAK_HOST", "AUTHOR", "MONKEY", "KEYBOARD",
		"TOKENIZERS_PARALLELISM", "PASSWORD_MIN_LENGTH", "SLACK_WEBHOOK",
		"DATABASE_URL", "DB_USER", "POSTGRES_USERNAME", "SECRETS_DIR",
		"AUTH_TYPE", "TOKEN_TTL", "JWT_EXPIRY", "PASSWORD_ENABLED",
		"AUTH_HEADER", "SECRET_NAME", "AUTH_ENDPOINT", "TOKEN_HOST",
		"DB_PORT", "GPG_KEY", "PUBLIC_KEY", "KEY", "PATH", "HOME",
		"NODE_VERSION", "", "PASSPORT_STRATEGY", "DSN",
	} {
		if IsSecretName(name) {
			t.Errorf("IsSecretName(%q) = true, want false", name)
		}
	}
}

func TestIsPlaceholder(t *testing.T) {
	for _, v := range []string{
		"", "   ", "$VAR", "${VAR}", "${VAR:-x}", "${DB_PASSWORD:?required}",
		"%VAR%", "$(cat /run/secrets/db)", "{{ .Values.password }}",
		"${{ secrets.TOKEN }}", "xxxx", "****", "0000", "x",
		"changeme", "CHANGEME", "change_me", "change-me", "example", "sample",
		"placeholder", "password", "Password", "secret", "passw0rd", "dummy",
		"test", "testing", "todo", "TBD", "none", "null", "nil", "undefined",
		"true", "false", "yes", "no", "redacted", "your-token",
		"your_api_key_here", "YourPassword", "my-secret-token", "my_api_key",
		"<password>", "<your token>", "an-example-value", "db-placeholder-1",
		"ChangeMe123", "dummy_value", "replace-with-real-key", "REPLACE_ME",
		"...", "sk-...", "sk_test_xxx", `"changeme"`, "'${TOKEN}'", "{password}",
		"%s", "$HOME/.netrc",
	} {
		if !IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = false, want true", v)
		}
	}
	for _, v := range []string{
		"hX9#kq2LmP0zR7vT", "postgres", "mysecretpassword", "s3cr3t-Pr0d-Key",
		"9f86d081884c7d659a2feaa0c55ad015", "admin", "hunter2-plus",
		"Tr0ub4dor&3", "p$ssword", "$dollarfirst-Value1",
	} {
		if IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = true, want false", v)
		}
	}
}

func TestAssignment(t *testing.T) {
	awsSecret := rnd(60, 20, alnum) + "/" + rnd(61, 9, alnum) + "+" + rnd(62, 9, alnum)
	if len(awsSecret) != 40 {
		t.Fatalf("bad test value length %d", len(awsSecret))
	}
	ghp := "ghp_" + rnd(63, 36, alnum)
	cases := []struct {
		name, value string
		kind        string // "" means not reported
		start, end  int    // expected offsets when reported; end 0 means len(value)
	}{
		{"DB_PASSWORD", "hX9#kq2LmP0zR7vT", KindHighEntropy, 0, 0},
		{"API_TOKEN", "9f86d081884c7d659a2feaa0c55ad015", KindHighEntropy, 0, 0},
		{"AWS_SECRET_ACCESS_KEY", awsSecret, KindAWSSecretKey, 0, 0},
		{"SECRET_ACCESS_KEY", awsSecret, KindAWSSecretKey, 0, 0},
		{"CLIENT_SECRET", awsSecret, KindHighEntropy, 0, 0},
		{"DB_PASSWORD", `"hX9#kq2LmP0zR7vT"`, KindHighEntropy, 1, 17},
		{"AUTH_TOKEN", "Bearer hX9kq2LmP0zR7vTw", KindHighEntropy, 7, 0},
		{"POSTGRES_PASSWORD", "postgres", "", 0, 0},
		{"DB_PASSWORD", "password123", "", 0, 0},
		{"ADMIN_PASSWORD", "admin", "", 0, 0},
		{"ROOT_PASSWORD", "root", "", 0, 0},
		{"POSTGRES_PASSWORD", "mysecretpassword", "", 0, 0},
		{"DB_PASSWORD", "Welcome123!", "", 0, 0},
		{"DB_PASSWORD", "Passw0rd!2024", "", 0, 0},
		{"DB_PASSWORD", "My$uperS3cret", "", 0, 0},
		{"DB_PASSWORD", "S3cureP@ss!", "", 0, 0},
		{"DB_PASSWORD", "k3j9x2m8q1w7", KindHighEntropy, 0, 0},
		{"API_KEY", "550e8400-e29b-41d4-a716-446655440000", KindHighEntropy, 0, 0},
		{"DB_PASSWORD", "xkcdpqrvtzmlwb", KindHighEntropy, 0, 0},
		{"DB_PASSWORD", "kubernetes", "", 0, 0},
		{"DB_PASSWORD", "correcthorse", "", 0, 0},
		{"DB_PASSWORD", "${DB_PASSWORD}", "", 0, 0},
		{"DB_PASSWORD", "changeme", "", 0, 0},
		{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", 0, 0},
		{"GOOGLE_APPLICATION_CREDENTIALS", "/run/secrets/gcp-sa.json", "", 0, 0},
		{"CREDENTIALS", "/var/lib/app/creds", "", 0, 0},
		{"AUTH_SERVER", "https://auth.mycorp.io/realms/main", "", 0, 0},
		{"SECRET_MESSAGE", "Please log in before continuing", "", 0, 0},
		{"DB_PASSWORD_FILE", "hX9#kq2LmP0zR7vT", "", 0, 0},
		{"APP_NAME", "hX9#kq2LmP0zR7vT", "", 0, 0},
		{"PWD", "/srv/app/x9Kq2", "", 0, 0},
		{"PIN_PASSWORD", "12345678", "", 0, 0},
		// A known format is reported whatever the name.
		{"GIT_REMOTE", "https://" + ghp + "@github.com/o/r.git", KindGitHubToken, 8, 8 + len(ghp)},
		{"DATABASE_URL", "postgres://app:Vq8w2LmZ0pR@db/app", KindURLCredentials, 15, 26},
	}
	for _, tc := range cases {
		m, ok := Assignment(tc.name, tc.value)
		if tc.kind == "" {
			if ok {
				t.Errorf("Assignment(%q, %s) = %s, want nothing", tc.name, Redact(tc.value), m.Kind)
			}
			continue
		}
		end := tc.end
		if end == 0 {
			end = len(tc.value)
		}
		if !ok {
			t.Errorf("Assignment(%q, %s) found nothing, want %s", tc.name, Redact(tc.value), tc.kind)
			continue
		}
		if m.Kind != tc.kind || m.Start != tc.start || m.End != end || m.Value != tc.value[m.Start:m.End] {
			t.Errorf("Assignment(%q, %s) = %s [%d,%d), want %s [%d,%d)",
				tc.name, Redact(tc.value), m.Kind, m.Start, m.End, tc.kind, tc.start, end)
		}
	}
}

func TestEntropy(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want float64
	}{
		{"", 0}, {"aaaa", 0}, {"ab", 1}, {"abcd", 2}, {"aabb", 1},
		{"0123456789abcdef", 4}, {"éèéè", 1},
	} {
		if got := Entropy(tc.s); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Entropy(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "(empty)"},
		{"abc", "…(3 chars)"},
		{"abcdefgh", "ab…(8 chars)"},
		{"ghp_" + rnd(70, 36, alnum), "ghp_…(40 chars)"},
		{"pässwörd", "pä…(8 chars)"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for n := 0; n <= 80; n++ {
		for seed := range uint64(5) {
			v := rnd(seed*100+uint64(n), n, alnum+"äé€")
			checkRedact(t, v)
		}
	}
	checkRedact(t, "…(11 chars)")
	checkRedact(t, "(10 chars)")
}

func checkRedact(t *testing.T, v string) {
	t.Helper()
	r := Redact(v)
	n := utf8.RuneCountInString(v)
	prefix, _, _ := strings.Cut(r, "…")
	if !strings.Contains(r, "…") {
		prefix = ""
	}
	if k := utf8.RuneCountInString(prefix); k > 4 || k > n/4 || !strings.HasPrefix(v, prefix) {
		t.Errorf("Redact(%q) = %q shows %d chars", v, r, k)
	}
	if n > 1 && strings.Contains(r, v) {
		t.Errorf("Redact(%q) = %q contains the value", v, r)
	}
}

// dockerfile builds a ~4 KB Dockerfile-like text with a few secrets in it.
func dockerfile() string {
	var b strings.Builder
	b.WriteString("# syntax=docker/dockerfile:1.7\nFROM golang:1.26-alpine AS build\n")
	b.WriteString("ARG GITHUB_TOKEN=ghp_" + rnd(80, 36, alnum) + "\n")
	for i := 0; b.Len() < 3800; i++ {
		b.WriteString("RUN apk add --no-cache git ca-certificates tzdata && \\\n")
		b.WriteString("    wget -qO- https://dl.example.org/tool/v1.2.3/tool_linux_amd64.tar.gz | tar xz -C /usr/local/bin\n")
		b.WriteString("ENV PATH=/usr/local/go/bin:$PATH GOFLAGS=-mod=readonly CGO_ENABLED=0 TASK_DISK_SIZE=10G\n")
		b.WriteString("COPY --from=build /src/bin/app /usr/local/bin/app\n")
		if i == 3 {
			b.WriteString("ENV DATABASE_URL=postgres://app:Vq8w2LmZ0pR@db:5432/app AWS_ACCESS_KEY_ID=AKIA" + rnd(81, 16, digits+upper) + "\n")
		}
	}
	b.WriteString("USER 65532:65532\nENTRYPOINT [\"/usr/local/bin/app\"]\n")
	return b.String()
}

func TestDockerfileFixture(t *testing.T) {
	text := dockerfile()
	ms := Known(text)
	checkMatches(t, text, ms)
	if len(ms) != 3 {
		t.Fatalf("got %d matches in the fixture, want 3", len(ms))
	}
}

func BenchmarkKnown(b *testing.B) {
	text := dockerfile()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Known(text)
	}
}

func FuzzKnown(f *testing.F) {
	for _, tc := range knownCases() {
		f.Add(tc.text)
	}
	f.Add(dockerfile())
	f.Add("-----BEGIN RSA PRIVATE KEY-----\n-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----")
	f.Add("a://b://c:d@e://f:g@h")
	f.Fuzz(func(t *testing.T, text string) {
		ms := Known(text)
		checkMatches(t, text, ms)
		for _, m := range ms {
			if len(m.Value) > 8 && strings.Contains(Redact(m.Value), m.Value) {
				t.Fatalf("Redact leaks %q", m.Value)
			}
		}
	})
}

func TestMatchFormattingRedacts(t *testing.T) {
	v := "ghp_" + rnd(90, 36, alnum)
	m := Known("x " + v)[0]
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		if out := fmt.Sprintf(verb, m); strings.Contains(out, v) {
			t.Errorf("%s of a Match prints the secret: %s", verb, out)
		}
		if out := fmt.Sprintf(verb, []Match{m}); strings.Contains(out, v) {
			t.Errorf("%s of []Match prints the secret: %s", verb, out)
		}
	}
}

func TestFileNamesAreNotSecrets(t *testing.T) {
	for _, v := range []string{"resetOSPassword.sh", "runUserScripts.sh", "keystore.jks", "db_passwd.txt"} {
		if m, ok := Assignment("RESET_OS_PASSWORD", v); ok {
			t.Errorf("%q reported as %s", v, m.Kind)
		}
	}
	if _, ok := Assignment("DB_PASSWORD", "hX9#kq2LmP0zR7vT"); !ok {
		t.Errorf("a random password must still be reported")
	}
}
