package secrets

import (
	"strings"
	"unicode/utf8"
)

// Whole values (compared lower-case) that documentation, templates and
// defaults use where a secret is meant to go.
var placeholderValues = map[string]bool{
	"changeme": true, "change_me": true, "change-me": true, "example": true,
	"sample": true, "placeholder": true, "password": true, "secret": true,
	"passw0rd": true, "dummy": true, "test": true, "testing": true,
	"todo": true, "tbd": true, "none": true, "null": true, "nil": true,
	"undefined": true, "true": true, "false": true, "yes": true, "no": true,
	"redacted": true, "pass": true, "passwd": true, "pwd": true, "pw": true,
	"n/a": true, "na": true, "empty": true, "unset": true, "fixme": true,
	"foo": true, "bar": true, "foobar": true, "default": true, "token": true,
	"key": true, "apikey": true, "api_key": true, "api-key": true,
	"secret_key": true, "secretkey": true, "mypassword": true,
	"mysecret": true, "mytoken": true, "%s": true, "%v": true, "%q": true,
	"%d": true,
}

// Substrings that no real credential contains but documentation loves.
var placeholderMarkers = []string{
	"example", "placeholder", "changeme", "change_me", "change-me", "dummy",
	"redacted", "xxx", "***", "...", "…",
}

// Last parts of "my-api-token" style values.
var placeholderSecretWords = map[string]bool{
	"token": true, "key": true, "secret": true, "password": true,
	"pass": true, "pwd": true, "apikey": true, "passwd": true,
}

// IsPlaceholder reports whether v is obviously not a real secret: empty,
// a variable or template reference resolved elsewhere, one repeated
// character, or a stock placeholder such as "changeme", "<your token>" or
// "sk_test_xxx". Such values are not reported even under a secret name.
func IsPlaceholder(v string) bool {
	s := strings.TrimSpace(v)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" || isReference(s) || sameRune(s) {
		return true
	}
	l := strings.ToLower(s)
	if placeholderValues[l] {
		return true
	}
	if s[0] == '<' && s[len(s)-1] == '>' {
		return true
	}
	// Python/.NET style "{password}" format fields.
	if len(s) >= 3 && s[0] == '{' && s[len(s)-1] == '}' && isIdentRun(strings.TrimSpace(s[1:len(s)-1])) {
		return true
	}
	for _, m := range placeholderMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	parts := splitWords(s)
	for _, p := range parts {
		if strings.HasPrefix(p, "your") || strings.HasPrefix(p, "replace") {
			return true
		}
	}
	return len(parts) >= 2 && parts[0] == "my" && placeholderSecretWords[parts[len(parts)-1]]
}

// isReference reports values that name a secret held elsewhere: shell and
// compose interpolation, command substitution, Windows %VAR%, Go/Jinja/
// GitHub Actions templates and printf-style format strings.
func isReference(s string) bool {
	if strings.Contains(s, "${") || strings.Contains(s, "$(") || strings.Contains(s, "{{") ||
		strings.HasPrefix(s, "%(") {
		return true
	}
	if len(s) >= 3 && s[0] == '%' && s[len(s)-1] == '%' && isIdentRun(s[1:len(s)-1]) {
		return true
	}
	if len(s) >= 2 && s[0] == '$' && (isAlpha(s[1]) || s[1] == '_') {
		// "$VAR" or "$VAR/rest"; a lower-case run followed by more text may
		// just as well be a password that starts with '$'.
		n := 1 + runLen(s, 1, ident, len(s))
		if n == len(s) {
			return true
		}
		upper := true
		for i := 1; i < n; i++ {
			if isLower(s[i]) {
				upper = false
				break
			}
		}
		return upper
	}
	return false
}

func isIdentRun(s string) bool {
	return s != "" && !isDigit(s[0]) && runLen(s, 0, ident, len(s)) == len(s)
}

func sameRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

// tokenPlaceholder reports a token of a known format (value, with body being
// the part after its fixed prefix) that is documentation filler rather than
// a credential: AKIAIOSFODNN7EXAMPLE, ghp_xxxx..., ghp_1234567890abcdef...
func tokenPlaceholder(value, body string) bool {
	l := strings.ToLower(value)
	for _, m := range []string{
		"example", "placeholder", "changeme", "dummy", "redacted", "replace",
		"your", "123456789", "abcdefghij", "...",
	} {
		if strings.Contains(l, m) {
			return true
		}
	}
	if strings.Contains(value, "xxx") || strings.Contains(value, "XXX") || strings.Contains(value, "***") {
		return true
	}
	// One or two distinct characters: "0000...", "abab...".
	var seen [256]bool
	distinct := 0
	for i := 0; i < len(body); i++ {
		if !seen[body[i]] {
			seen[body[i]] = true
			distinct++
			if distinct > 2 {
				return false
			}
		}
	}
	return true
}
