package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/rules"
)

// Compose fixtures live in testdata/compose/<case>/ (the project folder);
// run-line fixtures in testdata/run/<case>.txt, one `docker run` line per
// line. Expectations are inline, in any YAML, env or text file of the case:
//
//	privileged: true   # want: privileged        (trailing: this line)
//	# want: memory-limit cpu-limit               (own line: the next line)
//	# check: privileged capabilities             (only these rules compared)
//	# options: --env-file prod.env --profile debug --trusted-registry ghcr.io
//	# files: compose.yaml compose.prod.yaml      (the -f files, in order)
//
// Findings in Dockerfiles of a compose case are judged by the Dockerfile
// fixtures, not here.
var reTrailingWant = regexp.MustCompile(`#\s*want:\s*(.*)$`)

type lineWant struct {
	file  string
	line  int
	names []string
	src   int // line of the comment
}

type containerFixture struct {
	dir     string
	wants   []lineWant
	check   []string
	options map[string][]string
	files   []string
}

func readWants(t *testing.T, f *containerFixture, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	pending := []lineWant{}
	for i, l := range lines {
		ln := i + 1
		trimmed := strings.TrimSpace(l)
		if m := reCheck.FindStringSubmatch(l); m != nil {
			f.check = append(f.check, names(m[1])...)
			continue
		}
		if m := reOptions.FindStringSubmatch(l); m != nil {
			fs := strings.Fields(m[1])
			for j := 0; j+1 < len(fs); j += 2 {
				f.options[fs[j]] = append(f.options[fs[j]], fs[j+1])
			}
			continue
		}
		if strings.HasPrefix(trimmed, "# files:") {
			f.files = append(f.files, strings.Fields(strings.TrimPrefix(trimmed, "# files:"))...)
			continue
		}
		m := reTrailingWant.FindStringSubmatchIndex(l)
		if m != nil && strings.HasPrefix(trimmed, "#") {
			pending = append(pending, lineWant{file: path, names: names(l[m[2]:m[3]]), src: ln})
			continue
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		for _, p := range pending {
			p.line = ln
			f.wants = append(f.wants, p)
		}
		pending = pending[:0]
		if m != nil {
			f.wants = append(f.wants, lineWant{file: path, line: ln, names: names(l[m[2]:m[3]]), src: ln})
		}
	}
	if len(pending) > 0 {
		t.Fatalf("%s:%d: want with no line after it", path, pending[0].src)
	}
}

func (f *containerFixture) checked(r *rules.Rule) bool {
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

// compare matches findings against wants: key is a file path and line (or
// run index).
func compare(t *testing.T, f *containerFixture, res *audit.Result, keyOf func(rules.Finding) (string, int, bool)) {
	t.Helper()
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	matched := make([]map[string]bool, len(f.wants))
	for i := range matched {
		matched[i] = map[string]bool{}
	}
	for _, fd := range res.Findings {
		file, line, ok := keyOf(fd)
		if !ok || !f.checked(fd.Rule) {
			continue
		}
		hit := false
		for i, w := range f.wants {
			if w.file != file || w.line != line {
				continue
			}
			for _, n := range w.names {
				if fd.Rule.Matches(n) {
					matched[i][n] = true
					hit = true
				}
			}
		}
		if !hit {
			t.Errorf("%s:%d: unexpected %s %s: %s", file, line, fd.Rule.ID, fd.Rule.Slug, fd.Message)
		}
	}
	for i, w := range f.wants {
		for _, n := range w.names {
			if len(rules.Lookup(n)) == 0 {
				t.Errorf("%s:%d: want names unknown rule %q", w.file, w.src, n)
			} else if !matched[i][n] {
				t.Errorf("%s:%d: want %s on line %d, not reported", w.file, w.src, n, w.line)
			}
		}
	}
}

func composeCases(t *testing.T) []string {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "compose", "*"))
	sort.Strings(dirs)
	return dirs
}

func loadComposeFixture(t *testing.T, dir string) *containerFixture {
	f := &containerFixture{dir: dir, options: map[string][]string{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.Contains(n, "Dockerfile") || strings.HasSuffix(n, ".sh") {
			continue
		}
		readWants(t, f, filepath.Join(dir, n))
	}
	if len(f.files) == 0 {
		f.files = []string{"compose.yaml"}
	}
	return f
}

// TestComposeFixtures audits every compose case through the real pipeline.
func TestComposeFixtures(t *testing.T) {
	for _, dir := range composeCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			f := loadComposeFixture(t, dir)
			var files []string
			for _, n := range f.files {
				files = append(files, filepath.Join(dir, n))
			}
			var envFiles []string
			for _, e := range f.options["--env-file"] {
				envFiles = append(envFiles, filepath.Join(dir, e))
			}
			res := audit.Run(context.Background(), audit.Options{
				ComposeFiles: files, EnvFiles: envFiles, Profiles: f.options["--profile"],
				Config: rules.Config{TrustedRegistries: f.options["--trusted-registry"]},
			})
			compare(t, f, res, func(fd rules.Finding) (string, int, bool) {
				if strings.Contains(filepath.Base(fd.At.Path), "Dockerfile") {
					return "", 0, false
				}
				return fd.At.Path, fd.At.Line, true
			})
		})
	}
}

func runCases(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join("testdata", "run", "*.txt"))
	sort.Strings(files)
	return files
}

// runLines returns the --run lines of a case with their file line numbers.
func runLines(t *testing.T, path string) ([]string, []int) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var at []int
	for i, l := range strings.Split(string(data), "\n") {
		tl := strings.TrimSpace(l)
		if tl == "" || strings.HasPrefix(tl, "#") {
			continue
		}
		lines = append(lines, l)
		at = append(at, i+1)
	}
	return lines, at
}

// TestRunFixtures audits every run-line case: each line is one --run.
func TestRunFixtures(t *testing.T) {
	for _, path := range runCases(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			f := &containerFixture{options: map[string][]string{}}
			readWants(t, f, path)
			lines, at := runLines(t, path)
			res := audit.Run(context.Background(), audit.Options{RunLines: lines, Config: rules.Config{TrustedRegistries: f.options["--trusted-registry"]}})
			compare(t, f, res, func(fd rules.Finding) (string, int, bool) {
				if fd.At.Path != "--run" || fd.At.Index < 1 || fd.At.Index > len(at) {
					return "", 0, false
				}
				return path, at[fd.At.Index-1], true
			})
		})
	}
}

// TestEveryContainerRuleHasFixtures requires a positive and a negative
// fixture in compose form for every rule that judges compose files, and in
// run-line form for every rule that judges run lines.
func TestEveryContainerRuleHasFixtures(t *testing.T) {
	type cov struct{ pos, neg bool }
	compose := map[string]*cov{}
	run := map[string]*cov{}
	tally := func(m map[string]*cov, f *containerFixture) {
		var wants [][]string
		for _, w := range f.wants {
			wants = append(wants, w.names)
		}
		for _, r := range rules.All() {
			if m[r.ID] == nil {
				m[r.ID] = &cov{}
			}
			p, n := coverage(r, wants, f.check)
			m[r.ID].pos = m[r.ID].pos || p
			m[r.ID].neg = m[r.ID].neg || n
		}
	}
	for _, dir := range composeCases(t) {
		tally(compose, loadComposeFixture(t, dir))
	}
	for _, path := range runCases(t) {
		f := &containerFixture{options: map[string][]string{}}
		readWants(t, f, path)
		tally(run, f)
	}
	for _, r := range rules.All() {
		if r.Container == nil && r.Project == nil {
			continue
		}
		for _, s := range r.Surfaces {
			var m map[string]*cov
			switch s {
			case rules.SurfaceCompose:
				m = compose
			case rules.SurfaceRun:
				m = run
			default:
				continue
			}
			c := m[r.ID]
			if c == nil || !c.pos {
				t.Errorf("%s %s: no positive %s fixture", r.ID, r.Slug, s)
			}
			if c == nil || !c.neg {
				t.Errorf("%s %s: no negative %s fixture", r.ID, r.Slug, s)
			}
		}
	}
}
