package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
)

// schemaPath is the committed schema. It lives at the repository root, out
// of reach of go:embed from this package, so the test reads it from disk.
const schemaPath = "../../schema/report.schema.json"

const schemaID = "https://dockguard.dev/schema/report/v1.json"

// compileSchema compiles the committed schema; the compiler also checks it
// against the draft 2020-12 meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaID)
	if err != nil {
		t.Fatalf("%s does not compile: %v", schemaPath, err)
	}
	return sch
}

func validate(sch *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func mustValidate(t *testing.T, sch *jsonschema.Schema, data []byte) {
	t.Helper()
	if err := validate(sch, data); err != nil {
		t.Fatalf("report does not match the schema: %v\n%s", err, data)
	}
}

func rule(t *testing.T, name string) *rules.Rule {
	t.Helper()
	rs := rules.Lookup(name)
	if len(rs) == 0 {
		t.Fatalf("no rule %q", name)
	}
	return rs[0]
}

func renderJSON(t *testing.T, d *report.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.JSON(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func renderText(t *testing.T, d *report.Document, color bool) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Text(&buf, d, report.TextOptions{Color: color}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var stage = facts.Subject{Kind: facts.SubjectStage, Name: "build"}

// everyVariant is a result with a finding at every kind of location (with
// and without their optional parts) and of every severity, plus errors and
// notes with and without a line.
func everyVariant(t *testing.T) *audit.Result {
	root, secret, expose, latest, health := rule(t, "root-user"), rule(t, "secret-in-env"), rule(t, "expose-ssh"), rule(t, "image-latest"), rule(t, "no-healthcheck")
	return &audit.Result{
		Inputs: 3,
		Findings: []rules.Finding{
			{Rule: secret, Severity: rules.Critical, Subject: stage, Message: "ENV TOKEN holds a GitHub token (ghp_…(40 chars))",
				At: facts.Location{Path: "app/Dockerfile", Line: 7, Column: 5, EndLine: 9}},
			{Rule: root, Severity: rules.High, Subject: facts.Subject{Kind: facts.SubjectService, Name: "web"},
				At: facts.FileAt("compose.yaml", 12), Message: "user: root"},
			{Rule: health, Severity: rules.Info, Subject: stage, At: facts.Location{Path: "Dockerfile"}, Message: "the image declares no HEALTHCHECK"},
			{Rule: expose, Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectContainer, Name: "docker run #2"},
				At: facts.Location{Path: facts.RunPath, Index: 2}, Message: "-p 22:22 publishes SSH"},
			{Rule: root, Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectContainer, Name: "web-1"},
				At: facts.Location{Engine: "docker", Object: "container web-1", Field: "Config.User"}, Message: "runs as root"},
			{Rule: root, Severity: rules.Low, Subject: facts.Subject{Kind: facts.SubjectHost, Name: "localhost"},
				At: facts.Location{Engine: "docker", Object: "daemon"}, Message: "the daemon runs as root"},
			{Rule: latest, Severity: rules.Low, Subject: facts.Subject{Kind: facts.SubjectImage, Name: "alpine:latest"},
				At: facts.Location{Image: "alpine:latest", Layer: "sha256:0123abcd", File: "/usr/bin/sudo"}, Message: "tag latest"},
			{Rule: latest, Severity: rules.Info, Subject: facts.Subject{Kind: facts.SubjectImage, Name: "alpine:latest"},
				At: facts.Location{Image: "alpine:latest"}, Message: "tag latest"},
		},
		Errors: []*inputs.Error{
			{Path: "bad/Dockerfile", Line: 3, Message: "cannot parse Dockerfile: unknown instruction: FROBNICATE"},
			{Path: "bin/Dockerfile", Message: "binary file, not text"},
			{Path: "", Message: "empty path given as input"},
		},
		Notes: []audit.Note{
			{Path: "app/Dockerfile", Line: 4, Message: "USER $APP_USER depends on a build argument with no value"},
			{Path: "app/Dockerfile", Message: "a note about the whole file"},
		},
	}
}

// The schema's enumerations are the catalogue's: a control, threat or
// severity added in Go must be added to the schema too.
func TestSchemaMatchesCatalogue(t *testing.T) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID         string `json:"$id"`
		Schema     string `json:"$schema"`
		Properties struct {
			SchemaVersion struct {
				Const int `json:"const"`
			} `json:"schemaVersion"`
		} `json:"properties"`
		Defs struct {
			Severity struct{ Enum []string } `json:"severity"`
			Threat   struct{ Enum []string } `json:"threat"`
			Control  struct{ Enum []string } `json:"control"`
			Subject  struct {
				Properties struct {
					Kind struct{ Enum []string } `json:"kind"`
				} `json:"properties"`
			} `json:"subject"`
			Summary struct {
				Properties struct {
					BySeverity struct {
						Required []string `json:"required"`
					} `json:"bySeverity"`
				} `json:"properties"`
			} `json:"summary"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != schemaID {
		t.Errorf("$id = %q, want %q", s.ID, schemaID)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", s.Schema)
	}
	if s.Properties.SchemaVersion.Const != report.SchemaVersion {
		t.Errorf("schemaVersion const = %d, report.SchemaVersion = %d", s.Properties.SchemaVersion.Const, report.SchemaVersion)
	}
	check := func(what string, got []string, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("schema %s = %q\nwant (from Go) %q", what, got, want)
		}
	}
	check("severities", s.Defs.Severity.Enum, strs(rules.Severities))
	check("bySeverity.required", s.Defs.Summary.Properties.BySeverity.Required, strs(rules.Severities))
	check("threats", s.Defs.Threat.Enum, strs(rules.Threats))
	check("controls", s.Defs.Control.Enum, strs(rules.Controls))
	check("subject kinds", s.Defs.Subject.Properties.Kind.Enum,
		[]string{facts.SubjectStage, facts.SubjectService, facts.SubjectContainer, facts.SubjectHost, facts.SubjectImage, facts.SubjectFile, facts.SubjectScript})
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func TestJSONEveryVariantMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	res := everyVariant(t)
	d := report.Build(res)
	data := renderJSON(t, d)
	mustValidate(t, sch, data)

	var back report.Document
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Findings) != len(res.Findings) {
		t.Fatalf("%d findings in JSON, want %d", len(back.Findings), len(res.Findings))
	}
	for i, f := range back.Findings {
		if f.Location != res.Findings[i].At {
			t.Errorf("finding %d location = %+v, want %+v", i, f.Location, res.Findings[i].At)
		}
		if f.Rule != res.Findings[i].Rule.ID || f.Severity != res.Findings[i].Severity {
			t.Errorf("finding %d = %s %s, want %s %s", i, f.Rule, f.Severity, res.Findings[i].Rule.ID, res.Findings[i].Severity)
		}
	}
	want := report.Summary{Inputs: 3, Findings: 8, Errors: 3, BySeverity: map[rules.Severity]int{
		rules.Critical: 1, rules.High: 1, rules.Medium: 2, rules.Low: 2, rules.Info: 2,
	}}
	if back.Summary.Inputs != want.Inputs || back.Summary.Findings != want.Findings || back.Summary.Errors != want.Errors ||
		len(back.Summary.BySeverity) != len(want.BySeverity) {
		t.Errorf("summary = %+v, want %+v", back.Summary, want)
	}
	for s, n := range want.BySeverity {
		if back.Summary.BySeverity[s] != n {
			t.Errorf("bySeverity[%s] = %d, want %d", s, back.Summary.BySeverity[s], n)
		}
	}
	if len(back.Errors) != 3 || back.Errors[0].Line != 3 || back.Errors[1].Line != 0 {
		t.Errorf("errors = %+v", back.Errors)
	}
	if len(back.Notes) != 2 || back.Notes[0].Line != 4 {
		t.Errorf("notes = %+v", back.Notes)
	}
}

// Every registered rule's metadata fits the schema (ID pattern, slug,
// control, threat, severity), so no rule can produce an invalid report.
func TestJSONEveryRuleMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	all := rules.All()
	if len(all) == 0 {
		t.Fatal("no rules registered")
	}
	res := &audit.Result{Inputs: 1}
	for _, r := range all {
		res.Findings = append(res.Findings, rules.Finding{Rule: r, Severity: r.Severity, Subject: stage, Message: r.Title, At: facts.FileAt("Dockerfile", 1)})
	}
	data := renderJSON(t, report.Build(res))
	if err := validate(sch, data); err != nil {
		t.Fatalf("a rule's metadata does not fit the schema: %v", err)
	}
}

// An empty result gives empty arrays, never null, and all five counts.
func TestJSONEmpty(t *testing.T) {
	sch := compileSchema(t)
	data := renderJSON(t, report.Build(&audit.Result{}))
	mustValidate(t, sch, data)
	for _, k := range []string{`"findings": []`, `"errors": []`, `"notes": []`, `"critical": 0`, `"info": 0`} {
		if !bytes.Contains(data, []byte(k)) {
			t.Errorf("empty report lacks %s:\n%s", k, data)
		}
	}
}

func writeFile(t *testing.T, path string, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The JSON of a real audit, with findings, parse errors and unreadable
// inputs, matches the schema.
func TestJSONRealAuditMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good", "Dockerfile"),
		"FROM scratch\nCOPY app /app\nUSER 10001\nHEALTHCHECK CMD [\"/app\",\"-health\"]\nENTRYPOINT [\"/app\"]\n")
	writeFile(t, filepath.Join(dir, "bad", "Dockerfile"),
		"FROM ubuntu:latest\nARG USER_NAME\nUSER $USER_NAME\nRUN apt-get update && apt-get install -y sudo\nRUN curl -fsSL https://example.com/install.sh | sh\nCOPY . .\nEXPOSE 22 80\nRUN chmod u+s /usr/bin/find\n")
	writeFile(t, filepath.Join(dir, "root", "Dockerfile"), "FROM alpine:3.19\nRUN true\n")
	writeFile(t, filepath.Join(dir, "unparseable", "Dockerfile"), "FROM alpine:3.19\nRUN true\nFROBNICATE x\n")
	writeFile(t, filepath.Join(dir, "binary", "Dockerfile"), "FROM \x00\x01\x02\xff\n")

	res := audit.Run(context.Background(), audit.Options{Paths: []string{dir}})
	d := report.Build(res)
	data := renderJSON(t, d)
	mustValidate(t, sch, data)

	if d.Summary.Inputs != 5 {
		t.Errorf("inputs = %d, want 5", d.Summary.Inputs)
	}
	if len(d.Findings) == 0 {
		t.Error("no findings for bad/Dockerfile")
	}
	if len(d.Notes) == 0 {
		t.Error("no note for USER $USER_NAME with no value")
	}
	var sawParse, sawBinary bool
	for _, e := range d.Errors {
		switch e.Path {
		case filepath.Join(dir, "unparseable", "Dockerfile"):
			sawParse = e.Line == 3 && strings.Contains(e.Message, "FROBNICATE")
		case filepath.Join(dir, "binary", "Dockerfile"):
			sawBinary = strings.Contains(e.Message, "binary")
		}
	}
	if !sawParse || !sawBinary || len(d.Errors) != 2 {
		t.Errorf("errors = %+v, want a parse error at line 3 and a binary-file error", d.Errors)
	}
}

// The schema must be able to fail: each of these breaks the contract.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	base := renderJSON(t, report.Build(everyVariant(t)))
	if err := validate(sch, base); err != nil {
		t.Fatalf("base document invalid: %v", err)
	}
	finding := func(i int) func(m map[string]any) map[string]any {
		return func(m map[string]any) map[string]any { return m["findings"].([]any)[i].(map[string]any) }
	}
	loc := func(i int) func(m map[string]any) map[string]any {
		return func(m map[string]any) map[string]any { return finding(i)(m)["location"].(map[string]any) }
	}
	top := func(m map[string]any) map[string]any { return m }
	summary := func(m map[string]any) map[string]any { return m["summary"].(map[string]any) }
	bySev := func(m map[string]any) map[string]any { return summary(m)["bySeverity"].(map[string]any) }
	problem := func(list string, i int) func(m map[string]any) map[string]any {
		return func(m map[string]any) map[string]any { return m[list].([]any)[i].(map[string]any) }
	}
	const del = "\x00delete"
	cases := []struct {
		name  string
		at    func(map[string]any) map[string]any
		key   string
		value any
	}{
		{"unknown severity", finding(0), "severity", "severe"},
		{"severity in capitals", finding(0), "severity", "HIGH"},
		{"unknown threat", finding(0), "threat", "aliens"},
		{"unknown control", finding(0), "control", "firewall"},
		{"bad rule ID", finding(0), "rule", "DG1"},
		{"rule ID with suffix", finding(0), "rule", "DG1234"},
		{"slug not kebab-case", finding(0), "slug", "Root_User"},
		{"empty message", finding(0), "message", ""},
		{"unknown subject kind", finding(0), "subject", map[string]any{"kind": "pod", "name": "x"}},
		{"subject without name", finding(0), "subject", map[string]any{"kind": "stage"}},
		{"missing message", finding(0), "message", del},
		{"missing location", finding(0), "location", del},
		{"missing remediation", finding(1), "remediation", del},
		{"missing schemaVersion", top, "schemaVersion", del},
		{"missing notes", top, "notes", del},
		{"missing summary", top, "summary", del},
		{"missing summary count", summary, "inputs", del},
		{"missing severity count", bySev, "low", del},
		{"extra top-level field", top, "generatedAt", "2024-01-01"},
		{"extra finding field", finding(0), "confidence", "high"},
		{"extra summary field", summary, "warnings", 0},
		{"extra severity count", bySev, "severe", 0},
		{"extra error field", problem("errors", 0), "column", 3},
		{"extra subject field", finding(0), "subject", map[string]any{"kind": "stage", "name": "x", "id": 1}},
		{"wrong schemaVersion", top, "schemaVersion", 2},
		{"negative count", bySev, "high", -1},
		{"fractional count", summary, "inputs", 1.5},
		{"findings not an array", top, "findings", map[string]any{}},
		{"error line 0", problem("errors", 1), "line", 0},
		{"note without message", problem("notes", 0), "message", del},
		{"empty location", finding(0), "location", map[string]any{}},
		{"file location line 0", loc(1), "line", 0},
		{"file location column 0", loc(0), "column", 0},
		{"file location column without line", finding(0), "location", map[string]any{"path": "Dockerfile", "column": 2}},
		{"file location with an index", loc(1), "index", 2},
		{"file location mixed with engine", loc(1), "engine", "docker"},
		{"file location path empty", loc(2), "path", ""},
		{"file location path --run", finding(0), "location", map[string]any{"path": "--run", "line": 1}},
		{"run location index 0", loc(3), "index", 0},
		{"run location without index", loc(3), "index", del},
		{"run location with a line", loc(3), "line", 1},
		{"engine location without object", loc(4), "object", del},
		{"engine location with a path", loc(4), "path", "Dockerfile"},
		{"image location without image", loc(6), "image", del},
		{"image location mixed with engine", loc(6), "engine", "docker"},
		{"string line", loc(1), "line", "12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			obj := c.at(m)
			if c.value == del {
				if _, ok := obj[c.key]; !ok {
					t.Fatalf("nothing to delete at %q", c.key)
				}
				delete(obj, c.key)
			} else {
				obj[c.key] = c.value
			}
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(sch, data); err == nil {
				t.Errorf("schema accepts a document with %s", c.name)
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTextDangerFirst(t *testing.T) {
	kernel := &rules.Rule{ID: "DG101", Slug: "kernel-thing", Control: "kernel-cves", Threat: rules.ThreatKernel, Severity: rules.Critical, Title: "Kernel", Remediation: "Patch the kernel."}
	res := &audit.Result{
		Inputs: 2,
		// Listed out of threat order on purpose.
		Findings: []rules.Finding{
			{Rule: rule(t, "no-healthcheck"), Severity: rules.Info, Subject: stage, At: facts.FileAt("Dockerfile", 1), Message: "no healthcheck here"},
			{Rule: rule(t, "secret-in-env"), Severity: rules.High, Subject: stage, At: facts.Location{Path: "Dockerfile", Line: 3, Column: 5}, Message: "ENV TOKEN holds a secret"},
			{Rule: rule(t, "root-user"), Severity: rules.Medium, Subject: stage, At: facts.FileAt("Dockerfile", 9), Message: "runs as root"},
			{Rule: kernel, Severity: rules.Critical, Subject: facts.Subject{Kind: facts.SubjectHost, Name: "localhost"}, At: facts.Location{Engine: "docker", Object: "daemon", Field: "KernelVersion"}, Message: "old kernel"},
			{Rule: rule(t, "root-user"), Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectContainer, Name: "run"}, At: facts.Location{Path: facts.RunPath, Index: 2}, Message: "runs as root too"},
			{Rule: rule(t, "image-latest"), Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectImage, Name: "alpine"}, At: facts.Location{Image: "alpine:latest", Layer: "3"}, Message: "latest"},
		},
		Errors: []*inputs.Error{{Path: "bad/Dockerfile", Line: 3, Message: "cannot parse Dockerfile: unknown instruction: FROBNICATE"}},
		Notes:  []audit.Note{{Path: "Dockerfile", Line: 4, Message: "USER depends on a build argument"}},
	}
	out := renderText(t, report.Build(res), false)
	lines := strings.Split(out, "\n")

	// The subjects at highest risk come first, then severity groups worst
	// first, only for severities with findings, each exactly once.
	var headings []string
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(l, " ") {
			headings = append(headings, l)
		}
	}
	wantHeadings := []string{"Highest risk: host localhost (critical), stage build (high)", "Critical", "High", "Medium", "Info", "Errors", "Notes",
		"6 findings (1 critical, 1 high, 3 medium, 1 info) in 2 inputs, 1 error"}
	if !slices.Equal(headings, wantHeadings) {
		t.Errorf("headings = %q\nwant %q\n%s", headings, wantHeadings, out)
	}
	for _, want := range []string{
		"  CRITICAL DG101 kernel-thing  docker: daemon KernelVersion  (host localhost)",
		"  MEDIUM   DG301 root-user  Dockerfile:9  (stage build)",
		"  MEDIUM   DG301 root-user  --run #2  (container run)",
		"  MEDIUM   DG502 image-latest  alpine:latest layer 3  (image alpine)",
		"  HIGH     DG601 secret-in-env  Dockerfile:3:5  (stage build)",
		"  INFO     DG901 no-healthcheck  Dockerfile:1  (stage build)",
		"           ENV TOKEN holds a secret",
		"           fix: " + rule(t, "secret-in-env").Remediation,
		"  bad/Dockerfile:3: cannot parse Dockerfile: unknown instruction: FROBNICATE",
		"  Dockerfile:4: USER depends on a build argument",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("text report lacks the line %q:\n%s", want, out)
		}
	}
	// The critical finding is the first one a reader meets; inside a
	// severity, findings go by subject, then place.
	var order []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && strings.Contains(l, " DG") {
			order = append(order, strings.Fields(l)[1]+" "+strings.Fields(l)[len(strings.Fields(l))-1])
		}
	}
	wantOrder := []string{"DG101 localhost)", "DG601 build)", "DG301 run)", "DG502 alpine)", "DG301 build)", "DG901 build)"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("finding order = %q, want %q:\n%s", order, wantOrder, out)
	}
}

func TestTextSummaryLine(t *testing.T) {
	r := rule(t, "root-user")
	cases := []struct {
		name string
		res  *audit.Result
		want string
	}{
		{"nothing", &audit.Result{}, "0 findings in 0 inputs, 0 errors"},
		{"singular", &audit.Result{
			Inputs:   1,
			Findings: []rules.Finding{{Rule: r, Severity: rules.Medium, Subject: stage, At: facts.FileAt("Dockerfile", 1), Message: "m"}},
			Errors:   []*inputs.Error{{Path: "x", Message: "no such file or directory"}},
		}, "1 finding (1 medium) in 1 input, 1 error"},
		{"plural", &audit.Result{
			Inputs: 4,
			Findings: []rules.Finding{
				{Rule: r, Severity: rules.Low, Subject: stage, At: facts.FileAt("a", 1), Message: "m"},
				{Rule: r, Severity: rules.Critical, Subject: stage, At: facts.FileAt("b", 1), Message: "m"},
				{Rule: r, Severity: rules.Low, Subject: stage, At: facts.FileAt("c", 1), Message: "m"},
			},
		}, "3 findings (1 critical, 2 low) in 4 inputs, 0 errors"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := renderText(t, report.Build(c.res), false)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if got := lines[len(lines)-1]; got != c.want {
				t.Errorf("summary line = %q, want %q", got, c.want)
			}
		})
	}
}

// An error about an empty path (`dockguard audit ""`) is printed as its
// message alone, not behind a dangling ": ".
func TestTextEmptyPathError(t *testing.T) {
	out := renderText(t, report.Build(&audit.Result{Errors: []*inputs.Error{{Message: "empty path given as input"}}}), false)
	if !strings.Contains(out, "\n  empty path given as input\n") {
		t.Errorf("text report = %q, want the bare message", out)
	}
}

func TestTextColor(t *testing.T) {
	d := report.Build(everyVariant(t))
	plain := renderText(t, d, false)
	if strings.Contains(plain, "\x1b") {
		t.Errorf("Color false but the report has escape sequences:\n%q", plain)
	}
	colored := renderText(t, d, true)
	if !ansi.MatchString(colored) {
		t.Fatalf("Color true but no ANSI colors:\n%q", colored)
	}
	// Colors only decorate: stripped, the report is the plain one.
	if got := ansi.ReplaceAllString(colored, ""); got != plain {
		t.Errorf("colored report without escapes differs from the plain one:\n%s\n---\n%s", got, plain)
	}
}

// A secret found in a Dockerfile never reaches a report whole, in any
// format: only a redacted prefix.
func TestSecretNeverWhole(t *testing.T) {
	// A made-up token: ghp_ and 36 letters and digits, not a real one.
	const body = "Zq4xN8vR2mT7kP1wY5cH9jL3bF6dS0gA2eUo"
	if len(body) != 36 {
		t.Fatalf("body is %d chars, want 36", len(body))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	writeFile(t, path, "FROM alpine:3.19\n"+
		"ENV GITHUB_TOKEN=ghp_"+body+"\n"+
		"ARG GH_TOKEN=ghp_"+body+"\n"+
		"RUN curl -H \"Authorization: token ghp_"+body+"\" https://api.github.com/user\n")
	res := audit.Run(context.Background(), audit.Options{Paths: []string{dir}})
	d := report.Build(res)

	var env *report.Finding
	for i, f := range d.Findings {
		if f.Slug == "secret-in-env" {
			env = &d.Findings[i]
		}
	}
	if env == nil {
		t.Fatalf("no secret-in-env finding; findings: %+v errors: %+v", d.Findings, d.Errors)
	}
	if env.Location.Line != 2 || !strings.Contains(env.Message, "ghp_") {
		t.Errorf("secret-in-env finding = %+v, want line 2 and the token's prefix", env)
	}

	outputs := map[string]string{
		"json":         string(renderJSON(t, d)),
		"text":         renderText(t, d, false),
		"colored text": renderText(t, d, true),
	}
	for name, out := range outputs {
		// Not even a third of the body may show.
		for i := 0; i+12 <= len(body); i++ {
			if part := body[i : i+12]; strings.Contains(out, part) {
				t.Errorf("%s report contains %q of the secret:\n%s", name, part, out)
				break
			}
		}
	}
}
