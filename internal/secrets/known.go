package secrets

import (
	"cmp"
	"encoding/base64"
	"math/bits"
	"slices"
	"strings"
)

// Detection avoids regular expressions: every format starts with a fixed
// prefix, so a single pass finds candidates and a byte-class scan validates
// them. Each scan starts with a boundary check that
// rejects any candidate lying inside a run an earlier candidate already
// scanned, which keeps the total work linear in the text size.

type byteClass [256]bool

func newClass(extra string, ranges ...string) *byteClass {
	var c byteClass
	for _, r := range ranges {
		for b := r[0]; b <= r[1]; b++ {
			c[b] = true
		}
	}
	for i := 0; i < len(extra); i++ {
		c[extra[i]] = true
	}
	return &c
}

var (
	base62     = newClass("", "09", "AZ", "az")
	ident      = newClass("_", "09", "AZ", "az")
	b64url     = newClass("_-", "09", "AZ", "az")
	b64std     = newClass("+/", "09", "AZ", "az")
	upperAlnum = newClass("", "09", "AZ")
	hexLower   = newClass("", "09", "af")
	slackBody  = newClass("-", "09", "AZ", "az")
	slackPath  = newClass("/_-", "09", "AZ", "az")
	scheme     = newClass("+.-", "09", "AZ", "az")
	keyBody    = newClass("+/=", "09", "AZ", "az")
	// Bytes that end the authority part of a URL in the contexts dockguard
	// reads: shell words, quoted strings, YAML and JSON.
	urlStop = newClass("/?#\"'`<>\\| \t\r\n\v\f")
)

// runLen counts the bytes of class c in s from i, stopping after limit.
func runLen(s string, i int, c *byteClass, limit int) int {
	n := 0
	for i+n < len(s) && n < limit && c[s[i+n]] {
		n++
	}
	return n
}

// scanner holds one text and the look-ahead caches that keep private key
// block matching linear when a text holds many headers.
type scanner struct {
	text      string
	nextEnd   int // position of the next "-----END ", -1 unknown, -2 none
	nextBegin int // same for "-----BEGIN "
}

type detector struct {
	prefix string
	scan   func(s *scanner, i int) (Match, bool)
}

// token returns a scan for prefix + body where the body is a run of class
// body of length min..max (max 0: unbounded). A byte of class before right
// in front of the prefix, or of ident/body right after the run, means the
// candidate is part of a longer word and not a token.
func token(kind string, prefixLen int, body *byteClass, minLen, maxLen int, before *byteClass) func(*scanner, int) (Match, bool) {
	after := *ident
	for b, ok := range body {
		after[b] = after[b] || ok
	}
	return func(s *scanner, i int) (Match, bool) {
		t := s.text
		if i > 0 && before[t[i-1]] {
			return Match{}, false
		}
		p := i + prefixLen
		limit := len(t)
		if maxLen > 0 {
			limit = maxLen + 1
		}
		n := runLen(t, p, body, limit)
		if n < minLen || maxLen > 0 && n > maxLen {
			return Match{}, false
		}
		end := p + n
		if end < len(t) && after[t[end]] {
			return Match{}, false
		}
		if tokenPlaceholder(t[i:end], t[p:end]) {
			return Match{}, false
		}
		return Match{Kind: kind, Start: i, End: end}, true
	}
}

var (
	detectors []detector
	// byFirst and bySecond are bit sets of the detectors whose prefix has a
	// byte as its first or second byte. Known reads the text once and ANDs
	// the two, instead of searching once per prefix: two dozen prefixes
	// mostly start with common letters, so per-prefix searches and
	// first-byte dispatch both spend their time on false starts.
	byFirst, bySecond [256]uint64
)

func init() {
	github := token(KindGitHubToken, 4, base62, 36, 0, ident)
	detectors = []detector{
		{"AKIA", token(KindAWSAccessKeyID, 4, upperAlnum, 16, 16, ident)},
		{"ASIA", token(KindAWSAccessKeyID, 4, upperAlnum, 16, 16, ident)},
		{"ghp_", github},
		{"gho_", github},
		{"ghu_", github},
		{"ghs_", github},
		{"ghr_", github},
		{"github_pat_", token(KindGitHubToken, 11, ident, 82, 0, ident)},
		{"glpat-", token(KindGitLabToken, 6, b64url, 20, 0, b64url)},
		{"xox", (*scanner).slackToken},
		{"hooks.slack.com/services/", (*scanner).slackWebhook},
		{"sk_live_", token(KindStripeSecret, 8, base62, 16, 0, ident)},
		{"rk_live_", token(KindStripeRestricted, 8, base62, 16, 0, ident)},
		{"AIza", token(KindGoogleAPIKey, 4, b64url, 35, 35, b64url)},
		{"npm_", token(KindNPMToken, 4, base62, 36, 0, ident)},
		{"dckr_pat_", token(KindDockerHubToken, 9, b64url, 27, 0, b64url)},
		{"dckr_oat_", token(KindDockerHubToken, 9, b64url, 27, 0, b64url)},
		{"pypi-AgEIcHlwaS5vcmc", token(KindPyPIToken, 20, b64url, 50, 0, b64url)},
		{"SG.", (*scanner).sendGrid},
		{"SK", token(KindTwilioKey, 2, hexLower, 32, 32, ident)},
		{"sk-", (*scanner).openAI},
		{"-----BEGIN ", (*scanner).privateKey},
		{"eyJ", (*scanner).jwt},
		{"://", (*scanner).urlCredentials},
	}
	if len(detectors) > maxDetectors {
		panic("secrets: too many detectors")
	}
	for i, d := range detectors {
		byFirst[d.prefix[0]] |= 1 << i
		bySecond[d.prefix[1]] |= 1 << i
	}
}

const maxDetectors = 64

// Known finds secrets of known formats anywhere in text: an ENV value, a RUN
// line or a whole file. Results are sorted by Start and do not overlap; where
// two formats claim the same bytes the more specific one is kept (a GitHub
// token used as a URL password is reported as a GitHub token).
func Known(text string) []Match {
	s := scanner{text: text, nextEnd: -1, nextBegin: -1}
	var found []Match
	// resume[d] is where detector d may match next: a detector never
	// matches inside its own previous match.
	var resume [maxDetectors]int
	for i := 0; i+1 < len(text); i++ {
		set := byFirst[text[i]] & bySecond[text[i+1]]
		for set != 0 {
			d := bits.TrailingZeros64(set)
			set &= set - 1
			det := &detectors[d]
			if i < resume[d] || !strings.HasPrefix(text[i:], det.prefix) {
				continue
			}
			if m, ok := det.scan(&s, i); ok {
				m.Value = text[m.Start:m.End]
				found = append(found, m)
				resume[d] = m.End
			}
		}
	}
	if len(found) < 2 {
		return found
	}
	slices.SortFunc(found, func(a, b Match) int {
		return cmp.Or(
			cmp.Compare(a.Start, b.Start),
			cmp.Compare(rank(a.Kind), rank(b.Kind)),
			cmp.Compare(b.End, a.End),
		)
	})
	out := found[:1]
	for _, m := range found[1:] {
		if m.Start >= out[len(out)-1].End {
			out = append(out, m)
		}
	}
	return out
}

// rank orders kinds that can claim the same bytes: the generic URL
// credentials lose to any specific format.
func rank(kind string) int {
	if kind == KindURLCredentials {
		return 1
	}
	return 0
}

func (s *scanner) slackToken(i int) (Match, bool) {
	t := s.text
	if i > 0 && b64url[t[i-1]] || i+5 > len(t) ||
		strings.IndexByte("baprs", t[i+3]) < 0 || t[i+4] != '-' {
		return Match{}, false
	}
	p := i + 5
	n := runLen(t, p, slackBody, len(t))
	end := p + n
	if n < 10 || !strings.ContainsAny(t[p:end], "0123456789") ||
		end < len(t) && ident[t[end]] || tokenPlaceholder(t[i:end], t[p:end]) {
		return Match{}, false
	}
	return Match{Kind: KindSlackToken, Start: i, End: end}, true
}

func (s *scanner) slackWebhook(i int) (Match, bool) {
	t := s.text
	start := i
	for _, sch := range []string{"https://", "http://"} {
		if i >= len(sch) && t[i-len(sch):i] == sch {
			start = i - len(sch)
			break
		}
	}
	if start > 0 && (ident[t[start-1]] || t[start-1] == '.') {
		return Match{}, false
	}
	p := i + len("hooks.slack.com/services/")
	n := runLen(t, p, slackPath, len(t))
	path := t[p : p+n]
	if n < 20 || strings.Count(path, "/") < 2 || tokenPlaceholder(path, path) {
		return Match{}, false
	}
	return Match{Kind: KindSlackWebhook, Start: start, End: p + n}, true
}

func (s *scanner) sendGrid(i int) (Match, bool) {
	t := s.text
	if i > 0 && b64url[t[i-1]] {
		return Match{}, false
	}
	p := i + 3
	if runLen(t, p, b64url, 23) != 22 {
		return Match{}, false
	}
	p += 22
	if p >= len(t) || t[p] != '.' || runLen(t, p+1, b64url, 44) != 43 {
		return Match{}, false
	}
	p += 44
	if tokenPlaceholder(t[i:p], t[i+3:p]) {
		return Match{}, false
	}
	return Match{Kind: KindSendGridKey, Start: i, End: p}, true
}

// openAI handles every "sk-" key: Anthropic's sk-ant- and OpenAI's sk-,
// sk-proj-, sk-svcacct-. Length alone would also accept long hyphenated
// words, so the body must mix upper case, lower case and digits as
// generated keys do.
func (s *scanner) openAI(i int) (Match, bool) {
	t := s.text
	if i > 0 && b64url[t[i-1]] {
		return Match{}, false
	}
	kind, p, minLen := KindOpenAIKey, i+3, 40
	if strings.HasPrefix(t[p:], "ant-") {
		kind, p, minLen = KindAnthropicKey, i+7, 32
	}
	n := runLen(t, p, b64url, len(t))
	body := t[p : p+n]
	if n < minLen || !mixed(body) || tokenPlaceholder(t[i:p+n], body) {
		return Match{}, false
	}
	return Match{Kind: kind, Start: i, End: p + n}, true
}

func mixed(s string) bool {
	var lower, upper, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		lower = lower || isLower(c)
		upper = upper || isUpper(c)
		digit = digit || isDigit(c)
	}
	return lower && upper && digit
}

// privateKey matches PEM and PGP private key armour. The value is the whole
// block when its END line follows, otherwise just the header: a header alone
// still means a key is being written somewhere.
func (s *scanner) privateKey(i int) (Match, bool) {
	t := s.text
	j := i + len("-----BEGIN ")
	k := strings.Index(t[j:min(len(t), j+64)], "-----")
	if k <= 0 {
		return Match{}, false
	}
	label := t[j : j+k]
	if !strings.HasSuffix(label, "PRIVATE KEY") && !strings.HasSuffix(label, "PRIVATE KEY BLOCK") {
		return Match{}, false
	}
	for b := 0; b < len(label); b++ {
		if c := label[b]; !isUpper(c) && !isDigit(c) && c != ' ' {
			return Match{}, false
		}
	}
	hdrEnd := j + k + 5
	m := Match{Kind: KindPrivateKey, Start: i, End: hdrEnd}
	end := s.next(&s.nextEnd, "-----END ", hdrEnd)
	if end < 0 {
		return m, true
	}
	if begin := s.next(&s.nextBegin, "-----BEGIN ", hdrEnd); begin >= 0 && begin < end {
		return m, true
	}
	marker := "-----END " + label + "-----"
	if !strings.HasPrefix(t[end:], marker) {
		return m, true
	}
	if keyBodyPlaceholder(t[hdrEnd:end]) {
		return Match{}, false
	}
	m.End = end + len(marker)
	return m, true
}

// next returns the first position >= from of pat, or -1. The answer is
// cached in *cache, so that positions are searched forward only once.
func (s *scanner) next(cache *int, pat string, from int) int {
	if *cache == -2 {
		return -1
	}
	if *cache >= from {
		return *cache
	}
	k := strings.Index(s.text[from:], pat)
	if k < 0 {
		*cache = -2
		return -1
	}
	*cache = from + k
	return *cache
}

// keyBodyPlaceholder reports documentation that shows a key's armour around
// an elided body ("...", "xxxx") rather than a key.
func keyBodyPlaceholder(body string) bool {
	if strings.Contains(body, "...") || strings.Contains(body, "…") ||
		strings.Contains(body, "xxx") || strings.Contains(body, "XXX") {
		return true
	}
	n := 0
	for i := 0; i < len(body); i++ {
		if keyBody[body[i]] {
			n++
		}
	}
	return n < 32
}

// jwt matches three base64url parts whose first two are JSON objects
// (base64 of `{"` begins "eyJ"): header.payload.signature.
func (s *scanner) jwt(i int) (Match, bool) {
	t := s.text
	if i > 0 && (b64url[t[i-1]] || t[i-1] == '.') {
		return Match{}, false
	}
	p := i
	var payload string
	for part := 0; part < 3; part++ {
		if part == 1 && !strings.HasPrefix(t[p:], "eyJ") {
			return Match{}, false
		}
		n := runLen(t, p, b64url, len(t))
		if n < 10 {
			return Match{}, false
		}
		if part == 1 {
			payload = t[p : p+n]
		}
		p += n
		if part < 2 {
			if p >= len(t) || t[p] != '.' {
				return Match{}, false
			}
			p++
		}
	}
	if tokenPlaceholder(t[i:p], t[i:p]) || jwtPayloadPlaceholder(payload) {
		return Match{}, false
	}
	return Match{Kind: KindJWT, Start: i, End: p}, true
}

// jwtPayloadPlaceholder recognises the sample tokens of documentation
// (jwt.io's "John Doe") from their decoded claims.
func jwtPayloadPlaceholder(payload string) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return false
	}
	l := strings.ToLower(string(b))
	for _, m := range []string{"john doe", "example", "placeholder", "dummy"} {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// urlCredentials matches scheme://user:password@host and reports the
// password. The last '@' of the authority ends the user info, as in URL
// parsers, because people write unencoded '@' in passwords.
func (s *scanner) urlCredentials(i int) (Match, bool) {
	t := s.text
	b := i
	for b > 0 && i-b < 32 && scheme[t[b-1]] {
		b--
	}
	for b < i && !isAlpha(t[b]) {
		b++
	}
	if b == i {
		return Match{}, false
	}
	a := i + 3
	e, at := a, -1
	for e < len(t) && !urlStop[t[e]] {
		if t[e] == '@' {
			at = e
		}
		e++
	}
	if at < 0 || at+1 >= e {
		return Match{}, false
	}
	colon := strings.IndexByte(t[a:at], ':')
	if colon < 0 {
		return Match{}, false
	}
	ps := a + colon + 1
	if ps >= at || IsPlaceholder(t[ps:at]) {
		return Match{}, false
	}
	return Match{Kind: KindURLCredentials, Start: ps, End: at}, true
}
