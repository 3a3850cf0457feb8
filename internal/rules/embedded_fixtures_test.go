package rules_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/rules"
)

// Fixtures for shell code embedded outside Dockerfiles, audited through the
// real pipeline (discovery included) as `dockguard audit <case>` would:
//
//	testdata/shell/<case>.sh
//	testdata/makefile/<case>.mk
//	testdata/github-actions/<case>/.github/workflows/*.yml
//	testdata/gitlab-ci/<case>/.gitlab-ci.yml
//	testdata/devcontainer/<case>/.devcontainer/devcontainer.json (+ Dockerfile)
//
// Expectations are comments, `#` or (in JSON) `//`:
//
//	docker run --privileged x   # want: privileged   (trailing: this line)
//	# want: pipe-to-shell                            (own line: the next line)
//	# check: privileged capabilities                 (only these rules compared)
//
// A want covers the whole logical line it marks: the lines that continue it
// with a trailing backslash too, since a continued shell command cannot
// carry a comment on its inner lines. Findings in Dockerfiles are the
// Dockerfile fixtures' business and are not compared here.
var (
	reEmbeddedWant  = regexp.MustCompile(`(?:#|//)\s*want:\s*(.*)$`)
	reEmbeddedCheck = regexp.MustCompile(`^\s*(?:#|//)\s*check:\s*(.*)$`)
)

// embeddedKinds are the fixture folders, each named after its input kind.
var embeddedKinds = []string{"shell", "makefile", "github-actions", "gitlab-ci", "devcontainer"}

func embeddedCases(t *testing.T) []string {
	var out []string
	for _, k := range embeddedKinds {
		entries, err := os.ReadDir(filepath.Join("testdata", k))
		if err != nil {
			t.Fatalf("fixture folder %s: %v", k, err)
		}
		for _, e := range entries {
			out = append(out, filepath.Join("testdata", k, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

func loadEmbeddedFixture(t *testing.T, root string) (*containerFixture, []string) {
	f := &containerFixture{dir: root, options: map[string][]string{}}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(filepath.Base(p), "Dockerfile") {
			return err
		}
		files = append(files, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines := strings.Split(string(data), "\n")
		var pending []lineWant
		continued := func(l int) bool {
			return l >= 1 && strings.HasSuffix(strings.TrimRight(lines[l-1], " \t\r"), `\`)
		}
		attach := func(w lineWant, ln int) {
			// The want covers the logical line, from its first physical
			// line to its last.
			for ln > 1 && continued(ln-1) {
				ln--
			}
			for l := ln; l <= len(lines); l++ {
				w.line = l
				f.wants = append(f.wants, w)
				if !continued(l) {
					break
				}
			}
		}
		for i, l := range lines {
			ln := i + 1
			trimmed := strings.TrimSpace(l)
			if m := reEmbeddedCheck.FindStringSubmatch(l); m != nil {
				f.check = append(f.check, names(m[1])...)
				continue
			}
			m := reEmbeddedWant.FindStringSubmatchIndex(l)
			own := strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "//")
			if m != nil && own {
				pending = append(pending, lineWant{file: p, names: names(l[m[2]:m[3]]), src: ln})
				continue
			}
			if trimmed == "" || own {
				continue
			}
			for _, w := range pending {
				attach(w, ln)
			}
			pending = pending[:0]
			if m != nil {
				attach(lineWant{file: p, names: names(l[m[2]:m[3]]), src: ln}, ln)
			}
		}
		if len(pending) > 0 {
			t.Fatalf("%s:%d: want with no line after it", p, pending[0].src)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, files
}

// compareEmbedded is compare for wants that may cover several lines: a
// finding matches any want for its rule on its line.
func compareEmbedded(t *testing.T, f *containerFixture, res *audit.Result) {
	t.Helper()
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	matched := map[int]map[string]bool{}
	for _, fd := range res.Findings {
		if strings.Contains(filepath.Base(fd.At.Path), "Dockerfile") || !f.checked(fd.Rule) {
			continue
		}
		hit := false
		for _, w := range f.wants {
			if w.file != fd.At.Path || w.line != fd.At.Line {
				continue
			}
			for _, n := range w.names {
				if fd.Rule.Matches(n) {
					if matched[w.src] == nil {
						matched[w.src] = map[string]bool{}
					}
					matched[w.src][w.file+" "+n] = true
					hit = true
				}
			}
		}
		if !hit {
			t.Errorf("%s:%d: unexpected %s %s: %s", fd.At.Path, fd.At.Line, fd.Rule.ID, fd.Rule.Slug, fd.Message)
		}
	}
	for _, w := range f.wants {
		for _, n := range w.names {
			if len(rules.Lookup(n)) == 0 {
				t.Errorf("%s:%d: want names unknown rule %q", w.file, w.src, n)
			} else if !matched[w.src][w.file+" "+n] {
				t.Errorf("%s:%d: want %s, not reported", w.file, w.src, n)
			}
		}
	}
}

// TestEmbeddedFixtures audits every case folder or file the way
// `dockguard audit <case>` does.
func TestEmbeddedFixtures(t *testing.T) {
	for _, c := range embeddedCases(t) {
		kind := filepath.Base(filepath.Dir(c))
		t.Run(kind+"/"+filepath.Base(c), func(t *testing.T) {
			f, files := loadEmbeddedFixture(t, c)
			res := audit.Run(context.Background(), audit.Options{Paths: []string{c}})
			if n := res.ByKind[audit.KindShell] + res.ByKind[audit.KindMakefile] + res.ByKind[audit.KindGitHub] + res.ByKind[audit.KindGitLab] + res.ByKind[audit.KindDevcontainer]; n != len(files) {
				t.Errorf("audited %v, want the %d files of the case as %s", res.ByKind, len(files), kind)
			}
			compareEmbedded(t, f, res)
		})
	}
}

// TestEveryScriptRuleHasFixtures requires, for every rule that judges shell
// code outside builds, a fixture where it is wanted and one where it is
// checked but not wanted.
func TestEveryScriptRuleHasFixtures(t *testing.T) {
	pos, neg := map[string]bool{}, map[string]bool{}
	for _, c := range embeddedCases(t) {
		f, _ := loadEmbeddedFixture(t, c)
		for _, r := range rules.All() {
			wanted := false
			for _, w := range f.wants {
				for _, n := range w.names {
					wanted = wanted || strings.EqualFold(n, r.ID) || n == r.Slug
				}
			}
			explicit := false
			for _, ch := range f.check {
				explicit = explicit || r.Matches(ch)
			}
			pos[r.ID] = pos[r.ID] || wanted
			neg[r.ID] = neg[r.ID] || (explicit && !wanted)
		}
	}
	for _, r := range rules.All() {
		if r.Script == nil {
			continue
		}
		if !pos[r.ID] {
			t.Errorf("%s %s: no positive embedded fixture", r.ID, r.Slug)
		}
		if !neg[r.ID] {
			t.Errorf("%s %s: no negative embedded fixture", r.ID, r.Slug)
		}
	}
}
