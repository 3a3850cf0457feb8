// Package secrets finds values that look like live credentials in Docker
// build and run configuration (ENV and ARG lines, RUN commands, compose
// environments, files copied into images) and redacts them for reporting.
//
// Detection is deliberately conservative: dockguard runs it on every line of
// thousands of files, so a false alarm costs more trust than a miss of an
// obviously fake value. Known token formats are recognised anywhere; for
// everything else a secret-looking name is required together with a value
// that looks machine-generated rather than human-typed or templated.
//
// Nothing in this package ever needs to print a secret: findings carry the
// value so callers can deduplicate, but reports must go through Redact.
package secrets

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Match is one secret found in a text.
type Match struct {
	Kind       string // human name of what was found, e.g. "GitHub token"
	Value      string // the secret itself (never print it; use Redact)
	Start, End int    // byte offsets of Value in the text passed in
}

// String describes m without revealing the secret, so that a Match printed
// by accident (%v in a log line) does not leak it.
func (m Match) String() string {
	return fmt.Sprintf("%s %s at [%d,%d)", m.Kind, Redact(m.Value), m.Start, m.End)
}

// GoString keeps %#v as safe as %v.
func (m Match) GoString() string {
	return fmt.Sprintf("secrets.Match{Kind: %q, Value: %q, Start: %d, End: %d}", m.Kind, Redact(m.Value), m.Start, m.End)
}

// Kinds reported by this package. Callers may compare against them to pick
// severities; the strings are also meant to be read by humans.
const (
	KindAWSAccessKeyID   = "AWS access key ID"
	KindAWSSecretKey     = "AWS secret access key"
	KindGitHubToken      = "GitHub token"
	KindGitLabToken      = "GitLab token"
	KindSlackToken       = "Slack token"
	KindSlackWebhook     = "Slack webhook URL"
	KindStripeSecret     = "Stripe secret key"
	KindStripeRestricted = "Stripe restricted key"
	KindGoogleAPIKey     = "Google API key"
	KindNPMToken         = "npm token"
	KindDockerHubToken   = "Docker Hub token"
	KindPyPIToken        = "PyPI token"
	KindSendGridKey      = "SendGrid API key"
	KindTwilioKey        = "Twilio API key"
	KindOpenAIKey        = "OpenAI API key"
	KindAnthropicKey     = "Anthropic API key"
	KindPrivateKey       = "private key"
	KindJWT              = "JWT"
	KindURLCredentials   = "URL credentials"
	KindHighEntropy      = "high-entropy value"
)

// Redact returns a form of s safe to print anywhere: a short prefix and the
// length, e.g. `ghp_…(40 chars)`. The prefix is at most 4 characters and
// never more than a quarter of the value, so a reader can tell tokens apart
// without learning enough to guess them. Lengths count characters (runes),
// not bytes.
func Redact(s string) string {
	if s == "" {
		return "(empty)"
	}
	n := utf8.RuneCountInString(s)
	keep := min(4, n/4)
	cut := 0
	for i := range s {
		if keep == 0 {
			cut = i
			break
		}
		keep--
	}
	out := fmt.Sprintf("%s…(%d chars)", s[:cut], n)
	// A value that happens to spell its own redaction must not leak through
	// it; such values are never real secrets, but Redact is a promise.
	if strings.Contains(out, s) {
		out = fmt.Sprintf("(%d chars)", n)
		if strings.Contains(out, s) {
			out = "(redacted)"
		}
	}
	return out
}

// Entropy returns the Shannon entropy of s in bits per character (rune).
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var ascii [utf8.RuneSelf]int
	var other map[rune]int
	total := 0
	for _, r := range s {
		total++
		if r < utf8.RuneSelf {
			ascii[r]++
			continue
		}
		if other == nil {
			other = make(map[rune]int)
		}
		other[r]++
	}
	n := float64(total)
	h := 0.0
	add := func(c int) {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	for _, c := range ascii {
		add(c)
	}
	for _, c := range other {
		add(c)
	}
	return h
}

// Assignment judges a name=value pair (ENV, ARG default, compose
// environment, docker run -e NAME=value).
//
// A known token format anywhere in value wins, whatever the name. Otherwise
// the name has to suggest a secret and the value has to look generated:
// a human-chosen default such as "postgres" or "password123" is a weak
// password problem, which other rules judge, not a leaked credential.
//
// Offsets are relative to value. A high-entropy match covers the whole value,
// or only its inside when value is wrapped in quotes or whitespace.
func Assignment(name, value string) (Match, bool) {
	if ms := Known(value); len(ms) > 0 {
		return ms[0], true
	}
	if !IsSecretName(name) || IsPlaceholder(value) {
		return Match{}, false
	}
	start, end := unwrap(value)
	v := value[start:end]
	// AWS secret keys are 40 base64 characters; alone they are
	// indistinguishable from any other blob, so they are named only when the
	// variable says what they are.
	if isAWSSecretName(name) && len(v) == 40 && runLen(v, 0, b64std, 41) == 40 && looksRandom(v) {
		return Match{Kind: KindAWSSecretKey, Value: v, Start: start, End: end}, true
	}
	// Authorization-style values carry the scheme in front of the secret.
	for _, scheme := range []string{"bearer ", "basic ", "token "} {
		if len(v) > len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			start += len(scheme)
			v = value[start:end]
			if IsPlaceholder(v) {
				return Match{}, false
			}
			break
		}
	}
	if looksRandom(v) {
		return Match{Kind: KindHighEntropy, Value: v, Start: start, End: end}, true
	}
	return Match{}, false
}

// unwrap returns the bounds of value without surrounding whitespace and one
// layer of matching quotes, which shells and YAML leave around values.
func unwrap(value string) (start, end int) {
	start, end = 0, len(value)
	for start < end && isSpace(value[start]) {
		start++
	}
	for end > start && isSpace(value[end-1]) {
		end--
	}
	if end-start >= 2 {
		q := value[start]
		if (q == '"' || q == '\'') && value[end-1] == q {
			start++
			end--
		}
	}
	return start, end
}

func isAWSSecretName(name string) bool {
	aws, secret, access := false, false, false
	for _, p := range splitWords(name) {
		aws = aws || p == "aws"
		secret = secret || strings.Contains(p, "secret")
		access = access || strings.Contains(p, "access")
	}
	return secret && (aws || access)
}

// Human-typed passwords are built from these; a value that is mostly made of
// them is a weak default, not a generated credential.
var weakWords = []string{
	"changeme", "password", "postgres", "welcome", "letmein", "default",
	"passwd", "secret", "secure", "qwerty", "summer", "winter", "spring", "autumn",
	"master", "monkey", "dragon", "oracle", "rabbit", "admin", "login",
	"hello", "mysql", "mongo", "redis", "super", "guest", "root", "user",
	"test", "demo", "pass", "my",
}

// looksRandom reports whether v looks machine-generated. Shannon entropy
// alone cannot tell "mysecretpassword" (3.75 bits) from a random string of
// the same length, so it is combined with how much of the value is made of
// common words and how often the character class changes, which is high in
// generated tokens and low in words with a number stuck on.
func looksRandom(v string) bool {
	if len(v) < 8 || Entropy(v) < 3.0 {
		return false
	}
	if strings.ContainsAny(v, " \t\r\n") || strings.Contains(v, "://") || looksLikePath(v) {
		return false
	}
	rest := strings.Map(unleet, strings.ToLower(v))
	for _, w := range weakWords {
		rest = strings.ReplaceAll(rest, w, "")
	}
	if 2*len(rest) < len(v) {
		return false
	}
	transitions := 0
	for i := 1; i < len(v); i++ {
		if charKind(v[i]) != charKind(v[i-1]) {
			transitions++
		}
	}
	if transitions >= 2 {
		return true
	}
	// One class, or one switch (a capital, a numeric suffix): only long,
	// unpronounceable letter runs or long digit strings are generated.
	if len(v) < 12 {
		return false
	}
	letters, vowels, run, maxRun, digits := 0, 0, 0, 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i] | 0x20
		switch {
		case isDigit(v[i]):
			digits++
			run = 0
		case c >= 'a' && c <= 'z':
			letters++
			if strings.IndexByte("aeiou", c) >= 0 {
				vowels++
				run = 0
			} else {
				run++
				maxRun = max(maxRun, run)
			}
		default:
			return false
		}
	}
	if letters == 0 {
		return digits >= 16
	}
	return 4*vowels < letters || maxRun >= 5
}

// unleet undoes the substitutions people use to dress up a dictionary
// password ("P@ssw0rd", "S3cret"), so the weak-word check sees the words.
func unleet(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1', '!':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	}
	return r
}

// looksLikePath spots file paths, which secret-named variables such as
// GOOGLE_APPLICATION_CREDENTIALS often hold and which mix character classes
// like generated tokens do.
func looksLikePath(v string) bool {
	for _, p := range []string{"./", "../", "~/"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	if len(v) >= 3 && isAlpha(v[0]) && v[1] == ':' && v[2] == '\\' {
		return true
	}
	if isFileName(v) {
		return true
	}
	if v[0] != '/' || strings.Count(v, "/") < 2 || strings.ContainsAny(v, "+=") {
		return false
	}
	segs := strings.Split(v[1:], "/")
	if strings.Contains(segs[len(segs)-1], ".") {
		return true
	}
	for _, s := range segs {
		if s != strings.ToLower(s) {
			return false
		}
	}
	return true
}

// charKind groups bytes into lower, upper, digit and everything else.
func charKind(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return 0
	case c >= 'A' && c <= 'Z':
		return 1
	case isDigit(c):
		return 2
	}
	return 3
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlpha(c byte) bool { return isLower(c) || isUpper(c) }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// fileExts are extensions of the files a secret-named variable often points
// at (RESET_PASSWORD_SCRIPT="resetPassword.sh", KEYSTORE=app.jks).
var fileExts = map[string]bool{
	"sh": true, "bash": true, "py": true, "pl": true, "rb": true, "js": true, "sql": true, "rsp": true, "txt": true,
	"conf": true, "cfg": true, "ini": true, "json": true, "yaml": true, "yml": true, "xml": true, "properties": true,
	"jar": true, "war": true, "zip": true, "tar": true, "gz": true, "tgz": true, "log": true, "pem": true, "crt": true,
	"key": true, "jks": true, "p12": true, "pfx": true, "keystore": true, "env": true, "toml": true, "ps1": true, "bat": true,
}

// isFileName reports a bare file name with a known extension.
func isFileName(v string) bool {
	i := strings.LastIndexByte(v, '.')
	if i <= 0 || i == len(v)-1 || !fileExts[strings.ToLower(v[i+1:])] {
		return false
	}
	for j := 0; j < i; j++ {
		c := v[j]
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
