package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/dockerfile"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Fixtures live in testdata/dockerfile/<case>/Dockerfile, each folder being
// the build context. Expectations are written inline:
//
//	# want: root-user DG501        the next instruction must be reported
//	                               by these rules (ID, slug or control), and
//	                               by no other rule that is checked
//	# check: suid-sgid sudo        only these rules are compared (default: all)
//	# options: --target build --trusted-registry ghcr.io
//
// A finding matches a want when its line falls inside the instruction the
// want stands before.
var (
	reWant    = regexp.MustCompile(`^\s*#\s*want:\s*(.*)$`)
	reCheck   = regexp.MustCompile(`^\s*#\s*check:\s*(.*)$`)
	reOptions = regexp.MustCompile(`^\s*#\s*options:\s*(.*)$`)
)

type fixture struct {
	path    string
	wants   []want
	check   []string
	options map[string][]string
	spans   [][2]int
}

type want struct {
	names      []string
	start, end int // instruction span
	line       int // line of the want comment
}

func names(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

func loadFixture(t *testing.T, path string) *fixture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{path: path, options: map[string][]string{}}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: fixture does not parse: %v", path, err)
	}
	for _, n := range res.AST.Children {
		f.spans = append(f.spans, [2]int{n.StartLine, n.EndLine})
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		ln := i + 1
		if m := reCheck.FindStringSubmatch(l); m != nil {
			f.check = append(f.check, names(m[1])...)
		}
		if m := reOptions.FindStringSubmatch(l); m != nil {
			fs := strings.Fields(m[1])
			for j := 0; j+1 < len(fs); j += 2 {
				f.options[fs[j]] = append(f.options[fs[j]], fs[j+1])
			}
		}
		if m := reWant.FindStringSubmatch(l); m != nil {
			w := want{names: names(m[1]), line: ln}
			for _, sp := range f.spans {
				if sp[0] > ln {
					w.start, w.end = sp[0], sp[1]
					break
				}
			}
			if w.start == 0 {
				t.Fatalf("%s:%d: want with no instruction after it", path, ln)
			}
			f.wants = append(f.wants, w)
		}
	}
	return f
}

func (f *fixture) checked(r *rules.Rule) bool {
	if len(f.check) == 0 {
		return true
	}
	for _, c := range f.check {
		if r.Matches(c) {
			return true
		}
	}
	return false
}

func fixturePaths(t *testing.T) []string {
	paths, err := filepath.Glob(filepath.Join("testdata", "dockerfile", "*", "Dockerfile"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	sort.Strings(paths)
	return paths
}

// TestFixtures runs every fixture and compares findings with expectations.
func TestFixtures(t *testing.T) {
	for _, path := range fixturePaths(t) {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			f := loadFixture(t, path)
			data, _ := os.ReadFile(path)
			opt := dockerfile.Options{}
			if v := f.options["--target"]; len(v) > 0 {
				opt.Target = v[0]
			}
			b, _, err := dockerfile.Load(path, data, opt)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			pol := policy.New(rules.Config{TrustedRegistries: f.options["--trusted-registry"]})
			findings := pol.Build(b)
			matched := make([]map[string]bool, len(f.wants))
			for i := range matched {
				matched[i] = map[string]bool{}
			}
			for _, fd := range findings {
				if !f.checked(fd.Rule) {
					continue
				}
				ok := false
				for i, w := range f.wants {
					if fd.At.Line < w.start || fd.At.Line > w.end {
						continue
					}
					for _, n := range w.names {
						if fd.Rule.Matches(n) {
							matched[i][n] = true
							ok = true
						}
					}
				}
				if !ok {
					t.Errorf("%s: unexpected %s %s: %s", fd.At, fd.Rule.ID, fd.Rule.Slug, fd.Message)
				}
			}
			for i, w := range f.wants {
				for _, n := range w.names {
					if len(rules.Lookup(n)) == 0 {
						t.Errorf("%s:%d: want names unknown rule %q", path, w.line, n)
					} else if !matched[i][n] {
						t.Errorf("%s:%d: want %s on lines %d-%d, not reported", path, w.line, n, w.start, w.end)
					}
				}
			}
		})
	}
}

// TestEveryRuleHasFixtures requires, for every rule that judges builds, a
// fixture that expects it (positive) and a fixture that checks it and
// expects nothing of it (negative).
func TestEveryRuleHasFixtures(t *testing.T) {
	pos := map[string]bool{}
	neg := map[string]bool{}
	for _, path := range fixturePaths(t) {
		f := loadFixture(t, path)
		var wants [][]string
		for _, w := range f.wants {
			wants = append(wants, w.names)
		}
		for _, r := range rules.All() {
			p, n := coverage(r, wants, f.check)
			pos[r.ID] = pos[r.ID] || p
			neg[r.ID] = neg[r.ID] || n
		}
	}
	for _, r := range rules.All() {
		if r.Build == nil {
			continue
		}
		if !pos[r.ID] {
			t.Errorf("%s %s has no positive fixture (a `# want: %s`)", r.ID, r.Slug, r.Slug)
		}
		if !neg[r.ID] {
			t.Errorf("%s %s has no negative fixture (a `# check: %s` with no want for it)", r.ID, r.Slug, r.Slug)
		}
	}
}

// coverage says whether a fixture expects a rule by ID or slug (positive),
// or checks it and expects nothing of it (negative). A want may pin a
// severity (`slug@low`).
func coverage(r *rules.Rule, wants [][]string, check []string) (positive, negative bool) {
	for _, names := range wants {
		for _, n := range names {
			n, _, _ = strings.Cut(n, "@")
			if strings.EqualFold(n, r.ID) || n == r.Slug {
				return true, false
			}
		}
	}
	for _, c := range check {
		if r.Matches(c) {
			return false, true
		}
	}
	return false, false
}
