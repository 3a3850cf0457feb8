package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's rule table")

// TestReadmeRuleTable fails when the README's rule table is not what the
// catalogue generates. Run `go test ./internal/cli -run ReadmeRuleTable
// -update-readme` to refresh it.
func TestReadmeRuleTable(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section", begin, end)
	}
	var table bytes.Buffer
	if err := RulesMarkdown(&table, rules.All()); err != nil {
		t.Fatal(err)
	}
	if got := s[i+len(begin) : j]; got != table.String() {
		if *updateReadme {
			s = s[:i+len(begin)] + table.String() + s[j:]
			if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README rule table is stale; run: go test ./internal/cli -run ReadmeRuleTable -update-readme")
	}
}

// TestExamples keeps the quick start true: the hardened example has no
// finding and the insecure one shows what the README promises.
func TestExamples(t *testing.T) {
	run := func(dir string) map[string]int {
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"audit", "--format", "json", "--fail-on", "none", filepath.Join("..", "..", "examples", dir)}, Streams{Out: &out, Err: &errb})
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", dir, code, errb.String())
		}
		var doc struct {
			Findings []struct{ Slug string }
			Errors   []any
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Errors) > 0 {
			t.Fatalf("%s: errors %v", dir, doc.Errors)
		}
		got := map[string]int{}
		for _, f := range doc.Findings {
			got[f.Slug]++
		}
		return got
	}
	if got := run("hardened"); len(got) != 0 {
		t.Errorf("hardened example has findings: %v", got)
	}
	got := run("insecure")
	for _, slug := range []string{"root-user", "sudo", "suid-added", "suid-removal-noop", "expose-ssh", "image-latest", "pipe-to-shell", "tls-verification-off", "secret-in-env", "secret-arg-name", "context-copy-unfiltered", "no-healthcheck",
		"privileged", "runtime-socket-mount", "host-network", "seccomp-unconfined", "restart-policy", "memory-limit", "read-only-rootfs", "port-all-interfaces"} {
		if got[slug] == 0 {
			t.Errorf("insecure example: no %s finding (got %v)", slug, got)
		}
	}
}
