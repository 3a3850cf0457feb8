package harden

import (
	"strings"
	"testing"
)

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

// TestOwnUserTable: images whose entrypoint switches to a service user of
// their own are given that user, and others the numeric one.
func TestOwnUserTable(t *testing.T) {
	for line, want := range map[string]string{
		"docker run -d postgres:17":             "--user postgres",
		"docker run -d --user root mysql:8":     "--user mysql",
		"docker run -d docker.io/library/redis": "--user redis",
		"docker run -d example/app:1":           "--user " + User,
	} {
		res, err := Run(line, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Line, " "+want+" ") {
			t.Errorf("%s: want %s in %s", line, want, res.Line)
		}
	}
}
