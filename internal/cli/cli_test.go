package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dockguard/dockguard/internal/cli"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
)

// Dockerfiles with known outcomes.
const (
	// clean has no finding at all, even at --fail-on info.
	clean = "FROM scratch\nCOPY app /app\nUSER 10001\nHEALTHCHECK CMD [\"/app\",\"-health\"]\nENTRYPOINT [\"/app\"]\n"
	// secretBody is made up: ghp_ and 36 letters and digits.
	secretBody = "Zq4xN8vR2mT7kP1wY5cH9jL3bF6dS0gA2eUo"
	// withSecret has a high finding (secret-in-env, line 4).
	withSecret = "FROM scratch\nCOPY app /app\nUSER 10001\nENV GITHUB_TOKEN=ghp_" + secretBody + "\nHEALTHCHECK CMD [\"/app\",\"-health\"]\nENTRYPOINT [\"/app\"]\n"
	// withMedium has medium findings (expose-ssh) and nothing high.
	withMedium = "FROM scratch\nCOPY app /app\nUSER 10001\nEXPOSE 22\nHEALTHCHECK CMD [\"/app\",\"-health\"]\nENTRYPOINT [\"/app\"]\n"
	// unparseable fails on line 3.
	unparseable = "FROM alpine:3.19\nRUN true\nFROBNICATE x\n"
)

type result struct {
	code     int
	out, err string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return result{code, out.String(), errb.String()}
}

func write(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func parseReport(t *testing.T, data string) *report.Document {
	t.Helper()
	var d report.Document
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("JSON report does not parse: %v\n%s", err, data)
	}
	return &d
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	cleanF := write(t, filepath.Join(dir, "clean", "Dockerfile"), clean)
	secretF := write(t, filepath.Join(dir, "secret", "Dockerfile"), withSecret)
	mediumF := write(t, filepath.Join(dir, "medium", "Dockerfile"), withMedium)
	badF := write(t, filepath.Join(dir, "bad", "Dockerfile"), unparseable)

	cases := []struct {
		name string
		args []string
		code int
	}{
		{"clean at high", []string{"audit", "--fail-on", "high", cleanF}, cli.ExitOK},
		{"clean at info", []string{"audit", "--fail-on", "info", cleanF}, cli.ExitOK},
		{"clean by default", []string{"audit", cleanF}, cli.ExitOK},
		{"high finding at high", []string{"audit", "--fail-on", "high", secretF}, cli.ExitFindings},
		{"high finding by default", []string{"audit", secretF}, cli.ExitFindings},
		{"high finding at HIGH", []string{"audit", "--fail-on", "HIGH", secretF}, cli.ExitFindings},
		{"high finding at critical", []string{"audit", "--fail-on", "critical", secretF}, cli.ExitOK},
		{"high finding at none", []string{"audit", "--fail-on", "none", secretF}, cli.ExitOK},
		{"medium finding at high", []string{"audit", "--fail-on", "high", mediumF}, cli.ExitOK},
		{"medium finding at medium", []string{"audit", "--fail-on", "medium", mediumF}, cli.ExitFindings},
		{"medium finding at low", []string{"audit", "--fail-on", "low", mediumF}, cli.ExitFindings},
		{"error with findings", []string{"audit", secretF, badF}, cli.ExitError},
		{"error at none", []string{"audit", "--fail-on", "none", cleanF, badF}, cli.ExitError},
		{"json format same codes", []string{"audit", "--format", "json", secretF}, cli.ExitFindings},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.out, r.err)
			}
		})
	}

	// With an error, the findings of the other inputs are still printed.
	r := run(t, "audit", secretF, badF)
	if !strings.Contains(r.out, "DG601 secret-in-env  "+secretF+":4") {
		t.Errorf("findings of the good input missing next to an error:\n%s", r.out)
	}
	if !strings.Contains(r.out, badF+":3: cannot parse Dockerfile") {
		t.Errorf("parse error missing:\n%s", r.out)
	}
	if r.err != "" {
		t.Errorf("input errors belong in the report, not on stderr: %q", r.err)
	}
	if !strings.HasSuffix(strings.TrimSpace(r.out), "in 2 inputs, 1 error") {
		t.Errorf("summary line wrong:\n%s", r.out)
	}
	// A clean run says so.
	if r := run(t, "audit", cleanF); strings.TrimSpace(r.out) != "0 findings in 1 input, 0 errors" {
		t.Errorf("clean report = %q", r.out)
	}
}

// Each bad input is reported with its path (and line when there is one),
// and the good input next to it is still audited.
func TestBadInputs(t *testing.T) {
	type setup func(t *testing.T, dir string) (args []string, badPath string)
	tree := func(name, data string) setup {
		return func(t *testing.T, dir string) ([]string, string) {
			return []string{dir}, write(t, filepath.Join(dir, "bad", name), data)
		}
	}
	cases := []struct {
		name  string
		setup setup
		line  int      // -1: any line, the location is not asserted
		want  []string // in the message
	}{
		{"unparseable", tree("Dockerfile", unparseable), 3, []string{"cannot parse Dockerfile", "unknown instruction", "FROBNICATE"}},
		{"instruction before FROM", tree("Dockerfile", "# hello\nRUN true\nFROM alpine:3.19\n"), 2, []string{"RUN before the first FROM"}},
		{"binary", tree("Dockerfile", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\xff\xfe"), 0, []string{"binary file"}},
		{"UTF-16", tree("Dockerfile", "\xff\xfeF\x00R\x00O\x00M\x00"), 0, []string{"UTF-16"}},
		{"empty", tree("Dockerfile", ""), 0, []string{"no instructions"}},
		{"only comments", tree("Dockerfile", "# syntax notes\n# nothing else\n"), -1, []string{"no instructions"}},
		{"only blank lines", tree("Dockerfile", "\n\n  \n"), -1, []string{"no instructions"}},
		{"no FROM", tree("Dockerfile", "ARG X=1\n"), 0, []string{"no FROM"}},
		{"huge sparse file", func(t *testing.T, dir string) ([]string, string) {
			p := filepath.Join(dir, "bad", "Dockerfile")
			write(t, p, "")
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(100 << 20); err != nil {
				t.Fatal(err)
			}
			return []string{dir}, p
		}, 0, []string{"100 MB", "8 MB limit"}},
		{"unreadable", func(t *testing.T, dir string) ([]string, string) {
			if os.Geteuid() == 0 {
				// root reads any file whatever its mode bits, so the
				// permission error cannot happen here.
				t.Skip("running as root: file permissions do not apply")
			}
			p := write(t, filepath.Join(dir, "bad", "Dockerfile"), clean)
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, 0o644) })
			return []string{dir}, p
		}, 0, []string{"cannot read", "permission denied"}},
		{"symlink loop to a parent directory", func(t *testing.T, dir string) ([]string, string) {
			p := filepath.Join(dir, "bad", "up")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("..", p); err != nil {
				t.Fatal(err)
			}
			return []string{dir}, p
		}, 0, []string{"symbolic link loop"}},
		{"symlinks pointing at each other", func(t *testing.T, dir string) ([]string, string) {
			p := filepath.Join(dir, "bad", "Dockerfile")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			// The other link's name is not an input's, so only p is reported.
			if err := os.Symlink("other", p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("Dockerfile", filepath.Join(dir, "bad", "other")); err != nil {
				t.Fatal(err)
			}
			return []string{dir}, p
		}, 0, []string{"symbolic link loop"}},
		{"path that does not exist", func(t *testing.T, dir string) ([]string, string) {
			p := filepath.Join(dir, "nosuch", "Dockerfile")
			return []string{p, dir}, p
		}, 0, []string{"no such file or directory"}},
		{"--target not found", func(t *testing.T, dir string) ([]string, string) {
			p := write(t, filepath.Join(dir, "bad", "Dockerfile"), "FROM alpine:3.19 AS build\nRUN true\n")
			return []string{"--target", "release", dir}, p
		}, 0, []string{`target stage "release" not found`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			// The good input: a finding that must still be reported, and a
			// stage named release for the --target case.
			good := write(t, filepath.Join(dir, "good", "Dockerfile"), strings.Replace(withSecret, "FROM scratch", "FROM scratch AS release", 1))
			args, bad := c.setup(t, dir)

			r := run(t, append([]string{"audit", "--format", "json"}, args...)...)
			d := parseReport(t, r.out)
			var found bool
			for _, f := range d.Findings {
				found = found || (f.Location.Path == good && f.Slug == "secret-in-env")
			}
			if !found {
				t.Errorf("the good input was not audited; findings: %+v errors: %+v", d.Findings, d.Errors)
			}
			if r.code != cli.ExitError {
				t.Errorf("exit %d, want %d", r.code, cli.ExitError)
			}
			if len(d.Errors) != 1 {
				t.Fatalf("errors = %+v, want one about %s", d.Errors, bad)
			}
			e := d.Errors[0]
			if e.Path != bad || (c.line >= 0 && e.Line != c.line) {
				t.Errorf("error at %s:%d, want %s:%d (%s)", e.Path, e.Line, bad, c.line, e.Message)
			}
			for _, w := range c.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("error message %q lacks %q", e.Message, w)
				}
			}
			if d.Summary.Errors != 1 {
				t.Errorf("summary.errors = %d", d.Summary.Errors)
			}

			// The text report names the place the way compilers do.
			r = run(t, append([]string{"audit"}, args...)...)
			place := bad
			if e.Line > 0 {
				place += ":" + strconv.Itoa(e.Line)
			}
			if !strings.Contains(r.out, "\n  "+place+": "+e.Message+"\n") {
				t.Errorf("text report lacks %q:\n%s", place+": "+e.Message, r.out)
			}
			if !strings.Contains(r.out, "DG601 secret-in-env  "+good+":4") {
				t.Errorf("text report lacks the good input's finding:\n%s", r.out)
			}
		})
	}
}

// --max-file-size moves the limit.
func TestMaxFileSize(t *testing.T) {
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "Dockerfile"), clean+strings.Repeat("# padding padding padding\n", 50000))
	r := run(t, "audit", "--max-file-size", "1", p)
	if r.code != cli.ExitError || !strings.Contains(r.out, p+": file is 1.2 MB, over the 1 MB limit") {
		t.Errorf("exit %d:\n%s", r.code, r.out)
	}
	if r := run(t, "audit", "--max-file-size", "2", p); r.code != cli.ExitOK {
		t.Errorf("2 MiB limit: exit %d:\n%s", r.code, r.out)
	}
	if r := run(t, "audit", "--max-file-size", "0", p); r.code != cli.ExitError || !strings.Contains(r.err, "--max-file-size") {
		t.Errorf("--max-file-size 0: exit %d, stderr %q", r.code, r.err)
	}
}

// `--target nosuch` on a single file is an error naming the file.
func TestTargetNotFound(t *testing.T) {
	p := write(t, filepath.Join(t.TempDir(), "Dockerfile"), "FROM alpine:3.19 AS build\nFROM scratch\nCOPY --from=build /bin/true /true\n")
	r := run(t, "audit", "--target", "nosuch", p)
	if r.code != cli.ExitError || !strings.Contains(r.out, p+`: target stage "nosuch" not found`) {
		t.Errorf("exit %d:\n%s", r.code, r.out)
	}
	// Stage names match case-insensitively, as in BuildKit.
	if r := run(t, "audit", "--fail-on", "none", "--target", "BUILD", p); r.code != cli.ExitOK {
		t.Errorf("--target BUILD: exit %d:\n%s", r.code, r.out)
	}
}

func TestDiscovery(t *testing.T) {
	dir := t.TempDir()
	// Every input yields findings, so each one found shows in the report.
	const df = "FROM alpine:3.19\nRUN true\n"
	found := []string{"Dockerfile", "Dockerfile.prod", "Dockerfile-dev", "app.Dockerfile", "x.dockerfile", "Containerfile",
		filepath.Join("sub", "deeper", "Dockerfile")}
	for _, n := range found {
		write(t, filepath.Join(dir, n), df)
	}
	ignored := []string{"Dockerfile.dockerignore", "README", "README.md", "dockerfile.txt.bak~", "notes.txt",
		filepath.Join(".git", "Dockerfile")}
	for _, n := range ignored {
		write(t, filepath.Join(dir, n), df)
	}
	t.Chdir(dir)

	r := run(t, "audit", "--format", "json", "--fail-on", "none", ".")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	d := parseReport(t, r.out)
	var paths []string
	for _, f := range d.Findings {
		if !slices.Contains(paths, f.Location.Path) {
			paths = append(paths, f.Location.Path)
		}
	}
	slices.Sort(paths)
	want := slices.Clone(found)
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Errorf("inputs found = %q\nwant %q", paths, want)
	}
	if d.Summary.Inputs != len(found) || len(d.Errors) != 0 {
		t.Errorf("summary.inputs = %d, errors = %+v; want %d and none", d.Summary.Inputs, d.Errors, len(found))
	}

	// No argument means the current folder.
	r2 := run(t, "audit", "--format", "json", "--fail-on", "none")
	if r2.out != r.out {
		t.Errorf("`audit` and `audit .` differ:\n%s\n---\n%s", r2.out, r.out)
	}

	// A file named explicitly is audited whatever its name.
	r3 := run(t, "audit", "--format", "json", "--fail-on", "none", "README")
	if d := parseReport(t, r3.out); d.Summary.Inputs != 1 || len(d.Findings) == 0 || d.Findings[0].Location.Path != "README" {
		t.Errorf("explicit README: %+v", d)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const id = "https://dockguard.dev/schema/report/v1.json"
	f, err := os.Open("../../schema/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	return c.MustCompile(id)
}

func TestJSONFormat(t *testing.T) {
	sch := compileSchema(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a", "Dockerfile"), withSecret)
	write(t, filepath.Join(dir, "b", "Dockerfile"), withMedium)
	write(t, filepath.Join(dir, "c", "Dockerfile"), clean)
	write(t, filepath.Join(dir, "d", "Dockerfile"), unparseable)
	write(t, filepath.Join(dir, "e", "Dockerfile"), "FROM alpine:3.19\nARG U\nUSER $U\n")

	r := run(t, "audit", "--format", "JSON", dir)
	if r.code != cli.ExitError {
		t.Errorf("exit %d, want 2 (one input does not parse)", r.code)
	}
	d := parseReport(t, r.out)
	if d.SchemaVersion != report.SchemaVersion {
		t.Errorf("schemaVersion = %d", d.SchemaVersion)
	}
	if d.Summary.Inputs != 5 || d.Summary.Errors != 1 || d.Summary.Findings != len(d.Findings) {
		t.Errorf("summary = %+v, want 5 inputs, 1 error, %d findings", d.Summary, len(d.Findings))
	}
	if len(d.Notes) == 0 {
		t.Errorf("no note for USER $U")
	}
	if strings.Contains(r.out, secretBody) {
		t.Errorf("JSON report holds the secret whole")
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.out))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("report does not match the schema: %v", err)
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "src", "Dockerfile"), withSecret)
	outDir := filepath.Join(dir, "out")
	out := write(t, filepath.Join(outDir, "report.json"), strings.Repeat("old report that is longer than the new one\n", 1000))

	r := run(t, "audit", "--format", "json", "--output", out, p)
	if r.code != cli.ExitFindings {
		t.Errorf("exit %d, want 1", r.code)
	}
	if r.out != "" || r.err != "" {
		t.Errorf("--output also wrote to the streams: stdout %q stderr %q", r.out, r.err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := parseReport(t, string(data)); d.Summary.Inputs != 1 || d.Summary.Findings == 0 {
		t.Errorf("report written = %+v", d.Summary)
	}
	// Nothing left behind but the report.
	entries, _ := os.ReadDir(outDir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output folder holds %q, want only report.json", names)
	}

	// Text to a file: no colors, and the same text as on stdout.
	txt := filepath.Join(outDir, "report.txt")
	r = run(t, "audit", "-o", txt, p)
	data, err = os.ReadFile(txt)
	if err != nil {
		t.Fatal(err)
	}
	if want := run(t, "audit", p).out; string(data) != want || r.out != "" {
		t.Errorf("text report file = %q, want %q", data, want)
	}

	// An output folder that does not exist is an error, not a panic.
	r = run(t, "audit", "--output", filepath.Join(dir, "nosuch", "r.json"), p)
	if r.code != cli.ExitError || !strings.Contains(r.err, "--output") {
		t.Errorf("missing output folder: exit %d, stderr %q", r.code, r.err)
	}
}

func TestUsageErrors(t *testing.T) {
	p := write(t, filepath.Join(t.TempDir(), "Dockerfile"), clean)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--format", "xml", p}, `--format "xml"`},
		{[]string{"audit", "--fail-on", "bogus", p}, `--fail-on: unknown severity "bogus"`},
		{[]string{"audit", "--nosuchflag", p}, "unknown flag: --nosuchflag"},
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand"`},
		{[]string{"rules", "--format", "xml"}, `--format "xml"`},
		{[]string{"rules", "extra"}, "unknown command"},
		{[]string{"explain"}, "requires at least 1 arg"},
		{[]string{"version", "extra"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := run(t, c.args...)
			if r.code != cli.ExitError {
				t.Errorf("exit %d, want 2", r.code)
			}
			if !strings.HasPrefix(r.err, "dockguard: ") || !strings.Contains(r.err, c.want) {
				t.Errorf("stderr = %q, want %q", r.err, c.want)
			}
			if r.out != "" {
				t.Errorf("a usage error printed a report:\n%s", r.out)
			}
		})
	}
}

func TestRules(t *testing.T) {
	all := rules.All()
	r := run(t, "rules")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if len(lines) != len(all) {
		t.Errorf("%d lines for %d rules", len(lines), len(all))
	}
	for _, rule := range all {
		if !strings.Contains(r.out, rule.ID+" ") || !strings.Contains(r.out, " "+rule.Slug+" ") {
			t.Errorf("`rules` does not list %s %s", rule.ID, rule.Slug)
		}
	}

	r = run(t, "rules", "--format", "json")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var list []struct {
		ID, Slug, Control, Threat, Severity, Title string
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil {
		t.Fatalf("rules JSON does not parse: %v\n%s", err, r.out)
	}
	if len(list) != len(all) {
		t.Fatalf("%d rules in JSON, want %d", len(list), len(all))
	}
	for i, x := range list {
		if x.ID != all[i].ID || x.Slug != all[i].Slug || x.Control != string(all[i].Control) || x.Severity != string(all[i].Severity) {
			t.Errorf("rule %d = %+v, want %s %s %s %s", i, x, all[i].ID, all[i].Slug, all[i].Control, all[i].Severity)
		}
		if x.Threat == "" || x.Title == "" {
			t.Errorf("rule %s lacks threat or title", x.ID)
		}
	}

	r = run(t, "rules", "--format", "markdown")
	if r.code != cli.ExitOK || !strings.HasPrefix(r.out, "| ID |") || strings.Count(r.out, "\n") != len(all)+2 {
		t.Errorf("markdown: exit %d\n%s", r.code, r.out)
	}
}

func TestExplain(t *testing.T) {
	root := rules.Lookup("root-user")[0]
	head := root.ID + " " + root.Slug + ": " + root.Title + "\n"
	for _, name := range []string{"DG301", "dg301", "root-user", "non-root-user", " ROOT-USER "} {
		t.Run(name, func(t *testing.T) {
			r := run(t, "explain", name)
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			if !strings.Contains(r.out, head) || !strings.Contains(r.out, root.Remediation) || !strings.Contains(r.out, root.Rationale) {
				t.Errorf("explain %s does not explain %s:\n%s", name, root.ID, r.out)
			}
		})
	}

	// A control explains each of its rules.
	byControl := rules.Lookup("non-root-user")
	if len(byControl) < 2 {
		t.Fatalf("control non-root-user has %d rules; the test wants several", len(byControl))
	}
	r := run(t, "explain", "non-root-user")
	for _, x := range byControl {
		if !strings.Contains(r.out, x.ID+" "+x.Slug+": ") {
			t.Errorf("explain non-root-user lacks %s:\n%s", x.ID, r.out)
		}
	}

	r = run(t, "explain", "nosuch")
	if r.code != cli.ExitError || !strings.Contains(r.err, "nosuch") || r.out != "" {
		t.Errorf("explain nosuch: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	// Known names are still explained next to an unknown one.
	r = run(t, "explain", "DG301", "nosuch")
	if r.code != cli.ExitError || !strings.Contains(r.out, head) || !strings.Contains(r.err, "nosuch") {
		t.Errorf("explain DG301 nosuch: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

func TestVersion(t *testing.T) {
	r := run(t, "version")
	if r.code != cli.ExitOK || !strings.HasPrefix(r.out, "dockguard ") || len(strings.TrimSpace(r.out)) <= len("dockguard") {
		t.Errorf("version: exit %d, %q", r.code, r.out)
	}
	old := cli.Version
	t.Cleanup(func() { cli.Version = old })
	cli.Version = "v1.2.3"
	if r := run(t, "version"); r.out != "dockguard v1.2.3\n" {
		t.Errorf("version with -X = %q", r.out)
	}
}

// An empty path is an input error like any other: reported in the report,
// without a dangling ": ", and the other inputs are audited.
func TestEmptyPathArgument(t *testing.T) {
	p := write(t, filepath.Join(t.TempDir(), "Dockerfile"), withSecret)
	r := run(t, "audit", "", p)
	if r.code != cli.ExitError {
		t.Errorf("exit %d, want 2", r.code)
	}
	if !strings.Contains(r.out, "\n  empty path given as input\n") || !strings.Contains(r.out, p+":4") {
		t.Errorf("report:\n%s", r.out)
	}
}
