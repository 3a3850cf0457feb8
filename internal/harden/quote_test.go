package harden

import "testing"

// TestQuoteGlobWords checks that words the shell would expand (brackets,
// stars, question marks) are quoted, and plain flag values are not.
func TestQuoteGlobWords(t *testing.T) {
	for in, want := range map[string]string{
		"[::1]:80:80":    "'[::1]:80:80'",
		"/data/*":        "'/data/*'",
		"a?b":            "'a?b'",
		"127.0.0.1:80:8": "127.0.0.1:80:8",
		"nofile=1024:20": "nofile=1024:20",
		"it's":           `'it'\''s'`,
		"":               "''",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
