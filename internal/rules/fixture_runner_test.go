package rules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
)

// One runner reads every fixture under testdata/, whatever the input kind:
// a surface (see surfaces, below) only turns a case into findings; the
// expectations, and how findings are matched with them, are shared.
//
// An expectation names a rule (ID or slug; a control name means any of its
// rules) and a regular expression the finding's message must match, in
// Go's double-quoted or back-quoted string syntax. A rule may pin the
// finding's severity with `@`. Several expectations may share a comment:
//
//	# want: root-user "runs as root" privileged@critical `--privileged`
//
// Where an expectation applies:
//
//   - Dockerfiles (named as the audit recognizes them): a comment
//     line of its own, applying to the next instruction, all of its lines
//     (a trailing `#` would be part of the instruction).
//   - Every other file (YAML, shell, Makefile, run lines, env files, and
//     JSON, where `//` also starts a comment): trailing the line it applies
//     to, or on a comment line of its own, applying to the next line that
//     is neither blank nor a comment. The line a want applies to covers the
//     lines that continue it with a trailing backslash too, since a
//     continued shell command cannot carry a comment on its inner lines.
//   - A finding about a whole container or service points at where it is
//     declared (the compose service key, a live container's `- name:`
//     line), and is expected there like any other.
//   - A finding that points at a file but at no line of input in it (line
//     0, or a blank or comment line: a compose project's implicit default
//     network is placed at line 1, whatever is written there) is expected
//     by `# want-file:` anywhere in that file; a finding that names no file
//     at all, by `# want-file:` in the case's main file.
//
// Every finding the whole policy makes for a case must match exactly one
// expectation (same file and line, rule, severity if pinned, message), and
// every expectation exactly one finding. There is no way to leave rules
// out of the comparison.
//
// Two other comments describe the case and never change what is compared:
//
//	# options: --target build --trusted-registry ghcr.io   (flags for the audit)
//	# negative: sudo pipe-to-shell                          (this case shows
//	      these rules staying quiet; it may not want them)
//
// `negative` feeds TestEveryRuleHasFixtures, which requires each rule a
// surface judges to have a positive and a negative case there.

// want is one expectation.
type want struct {
	file       string
	src        int // line of the comment
	start, end int // lines a finding may sit on; 0, 0 for a file-level want
	rule       string
	severity   string
	re         *regexp.Regexp
	// denied is set by a "!" after the rule (`privileged! "…"`): the
	// finding must carry the deny marker of the case's --deny-profile,
	// and a want without it must not.
	denied bool
}

func (w *want) String() string {
	s := w.rule
	if w.severity != "" {
		s += "@" + w.severity
	}
	if w.denied {
		s += "!"
	}
	return fmt.Sprintf("%s %q", s, w.re)
}

// fixtureCase is one case: its files and what their comments say.
type fixtureCase struct {
	name     string
	main     string   // the file file-level wants are read from
	files    []string // every file of the case
	wants    []*want
	quiet    map[string]map[int]bool // per file, the lines with no input
	options  map[string][]string
	negative []string
}

// option returns the values of a `# options:` flag.
func (c *fixtureCase) option(flag string) []string { return c.options[flag] }

// errorf is what the matcher needs of a *testing.T, so that a recorder can
// stand in for it when the matcher itself is tested.
type errorf interface {
	Errorf(format string, args ...any)
}

var (
	reComment   = regexp.MustCompile(`^\s*(?:#|//)`)
	reDirective = regexp.MustCompile(`(?:#|//)\s*(want|want-file|options|negative|check):(.*)$`)
	// reHashDirective is reDirective for the formats where only `#`
	// starts a comment.
	reHashDirective = regexp.MustCompile(`#\s*(want|want-file|options|negative|check):(.*)$`)
)

// loadCase reads the expectations and directives in every file of a case.
func loadCase(name, main string, files []string) (*fixtureCase, error) {
	c := &fixtureCase{name: name, main: main, files: files, options: map[string][]string{}, quiet: map[string]map[int]bool{}}
	for _, f := range files {
		if err := c.read(f); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *fixtureCase) read(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	json := strings.HasSuffix(path, ".json")
	dockerfile := isDockerfile(path)
	var spans [][2]int
	if dockerfile {
		res, err := parser.Parse(strings.NewReader(string(data)))
		if err != nil {
			return fmt.Errorf("%s: fixture does not parse: %v", path, err)
		}
		for _, n := range res.AST.Children {
			spans = append(spans, [2]int{n.StartLine, n.EndLine})
		}
	}
	continued := func(ln int) bool {
		return ln >= 1 && ln <= len(lines) && strings.HasSuffix(strings.TrimRight(lines[ln-1], " \t\r"), `\`)
	}
	// logical returns the physical lines of the logical line ln is part of.
	logical := func(ln int) (int, int) {
		start, end := ln, ln
		for start > 1 && continued(start-1) {
			start--
		}
		for continued(end) && end < len(lines) {
			end++
		}
		return start, end
	}
	var pending []*want
	c.quiet[path] = map[int]bool{}
	for i, l := range lines {
		ln := i + 1
		own := reComment.MatchString(l)
		m := reDirective.FindStringSubmatch(l)
		if !json {
			// Only JSON (with comments) uses `//`; elsewhere it is text,
			// as in a URL.
			own = own && strings.HasPrefix(strings.TrimSpace(l), "#")
			m = reHashDirective.FindStringSubmatch(l)
		}
		if own || strings.TrimSpace(l) == "" {
			c.quiet[path][ln] = true
		}
		if m != nil {
			kind, body := m[1], m[2]
			switch kind {
			case "check":
				return fmt.Errorf("%s:%d: `check:` is gone: every finding is compared; write the wants (and `negative:` for rules this case shows quiet)", path, ln)
			case "options":
				if !own {
					break
				}
				fs := strings.Fields(body)
				if len(fs)%2 != 0 {
					return fmt.Errorf("%s:%d: options come as flag value pairs", path, ln)
				}
				for j := 0; j < len(fs); j += 2 {
					c.options[fs[j]] = append(c.options[fs[j]], fs[j+1])
				}
				continue
			case "negative":
				if !own {
					break
				}
				for _, n := range strings.Fields(body) {
					if len(rules.Lookup(n)) == 0 {
						return fmt.Errorf("%s:%d: negative names unknown rule %q", path, ln, n)
					}
					c.negative = append(c.negative, n)
				}
				continue
			case "want", "want-file":
				ws, err := parseWants(body)
				if err != nil {
					return fmt.Errorf("%s:%d: %v", path, ln, err)
				}
				for _, w := range ws {
					w.file, w.src = path, ln
				}
				if kind == "want-file" {
					if !own {
						return fmt.Errorf("%s:%d: want-file stands on a line of its own", path, ln)
					}
					c.wants = append(c.wants, ws...)
					continue
				}
				if own {
					pending = append(pending, ws...)
					continue
				}
				if dockerfile {
					return fmt.Errorf("%s:%d: a Dockerfile want stands on a line of its own, before the instruction", path, ln)
				}
				pending = append(pending, ws...)
			}
		}
		if own || strings.TrimSpace(l) == "" || len(pending) == 0 {
			continue
		}
		start, end := logical(ln)
		if dockerfile {
			start, end = 0, 0
			for _, sp := range spans {
				if sp[0] >= ln {
					start, end = sp[0], sp[1]
					break
				}
			}
			if start != ln {
				// ln is inside an instruction or not one: the want
				// stood before something that is not an instruction.
				return fmt.Errorf("%s:%d: want with no instruction after it", path, pending[0].src)
			}
		}
		for _, w := range pending {
			w.start, w.end = start, end
		}
		c.wants = append(c.wants, pending...)
		pending = nil
	}
	if len(pending) > 0 {
		return fmt.Errorf("%s:%d: want with no line after it", path, pending[0].src)
	}
	return nil
}

// parseWants reads `rule "regexp" rule@severity `+"`regexp`"+` …`.
func parseWants(s string) ([]*want, error) {
	var out []*want
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("want: names nothing")
	}
	for s != "" {
		name, rest, _ := strings.Cut(s, " ")
		rest = strings.TrimLeft(rest, " \t")
		w := &want{rule: name}
		base, denied := strings.CutSuffix(name, "!")
		w.denied = denied
		w.rule, w.severity, _ = strings.Cut(base, "@")
		if len(rules.Lookup(w.rule)) == 0 {
			return nil, fmt.Errorf("want names unknown rule %q", w.rule)
		}
		if w.severity != "" && rules.Severity(w.severity).Rank() == 0 {
			return nil, fmt.Errorf("want %s: unknown severity %q", w.rule, w.severity)
		}
		if rest == "" || (rest[0] != '"' && rest[0] != '`') {
			return nil, fmt.Errorf("want %s: a quoted message regexp must follow the rule", name)
		}
		end := 1
		for end < len(rest) && rest[end] != rest[0] {
			if rest[0] == '"' && rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return nil, fmt.Errorf("want %s: unterminated message regexp", name)
		}
		text, err := strconv.Unquote(rest[:end+1])
		if err != nil {
			return nil, fmt.Errorf("want %s: %v", name, err)
		}
		if w.re, err = regexp.Compile(text); err != nil {
			return nil, fmt.Errorf("want %s: %v", name, err)
		}
		out = append(out, w)
		s = strings.TrimSpace(rest[end+1:])
	}
	return out, nil
}

// matches reports whether a finding, placed at file:line (line 0 for a
// file-level finding), meets a want.
func (w *want) matches(f rules.Finding, file string, line int) bool {
	if w.file != file {
		return false
	}
	if w.start == 0 {
		if line != 0 {
			return false
		}
	} else if line < w.start || line > w.end {
		return false
	}
	if !f.Rule.Matches(w.rule) {
		return false
	}
	if w.severity != "" && string(f.Severity) != w.severity {
		return false
	}
	if (f.DeniedBy != "") != w.denied {
		return false
	}
	return w.re.MatchString(f.Message)
}

// place says where in the case a finding is expected: its file and line,
// or line 0 of its file (of the main file when it names none) when it
// points at no line of input.
func (c *fixtureCase) place(f rules.Finding) (string, int) {
	for _, p := range c.files {
		if filepath.Clean(f.At.Path) == filepath.Clean(p) {
			if f.At.Line > 0 && !c.quiet[p][f.At.Line] {
				return p, f.At.Line
			}
			return p, 0
		}
	}
	return c.main, 0
}

// pointsOutside reports a finding that names a place that is not in the
// case at all (another file, an engine object, an image).
func (c *fixtureCase) pointsOutside(f rules.Finding) bool {
	at := f.At
	if at.Path == "" {
		return at.Engine != "" || at.Object != "" || at.Image != ""
	}
	for _, p := range c.files {
		if filepath.Clean(at.Path) == filepath.Clean(p) {
			return false
		}
	}
	return true
}

// compareFindings matches findings with wants one to one and reports, on
// t, every finding no want expects and every want no finding meets. The
// pairing is a maximum matching, so the order of wants on a line does not
// matter.
func compareFindings(t errorf, c *fixtureCase, findings []rules.Finding) {
	type placed struct {
		file string
		line int
	}
	at := make([]placed, len(findings))
	cand := make([][]int, len(findings))
	for i, f := range findings {
		if c.pointsOutside(f) {
			t.Errorf("%s: %s %s points outside the case (%v): %s", c.name, f.Rule.ID, f.Rule.Slug, f.At, f.Message)
			continue
		}
		file, line := c.place(f)
		at[i] = placed{file, line}
		for j, w := range c.wants {
			if w.matches(f, file, line) {
				cand[i] = append(cand[i], j)
			}
		}
	}
	owner := make([]int, len(c.wants)) // want → finding, -1 when free
	for j := range owner {
		owner[j] = -1
	}
	var augment func(i int, seen []bool) bool
	augment = func(i int, seen []bool) bool {
		for _, j := range cand[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || augment(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	for i := range findings {
		if len(cand[i]) > 0 {
			augment(i, make([]bool, len(c.wants)))
		}
	}
	paired := make([]bool, len(findings))
	for _, i := range owner {
		if i >= 0 {
			paired[i] = true
		}
	}
	for i, f := range findings {
		if paired[i] || c.pointsOutside(f) {
			continue
		}
		where := fmt.Sprintf("%s:%d", at[i].file, at[i].line)
		if at[i].line == 0 {
			// Say where it pointed: line 0, a comment, or no file.
			where = fmt.Sprintf("%s (file-level, for a want-file; it points at %v)", at[i].file, f.At)
		}
		t.Errorf("%s: unexpected %s %s (%s): %s", where, f.Rule.ID, f.Rule.Slug, f.Severity, f.Message)
	}
	for j, w := range c.wants {
		if owner[j] >= 0 {
			continue
		}
		if w.start == 0 {
			t.Errorf("%s:%d: want-file %s: no such file-level finding", w.file, w.src, w)
		} else if w.start == w.end {
			t.Errorf("%s:%d: want %s on line %d: no such finding", w.file, w.src, w, w.start)
		} else {
			t.Errorf("%s:%d: want %s on lines %d-%d: no such finding", w.file, w.src, w, w.start, w.end)
		}
	}
}

// caseFiles lists the files of a case: the file itself, or every file
// under its folder.
func caseFiles(root string) ([]string, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{root}, nil
	}
	var out []string
	err = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	sort.Strings(out)
	return out, err
}

// TestFixtures runs every case of every surface through the whole policy.
func TestFixtures(t *testing.T) {
	for _, s := range surfaces {
		cases := s.cases(t)
		if len(cases) == 0 {
			t.Fatalf("%s: no fixtures", s.name)
		}
		for _, c := range cases {
			t.Run(strings.TrimPrefix(c.name, "testdata"+string(filepath.Separator)), func(t *testing.T) {
				findings := s.audit(t, c)
				if testing.Verbose() {
					for _, f := range findings {
						t.Logf("%v: %s %s %s: %s", f.At, f.Rule.ID, f.Rule.Slug, f.Severity, f.Message)
					}
				}
				compareFindings(t, c, findings)
				for _, n := range c.negative {
					for _, w := range c.wants {
						if ruleNamed(w.rule, n) {
							t.Errorf("%s:%d: %s is negative here, yet wanted", w.file, w.src, n)
						}
					}
				}
			})
		}
	}
}

// ruleNamed reports whether two names designate a common rule.
func ruleNamed(a, b string) bool {
	for _, r := range rules.Lookup(a) {
		for _, s := range rules.Lookup(b) {
			if r == s {
				return true
			}
		}
	}
	return false
}

// TestEveryRuleHasFixtures requires, on every surface, a case that wants
// each rule the surface judges (positive) and a case that declares it
// negative (the rule stays quiet there, and nothing else hides it).
func TestEveryRuleHasFixtures(t *testing.T) {
	for _, s := range surfaces {
		pos, neg := map[*rules.Rule]bool{}, map[*rules.Rule]bool{}
		for _, c := range s.cases(t) {
			for _, w := range c.wants {
				// Only a want naming the rule itself counts, not one
				// naming its control.
				for _, r := range rules.All() {
					if strings.EqualFold(w.rule, r.ID) || w.rule == r.Slug {
						pos[r] = true
					}
				}
			}
			for _, n := range c.negative {
				for _, r := range rules.Lookup(n) {
					neg[r] = true
				}
			}
		}
		for _, r := range rules.All() {
			if !s.covers(r) {
				continue
			}
			if !pos[r] {
				t.Errorf("%s %s: no positive %s fixture (a `# want: %s \"…\"`)", r.ID, r.Slug, s.name, r.Slug)
			}
			if !neg[r] {
				t.Errorf("%s %s: no negative %s fixture (a `# negative: %s`)", r.ID, r.Slug, s.name, r.Slug)
			}
		}
	}
}

// recorder stands in for *testing.T to see what the matcher reports.
type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCompareFindingsFails proves the matcher can fail: a finding no want
// expects, a want no finding meets, a message that does not match, a
// finding on the wrong line, and one finding for two identical wants.
func TestCompareFindingsFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	src := "services:\n" +
		"  web:  # want: root-user \"runs as root\"\n" +
		"    privileged: true  # want: privileged `privileged` privileged `privileged`\n" +
		"    pid: host  # want: host-pid-ipc \"shares the host's IPC\"\n" +
		"    # want: memory-limit \"no memory limit\"\n" +
		"    image: x\n" +
		"# want-file: kernel-cves \"kernel\"\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := loadCase("selftest", path, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	rule := func(n string) *rules.Rule { return rules.Lookup(n)[0] }
	finding := func(slug string, line int, msg string) rules.Finding {
		r := rule(slug)
		return rules.Finding{Rule: r, Severity: r.Severity, Message: msg, At: facts.FileAt(path, line)}
	}
	findings := []rules.Finding{
		finding("root-user", 2, "the container runs as root (uid 0)"), // expected
		finding("privileged", 3, "--privileged gives the host"),       // one of two wants
		finding("host-pid-ipc", 4, "shares the host's PID namespace"), // wrong message
		finding("memory-limit", 3, "no memory limit"),                 // wrong line
		finding("privileged", 2, "an unexpected second privileged"),   // unwanted
		finding("kernel-cves", 5, "kernel 5.10 is in range of CVE-X"), // on a comment: file-level, expected
		finding("runtime-cves", 0, "runc 1.1 is in range of CVE-Y"),   // file-level, unwanted
		{Rule: rule("runtime-cves"), Message: "elsewhere", At: facts.FileAt(filepath.Join(dir, "other.yaml"), 1)},
	}
	var rec recorder
	compareFindings(&rec, c, findings)
	wantErrs := []string{
		`points outside the case .*elsewhere`,
		`compose.yaml:2: unexpected DG\d+ privileged .*an unexpected second privileged`,
		`compose.yaml:4: unexpected DG\d+ host-pid-ipc .*PID namespace`,
		`compose.yaml:3: unexpected DG\d+ memory-limit`,
		`compose.yaml \(file-level, for a want-file; it points at .*compose.yaml\): unexpected DG\d+ runtime-cves`,
		`compose.yaml:3: want privileged "privileged" on line 3: no such finding`,
		`compose.yaml:4: want host-pid-ipc "shares the host's IPC" on line 4: no such finding`,
		`compose.yaml:5: want memory-limit "no memory limit" on line 6: no such finding`,
	}
	if len(rec.errs) != len(wantErrs) {
		t.Errorf("got %d errors, want %d:\n%s", len(rec.errs), len(wantErrs), strings.Join(rec.errs, "\n"))
	}
	for _, w := range wantErrs {
		re := regexp.MustCompile(w)
		found := false
		for _, e := range rec.errs {
			found = found || re.MatchString(e)
		}
		if !found {
			t.Errorf("no error matches %s in:\n%s", w, strings.Join(rec.errs, "\n"))
		}
	}

	// With exactly the findings the wants describe, nothing is reported.
	rec = recorder{}
	compareFindings(&rec, c, []rules.Finding{
		finding("root-user", 2, "the container runs as root (uid 0)"),
		finding("privileged", 3, "--privileged gives the host"),
		finding("privileged", 3, "privileged: true"),
		finding("host-pid-ipc", 4, "shares the host's IPC namespace"),
		finding("memory-limit", 6, "no memory limit"),
		finding("kernel-cves", 0, "kernel 5.10 is in range of CVE-X"),
	})
	if len(rec.errs) != 0 {
		t.Errorf("exact findings reported:\n%s", strings.Join(rec.errs, "\n"))
	}
}

// TestParseWants checks the expectation syntax, and that a bare rule name
// (the old form, which matched any message) is refused.
func TestParseWants(t *testing.T) {
	ws, err := parseWants(`root-user "runs as root" privileged@critical ` + "`--privileged \"x\"`" + ` DG501 "a \"quoted\" word"`)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[0].rule != "root-user" || ws[1].severity != "critical" || ws[1].re.String() != `--privileged "x"` || ws[2].re.String() != `a "quoted" word` {
		t.Errorf("parsed %v", ws)
	}
	for _, bad := range []string{`root-user`, `root-user privileged`, `no-such-rule "x"`, `root-user "(unclosed"`, `root-user "open`, `root-user@huge "x"`, ``} {
		if _, err := parseWants(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// surface is one kind of fixture: where its cases are, how a case becomes
// findings, and which rules must have cases of this kind.
type surface struct {
	name   string
	dirs   []string                                           // folders under testdata/
	glob   string                                             // a case, inside each folder
	main   func(root string) string                           // the case file file-level wants live in
	flags  []string                                           // the `# options:` it reads
	audit  func(t *testing.T, c *fixtureCase) []rules.Finding // the whole policy over the case
	covers func(r *rules.Rule) bool                           // rules that need cases here
}

var surfaces = []*surface{
	{
		name: "dockerfile", dirs: []string{"dockerfile"}, glob: "*",
		main:  func(root string) string { return filepath.Join(root, "Dockerfile") },
		flags: []string{"--target", "--trusted-registry"},
		audit: func(t *testing.T, c *fixtureCase) []rules.Finding {
			return auditFixture(t, audit.Options{Paths: []string{c.main}, Target: last(c.option("--target")), Config: fixtureConfig(c)})
		},
		covers: func(r *rules.Rule) bool { return r.Build != nil },
	},
	{
		// A case is a project folder; `-f` names its compose files in
		// order (default compose.yaml). The Dockerfiles its services build
		// are audited with it, as `docker compose` users get them.
		name: "compose", dirs: []string{"compose"}, glob: "*",
		main:  composeMain,
		flags: []string{"-f", "--env-file", "--profile", "--trusted-registry", "--deny-profile", "--allow"},
		audit: func(t *testing.T, c *fixtureCase) []rules.Finding {
			dir := c.name
			files := slices.Clone(c.option("-f"))
			if len(files) == 0 {
				files = []string{filepath.Base(c.main)}
			}
			var envFiles []string
			for _, e := range c.option("--env-file") {
				envFiles = append(envFiles, filepath.Join(dir, e))
			}
			for i := range files {
				files[i] = filepath.Join(dir, files[i])
			}
			return auditFixture(t, audit.Options{ComposeFiles: files, EnvFiles: envFiles, Profiles: c.option("--profile"), Config: fixtureConfig(c), Profile: fixtureProfile(t, c)})
		},
		covers: func(r *rules.Rule) bool {
			return (r.Container != nil || r.Project != nil) && hasSurface(r, rules.SurfaceCompose)
		},
	},
	{
		// Each line that is neither blank nor a comment is one --run.
		name: "run", dirs: []string{"run"}, glob: "*.txt",
		main:  func(root string) string { return root },
		flags: []string{"--trusted-registry", "--deny-profile", "--allow"},
		audit: func(t *testing.T, c *fixtureCase) []rules.Finding {
			data, err := os.ReadFile(c.main)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			var at []int
			for i, l := range strings.Split(string(data), "\n") {
				if tl := strings.TrimSpace(l); tl != "" && !strings.HasPrefix(tl, "#") {
					lines = append(lines, l)
					at = append(at, i+1)
				}
			}
			findings := auditFixture(t, audit.Options{RunLines: lines, Config: fixtureConfig(c), Profile: fixtureProfile(t, c)})
			for i, f := range findings {
				if f.At.Path == facts.RunPath && f.At.Index >= 1 && f.At.Index <= len(at) {
					findings[i].At = facts.FileAt(c.main, at[f.At.Index-1])
				}
			}
			return findings
		},
		covers: func(r *rules.Rule) bool {
			// A run line starts containers one at a time: project rules
			// never see one.
			return r.Container != nil && hasSurface(r, rules.SurfaceRun)
		},
	},
	{
		// A Docker host and its live containers, written as the facts
		// the host and engine sources build (host_fixtures_test.go).
		name: "host", dirs: []string{"host"}, glob: "*.yaml",
		main:  func(root string) string { return root },
		flags: []string{"--deny-profile", "--allow"},
		audit: func(t *testing.T, c *fixtureCase) []rules.Finding {
			h, cs, err := loadHostFacts(c.main)
			if err != nil {
				t.Fatal(err)
			}
			pol := policy.New(fixtureConfig(c))
			if p := fixtureProfile(t, c); !p.IsZero() {
				pol = policy.WithProfile(fixtureConfig(c), p, nil)
			}
			findings := pol.Host(h)
			for _, ct := range cs {
				findings = append(findings, pol.Container(ct)...)
			}
			return findings
		},
		covers: func(r *rules.Rule) bool {
			// Container rules that hold on every surface have their live
			// cases with the engine source; those whose facts exist only
			// on a live container (a restart count) have them here.
			return r.Host != nil || (r.Container != nil && slices.Equal(r.Surfaces, []rules.Surface{rules.SurfaceLive}))
		},
	},
	{
		// Shell code outside builds, audited with discovery as `dockguard
		// audit <case>` would; a case is a file or a folder.
		name: "embedded", dirs: []string{"shell", "makefile", "github-actions", "gitlab-ci", "devcontainer"}, glob: "*",
		main: embeddedMain,
		audit: func(t *testing.T, c *fixtureCase) []rules.Finding {
			root := c.name
			res := audit.Run(context.Background(), audit.Options{Paths: []string{root}, Config: fixtureConfig(c)})
			n := 0
			for _, f := range c.files {
				if !isDockerfile(f) {
					n++
				}
			}
			if got := res.ByKind[audit.KindShell] + res.ByKind[audit.KindMakefile] + res.ByKind[audit.KindGitHub] + res.ByKind[audit.KindGitLab] + res.ByKind[audit.KindDevcontainer]; got != n {
				t.Errorf("audited %v, want the %d files of the case as %s", res.ByKind, n, filepath.Base(filepath.Dir(root)))
			}
			return resultFindings(t, res)
		},
		covers: func(r *rules.Rule) bool { return r.Script != nil },
	},
}

// composeMain is the project's main compose file.
func composeMain(root string) string {
	for _, n := range []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"} {
		if _, err := os.Stat(filepath.Join(root, n)); err == nil {
			return filepath.Join(root, n)
		}
	}
	return filepath.Join(root, "compose.yaml")
}

// embeddedMain is the case file itself, or the one file of a folder case
// that is not a Dockerfile.
func embeddedMain(root string) string {
	files, _ := caseFiles(root)
	for _, f := range files {
		if !isDockerfile(f) {
			return f
		}
	}
	return root
}

func isDockerfile(path string) bool { return audit.MatchDockerfile(filepath.Base(path)) != "" }

// cases lists and loads a surface's cases.
func (s *surface) cases(t *testing.T) []*fixtureCase {
	t.Helper()
	var out []*fixtureCase
	for _, d := range s.dirs {
		roots, err := filepath.Glob(filepath.Join("testdata", d, s.glob))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(roots)
		for _, root := range roots {
			files, err := caseFiles(root)
			if err != nil {
				t.Fatal(err)
			}
			c, err := loadCase(root, s.main(root), files)
			if err != nil {
				t.Fatal(err)
			}
			for flag := range c.options {
				if !slices.Contains(s.flags, flag) {
					t.Fatalf("%s: option %s is not one %s fixtures take (%v)", root, flag, s.name, s.flags)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// fixtureConfig is the policy configuration a case's options ask for:
// --allow list=value fills one allow-list (`--allow runtimes=runsc`).
func fixtureConfig(c *fixtureCase) rules.Config {
	cfg := rules.Config{TrustedRegistries: c.option("--trusted-registry")}
	for _, a := range c.option("--allow") {
		k, v, _ := strings.Cut(a, "=")
		lists := map[string]*[]string{
			"bindRoots": &cfg.Allow.BindRoots, "devices": &cfg.Allow.Devices, "capabilities": &cfg.Allow.Capabilities,
			"seccompProfiles": &cfg.Allow.SeccompProfiles, "apparmorProfiles": &cfg.Allow.AppArmorProfiles,
			"selinuxTypes": &cfg.Allow.SELinuxTypes, "volumeDrivers": &cfg.Allow.VolumeDrivers, "volumeTypes": &cfg.Allow.VolumeTypes,
			"sysctls": &cfg.Allow.Sysctls, "runtimes": &cfg.Allow.Runtimes,
		}
		if l, ok := lists[k]; ok {
			*l = append(*l, v)
		} else {
			panic(c.name + ": --allow " + a + ": no such allow-list")
		}
	}
	return cfg
}

// fixtureProfile is the enforcement profile whose denials a case marks
// (--deny-profile baseline).
func fixtureProfile(t *testing.T, c *fixtureCase) rules.Profile {
	v := last(c.option("--deny-profile"))
	if v == "" {
		return rules.Profile{}
	}
	p, err := rules.ParseProfile(v)
	if err != nil {
		t.Fatalf("%s: --deny-profile: %v", c.name, err)
	}
	return p
}

// auditFixture runs an audit that must read every input.
func auditFixture(t *testing.T, opt audit.Options) []rules.Finding {
	t.Helper()
	return resultFindings(t, audit.Run(context.Background(), opt))
}

func resultFindings(t *testing.T, res *audit.Result) []rules.Finding {
	t.Helper()
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	return res.Findings
}

func last(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// hasSurface reports whether a rule whose hooks reach a surface applies
// there: Surfaces, when set, narrows where its facts exist.
func hasSurface(r *rules.Rule, s rules.Surface) bool {
	return len(r.Surfaces) == 0 || slices.Contains(r.Surfaces, s)
}

// TestLoadCaseRejects checks that what would weaken or misplace an
// expectation is an error, not silently accepted.
func TestLoadCaseRejects(t *testing.T) {
	for name, tc := range map[string]struct{ file, src string }{
		"check is gone":          {"compose.yaml", "# check: root-user\nservices: {}\n"},
		"bare rule":              {"compose.yaml", "services: {}  # want: root-user\n"},
		"want at the end":        {"compose.yaml", "services: {}\n# want: root-user \"x\"\n"},
		"unknown negative":       {"compose.yaml", "# negative: no-such-rule\nservices: {}\n"},
		"odd options":            {"compose.yaml", "# options: --profile\nservices: {}\n"},
		"Dockerfile want at end": {"Dockerfile", "FROM scratch\n# want: root-user \"x\"\n"},
		"Dockerfile mid-RUN":     {"Dockerfile", "FROM scratch\nRUN a \\\n# want: sudo \"x\"\n  b\n"},
	} {
		path := filepath.Join(t.TempDir(), tc.file)
		if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadCase(name, path, []string{path}); err == nil {
			t.Errorf("%s: loaded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
