package harden_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/rules"
)

// copyDir copies a fixture folder (files only, recursively).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// composeFixtures are the compose files of every compose fixture and example.
func composeFixtures(t *testing.T) []string {
	var out []string
	for _, root := range []string{"../rules/testdata/compose", "../../examples"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && audit.MatchCompose(d.Name()) != "" && !strings.Contains(d.Name(), "override") {
				out = append(out, p)
			}
			return nil
		})
	}
	if len(out) == 0 {
		t.Fatal("no compose fixtures")
	}
	return out
}

// TestComposeFixtures hardens every compose fixture and example in a copy of
// its folder: the result parses and loads, a second pass changes nothing,
// and re-auditing reports none of the rules harden says it fixed for each
// service.
func TestComposeFixtures(t *testing.T) {
	ctx := context.Background()
	hardened, skipped, fixes := 0, 0, 0
	for _, opt := range fixtureOptions(t) {
		for _, f := range composeFixtures(t) {
			dir := t.TempDir()
			copyDir(t, filepath.Dir(f), dir)
			path := filepath.Join(dir, filepath.Base(f))
			res, err := harden.Compose(ctx, path, opt)
			if err != nil {
				if a := audit.Run(ctx, audit.Options{ComposeFiles: []string{path}}); len(a.Errors) > 0 {
					skipped++ // an error by design: never rewritten
					continue
				}
				t.Errorf("%s: %v", f, err)
				continue
			}
			if err := os.WriteFile(path, []byte(res.New), 0o644); err != nil {
				t.Fatal(err)
			}
			again, err := harden.Compose(ctx, path, opt)
			if err != nil {
				t.Errorf("%s: the hardened file fails: %v\n%s", f, err, res.New)
				continue
			}
			if again.Changed() {
				t.Errorf("%s: not idempotent; second pass:\n%s\n---\n%s", f, res.New, again.New)
			}
			a := audit.Run(ctx, audit.Options{ComposeFiles: []string{path}})
			if len(a.Errors) > 0 {
				t.Errorf("%s: hardened file does not load: %v\n%s", f, a.Errors[0], res.New)
				continue
			}
			stillFixed(t, f, res, facts.SubjectService, a.Findings)
			for _, s := range res.Fixed {
				fixes += len(s)
			}
			hardened++
		}
	}
	t.Logf("%d compose hardenings, once per option set (%d fixes), idempotent and re-audited clean for the fixed controls; %d skipped as errors by design", hardened, fixes, skipped)
}

// stillFixed fails for every finding, on a subject of kind, of a rule
// harden says it fixed for that subject.
func stillFixed(t *testing.T, file string, res *harden.FileResult, kind string, findings []rules.Finding) {
	t.Helper()
	for _, fd := range findings {
		if fd.Subject.Kind != kind {
			continue
		}
		for _, s := range res.Fixed[fd.Subject.Name] {
			if s == fd.Rule.Slug {
				t.Errorf("%s: %s %s still has %s after hardening: %s\n%s", file, kind, fd.Subject.Name, s, fd.Message, res.New)
			}
		}
	}
}
