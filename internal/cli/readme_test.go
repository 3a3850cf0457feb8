package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeTestCommand keeps the README's test command and CI's in step:
// .ci/run runs the command the README gives under "Run the tests:".
func TestReadmeTestCommand(t *testing.T) {
	readme := readDoc(t, filepath.Join(repoRoot, "README.md"))
	const intro = "## Development\n\nRun the tests:\n\n```\n"
	i := strings.Index(readme, intro)
	if i < 0 {
		t.Fatalf("README.md has no %q section", intro)
	}
	cmd, _, ok := strings.Cut(readme[i+len(intro):], "\n```")
	if !ok || strings.Contains(cmd, "\n") || cmd == "" {
		t.Fatalf("README.md: the test command must be one line in its own code block, got %q", cmd)
	}
	ci := readDoc(t, filepath.Join(repoRoot, ".ci", "run"))
	found := false
	for _, l := range strings.Split(ci, "\n") {
		if strings.TrimSpace(l) == cmd {
			found = true
		}
	}
	if !found {
		t.Errorf(".ci/run does not run the README's test command %q", cmd)
	}
}

// TestReadmeCommands keeps the README's command overview complete: every
// command appears in it and links to its page under docs/.
func TestReadmeCommands(t *testing.T) {
	readme := readDoc(t, filepath.Join(repoRoot, "README.md"))
	_, where := documentedFlags(t)
	for path := range commands() {
		if !strings.Contains(readme, "dockguard "+path) {
			t.Errorf("README.md does not show `dockguard %s`", path)
		}
		if page := where[path]; page != "" && !strings.Contains(readme, "](docs/"+page) {
			t.Errorf("README.md does not link to docs/%s (dockguard %s)", page, path)
		}
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
