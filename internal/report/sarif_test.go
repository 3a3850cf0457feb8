package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
)

// sarifSchemaPath is the official SARIF 2.1.0 schema (see testdata/README.md).
const sarifSchemaPath = "testdata/sarif-schema-2.1.0.json"

var (
	sarifSchemaOnce sync.Once
	sarifSchemaVal  *jsonschema.Schema
	sarifSchemaErr  error
)

// sarifSchema compiles the SARIF schema once. It is a draft-04 schema
// ("id", not "$id"): the compiler is told so, and formats (uri,
// uri-reference, date-time) are asserted.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sarifSchemaOnce.Do(func() {
		f, err := os.Open(sarifSchemaPath)
		if err != nil {
			sarifSchemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			sarifSchemaErr = err
			return
		}
		m, _ := doc.(map[string]any)
		id, _ := m["id"].(string)
		if m["$schema"] != "http://json-schema.org/draft-04/schema#" || id == "" {
			sarifSchemaErr = errorString("the SARIF schema is not the draft-04 one with an id")
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		c.AssertFormat()
		if err := c.AddResource(id, doc); err != nil {
			sarifSchemaErr = err
			return
		}
		sarifSchemaVal, sarifSchemaErr = c.Compile(id)
	})
	if sarifSchemaErr != nil {
		t.Fatalf("%s: %v", sarifSchemaPath, sarifSchemaErr)
	}
	return sarifSchemaVal
}

type errorString string

func (e errorString) Error() string { return string(e) }

func sarifValidate(t *testing.T, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sarifSchema(t).Validate(inst)
}

func renderSARIF(t *testing.T, d *report.Document, opt report.SARIFOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.SARIF(&buf, d, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sarifLog is the part of a SARIF log the tests read back.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name            string          `json:"name"`
				Version         string          `json:"version"`
				SemanticVersion string          `json:"semanticVersion"`
				InformationURI  string          `json:"informationUri"`
				Rules           []sarifRuleView `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results     []sarifResultView `json:"results"`
		Invocations []struct {
			ExecutionSuccessful *bool `json:"executionSuccessful"`
			Notifications       []struct {
				Level     string              `json:"level"`
				Message   sarifTextView       `json:"message"`
				Locations []sarifLocationView `json:"locations"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

type sarifTextView struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleView struct {
	ID                   string        `json:"id"`
	Name                 string        `json:"name"`
	ShortDescription     sarifTextView `json:"shortDescription"`
	FullDescription      sarifTextView `json:"fullDescription"`
	Help                 sarifTextView `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties struct {
		SecuritySeverity string   `json:"security-severity"`
		Precision        string   `json:"precision"`
		Tags             []string `json:"tags"`
	} `json:"properties"`
}

type sarifLocationView struct {
	PhysicalLocation *struct {
		ArtifactLocation *struct {
			URI       string `json:"uri"`
			URIBaseID string `json:"uriBaseId"`
		} `json:"artifactLocation"`
		Region *struct {
			StartLine   *int `json:"startLine"`
			StartColumn *int `json:"startColumn"`
			EndLine     *int `json:"endLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

type sarifResultView struct {
	RuleID              string              `json:"ruleId"`
	RuleIndex           int                 `json:"ruleIndex"`
	Level               string              `json:"level"`
	Message             sarifTextView       `json:"message"`
	Locations           []sarifLocationView `json:"locations"`
	PartialFingerprints map[string]string   `json:"partialFingerprints"`
	Properties          struct {
		Severity string            `json:"severity"`
		Control  string            `json:"control"`
		Threat   string            `json:"threat"`
		Subject  map[string]string `json:"subject"`
		Location string            `json:"location"`
	} `json:"properties"`
}

func parseSARIF(t *testing.T, data []byte) *sarifLog {
	t.Helper()
	var l sarifLog
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatalf("SARIF output is not JSON: %v\n%s", err, data)
	}
	if len(l.Runs) != 1 {
		t.Fatalf("SARIF log has %d runs, want 1", len(l.Runs))
	}
	return &l
}

// checkGitHub checks what GitHub code scanning requires beyond the schema
// (docs.github.com: "SARIF support for code scanning"), so that an upload is
// neither rejected nor shown wrong.
func checkGitHub(t *testing.T, data []byte) *sarifLog {
	t.Helper()
	l := parseSARIF(t, data)
	run := l.Runs[0]
	d := run.Tool.Driver
	if l.Version != "2.1.0" || l.Schema == "" {
		t.Errorf("version %q, $schema %q", l.Version, l.Schema)
	}
	if d.Name != "dockguard" || d.InformationURI == "" {
		t.Errorf("driver name %q, informationUri %q", d.Name, d.InformationURI)
	}
	if len(d.Rules) == 0 || len(d.Rules) > 25000 {
		t.Errorf("%d rules", len(d.Rules))
	}
	ids := map[string]int{}
	for i, r := range d.Rules {
		where := "rule " + r.ID
		if r.ID == "" {
			t.Errorf("rule %d has no id", i)
		}
		if _, dup := ids[r.ID]; dup {
			t.Errorf("%s: duplicate id", where)
		}
		ids[r.ID] = i
		if r.Name == "" || len(r.Name) > 255 || strings.ContainsAny(r.Name, " -") {
			t.Errorf("%s: name %q: want a PascalCase name of at most 255 characters", where, r.Name)
		}
		for what, s := range map[string]string{"shortDescription": r.ShortDescription.Text, "fullDescription": r.FullDescription.Text} {
			if s == "" || len(s) > 1024 {
				t.Errorf("%s: %s has %d characters, want 1 to 1024", where, what, len(s))
			}
		}
		if r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("%s: help text or markdown missing", where)
		}
		switch r.DefaultConfiguration.Level {
		case "note", "warning", "error":
		default:
			t.Errorf("%s: defaultConfiguration.level %q", where, r.DefaultConfiguration.Level)
		}
		score, err := strconv.ParseFloat(r.Properties.SecuritySeverity, 64)
		if err != nil || score <= 0 || score > 10 {
			t.Errorf("%s: security-severity %q is not a number in (0, 10]", where, r.Properties.SecuritySeverity)
		}
		switch r.Properties.Precision {
		case "very-high", "high", "medium", "low":
		default:
			t.Errorf("%s: precision %q", where, r.Properties.Precision)
		}
		// GitHub keeps 10 tags and rejects more than 20; "security" makes
		// security-severity count.
		if len(r.Properties.Tags) == 0 || len(r.Properties.Tags) > 10 || r.Properties.Tags[0] != "security" {
			t.Errorf("%s: tags %q: want \"security\" first and at most 10", where, r.Properties.Tags)
		}
	}
	if len(run.Results) > 25000 {
		t.Errorf("%d results, GitHub rejects more than 25000", len(run.Results))
	}
	for i, r := range run.Results {
		where := "result " + strconv.Itoa(i) + " (" + r.RuleID + ")"
		ri, ok := ids[r.RuleID]
		if !ok {
			t.Errorf("%s: ruleId matches no rule descriptor", where)
		} else if r.RuleIndex != ri {
			t.Errorf("%s: ruleIndex %d, but the descriptor is at %d", where, r.RuleIndex, ri)
		}
		switch r.Level {
		case "note", "warning", "error":
		default:
			t.Errorf("%s: level %q", where, r.Level)
		}
		if strings.TrimSpace(r.Message.Text) == "" {
			t.Errorf("%s: no message text", where)
		}
		if len(r.Locations) == 0 {
			t.Errorf("%s: no location", where)
		} else {
			checkGitHubLocation(t, where, r.Locations[0], true)
		}
		if r.PartialFingerprints[report.SARIFFingerprintKey] == "" || r.PartialFingerprints["primaryLocationLineHash"] == "" {
			t.Errorf("%s: partialFingerprints %v", where, r.PartialFingerprints)
		}
	}
	if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful == nil {
		t.Fatalf("want one invocation with executionSuccessful")
	}
	for i, n := range run.Invocations[0].Notifications {
		for _, loc := range n.Locations {
			checkGitHubLocation(t, "notification "+strconv.Itoa(i), loc, false)
		}
	}
	return l
}

// checkGitHubLocation checks a location: a physical location with a URI;
// an absolute URI must be a file URI, or GitHub rejects the whole upload
// ("SARIF URI scheme … did not match the checkout URI scheme file"); lines
// and columns count from 1.
func checkGitHubLocation(t *testing.T, where string, loc sarifLocationView, required bool) {
	t.Helper()
	pl := loc.PhysicalLocation
	if pl == nil || pl.ArtifactLocation == nil || pl.ArtifactLocation.URI == "" {
		if required {
			t.Errorf("%s: no physicalLocation.artifactLocation.uri", where)
		}
		return
	}
	u, err := url.Parse(pl.ArtifactLocation.URI)
	switch {
	case err != nil:
		t.Errorf("%s: uri %q: %v", where, pl.ArtifactLocation.URI, err)
	case u.IsAbs() && u.Scheme != "file":
		t.Errorf("%s: uri %q: GitHub rejects absolute URIs that are not file URIs", where, pl.ArtifactLocation.URI)
	case u.IsAbs() && pl.ArtifactLocation.URIBaseID != "":
		t.Errorf("%s: absolute uri %q with a uriBaseId", where, pl.ArtifactLocation.URI)
	case strings.Contains(pl.ArtifactLocation.URI, `\`):
		t.Errorf("%s: uri %q has a backslash", where, pl.ArtifactLocation.URI)
	}
	if r := pl.Region; r != nil {
		if r.StartLine == nil || *r.StartLine < 1 {
			t.Errorf("%s: region without a startLine ≥ 1", where)
		}
		if r.StartColumn != nil && *r.StartColumn < 1 {
			t.Errorf("%s: startColumn %d", where, *r.StartColumn)
		}
		if r.EndLine != nil && r.StartLine != nil && *r.EndLine < *r.StartLine {
			t.Errorf("%s: endLine before startLine", where)
		}
	}
}

func sarifRuleOf(t *testing.T, name string) *rules.Rule {
	t.Helper()
	rs := rules.Lookup(name)
	if len(rs) == 0 {
		t.Fatalf("no rule %q", name)
	}
	return rs[0]
}

// sarifEveryVariant is a document with a finding at every kind of
// location, of every severity, below its rule's severity too, with errors
// and notes with and without a place.
func sarifEveryVariant(t *testing.T) *report.Document {
	t.Helper()
	root, secret, expose, latest, health, priv := sarifRuleOf(t, "root-user"), sarifRuleOf(t, "secret-in-env"),
		sarifRuleOf(t, "expose-ssh"), sarifRuleOf(t, "image-latest"), sarifRuleOf(t, "no-healthcheck"), sarifRuleOf(t, "privileged")
	stage := facts.Subject{Kind: facts.SubjectStage, Name: "build"}
	return report.Build(&audit.Result{
		Inputs: 4,
		Findings: []rules.Finding{
			{Rule: secret, Severity: rules.High, Subject: stage, Message: "ENV TOKEN holds a GitHub token (ghp_…(40 chars))",
				At: facts.Location{Path: "app/Dockerfile", Line: 7, Column: 5, EndLine: 9}},
			{Rule: priv, Severity: rules.Critical, Subject: facts.Subject{Kind: facts.SubjectService, Name: "web"},
				At: facts.Location{Path: "compose.yaml", Line: 12, Column: 5}, Message: "runs privileged"},
			{Rule: root, Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectService, Name: "web"},
				At: facts.FileAt("compose.yaml", 12), Message: "user: root"},
			{Rule: health, Severity: rules.Info, Subject: stage, At: facts.Location{Path: "Dockerfile"}, Message: "the image declares no HEALTHCHECK"},
			{Rule: expose, Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectContainer, Name: "docker run #2"},
				At: facts.Location{Path: facts.RunPath, Index: 2, Column: 11}, Message: "-p 22:22 publishes SSH"},
			{Rule: root, Severity: rules.Low, Subject: facts.Subject{Kind: facts.SubjectContainer, Name: "web-1"},
				At: facts.Location{Engine: "docker", Object: "container web-1", Field: "Config.User"}, Message: "runs as root"},
			{Rule: root, Severity: rules.Low, Subject: facts.Subject{Kind: facts.SubjectHost, Name: "localhost"},
				At: facts.Location{Engine: "docker", Object: "daemon"}, Message: "the daemon runs as root"},
			{Rule: latest, Severity: rules.Low, Subject: facts.Subject{Kind: facts.SubjectImage, Name: "alpine:latest"},
				At: facts.Location{Image: "alpine:latest", Layer: "sha256:0123abcd", File: "/usr/bin/sudo"}, Message: "tag latest"},
			{Rule: latest, Severity: rules.Info, Subject: facts.Subject{Kind: facts.SubjectImage, Name: "ghcr.io/acme/app@sha256:0123"},
				At: facts.Location{Image: "ghcr.io/acme/app@sha256:0123"}, Message: "tag latest"},
			{Rule: root, Severity: rules.Medium, Subject: stage, At: facts.Location{Path: "odd dir/a:b/Dockerfile", Line: 3}, Message: "USER root"},
		},
		Errors: []*inputs.Error{
			{Path: "bad/Dockerfile", Line: 3, Message: "cannot parse Dockerfile: unknown instruction: FROBNICATE"},
			{Path: "bin/Dockerfile", Message: "binary file, not text"},
			{Path: "--run #3", Message: "docker run: unknown flag: --bogus"},
			{Path: "", Message: "empty path given as input"},
		},
		Notes: []audit.Note{
			{Path: "app/Dockerfile", Line: 4, Message: "USER $APP_USER depends on a build argument with no value"},
			{Path: facts.RunPath, Index: 2, Message: "--memory \"$MEM\" depends on a variable"},
		},
	})
}

func TestSARIFSchemaIsDraft04(t *testing.T) {
	if v := sarifSchema(t).DraftVersion; v != 4 {
		t.Fatalf("SARIF schema compiled as draft %d, want 4", v)
	}
	data, err := os.ReadFile(sarifSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) || len(data) != 112768 {
		t.Errorf("%s: %d bytes, valid JSON %v; want the 112768-byte official file", sarifSchemaPath, len(data), json.Valid(data))
	}
}

func TestSARIFEveryVariantIsValid(t *testing.T) {
	data := renderSARIF(t, sarifEveryVariant(t), report.SARIFOptions{BaseDir: ".", Version: "1.2.3"})
	if err := sarifValidate(t, data); err != nil {
		t.Fatalf("SARIF does not match the 2.1.0 schema: %v\n%s", err, data)
	}
	l := checkGitHub(t, data)
	run := l.Runs[0]
	if got := run.Tool.Driver; got.Version != "1.2.3" || got.SemanticVersion != "1.2.3" {
		t.Errorf("driver version %q semanticVersion %q", got.Version, got.SemanticVersion)
	}
	if len(run.Tool.Driver.Rules) != len(rules.All()) {
		t.Errorf("%d rule descriptors, want one per rule: %d", len(run.Tool.Driver.Rules), len(rules.All()))
	}
	if len(run.Results) != 10 {
		t.Fatalf("%d results, want 10", len(run.Results))
	}
	type want struct {
		uri, base string
		line, col int
		level     string
	}
	wants := []want{
		{"app/Dockerfile", "%SRCROOT%", 7, 5, "error"},
		{"compose.yaml", "%SRCROOT%", 12, 5, "error"},
		{"compose.yaml", "%SRCROOT%", 12, 0, "warning"},
		{"Dockerfile", "%SRCROOT%", 0, 0, "note"},
		{"cmdline/run/2", "", 0, 0, "warning"},
		{"docker/docker/containers/web-1", "", 0, 0, "note"},
		{"docker/docker/daemon", "", 0, 0, "note"},
		{"image/alpine:latest/usr/bin/sudo", "", 0, 0, "note"},
		{"image/ghcr.io/acme/app@sha256:0123", "", 0, 0, "note"},
		{"odd%20dir/a%3Ab/Dockerfile", "%SRCROOT%", 3, 0, "warning"},
	}
	for i, w := range wants {
		r := run.Results[i]
		pl := r.Locations[0].PhysicalLocation
		al := pl.ArtifactLocation
		if al.URI != w.uri || al.URIBaseID != w.base {
			t.Errorf("result %d: uri %q base %q, want %q %q", i, al.URI, al.URIBaseID, w.uri, w.base)
		}
		line, col := 0, 0
		if pl.Region != nil {
			if pl.Region.StartLine != nil {
				line = *pl.Region.StartLine
			}
			if pl.Region.StartColumn != nil {
				col = *pl.Region.StartColumn
			}
		}
		if line != w.line || col != w.col {
			t.Errorf("result %d: region %d:%d, want %d:%d", i, line, col, w.line, w.col)
		}
		if r.Level != w.level {
			t.Errorf("result %d: level %q, want %q", i, r.Level, w.level)
		}
	}
	if end := run.Results[0].Locations[0].PhysicalLocation.Region.EndLine; end == nil || *end != 9 {
		t.Errorf("endLine %v, want 9", end)
	}
	// A finding below its rule's severity: the rule says error, the
	// result says note.
	engine := run.Results[5]
	if rd := run.Tool.Driver.Rules[engine.RuleIndex]; rd.DefaultConfiguration.Level != "warning" || engine.Level != "note" {
		t.Errorf("rule level %q, result level %q; want warning and note", rd.DefaultConfiguration.Level, engine.Level)
	}
	p := engine.Properties
	if p.Severity != "low" || p.Control != "non-root-user" || p.Threat != "container-breakout" ||
		p.Subject["kind"] != "container" || p.Subject["name"] != "web-1" || p.Location != "docker: container web-1 Config.User" {
		t.Errorf("result properties = %+v", p)
	}
	if got := run.Results[4].Properties.Location; got != "--run #2:11" {
		t.Errorf("--run result properties.location = %q", got)
	}
	// The message is the finding's, then the fix.
	if m := run.Results[1].Message.Text; !strings.HasPrefix(m, "runs privileged. Fix: ") || !strings.HasSuffix(m, ".") {
		t.Errorf("message %q", m)
	}

	inv := run.Invocations[0]
	if *inv.ExecutionSuccessful {
		t.Error("executionSuccessful is true with input errors")
	}
	type wantN struct {
		level, uri string
		line       int
	}
	wantNs := []wantN{
		{"error", "bad/Dockerfile", 3}, {"error", "bin/Dockerfile", 0}, {"error", "cmdline/run/3", 0}, {"error", "", 0},
		{"note", "app/Dockerfile", 4}, {"note", "cmdline/run/2", 0},
	}
	if len(inv.Notifications) != len(wantNs) {
		t.Fatalf("%d notifications, want %d", len(inv.Notifications), len(wantNs))
	}
	for i, w := range wantNs {
		n := inv.Notifications[i]
		uri, line := "", 0
		if len(n.Locations) > 0 {
			pl := n.Locations[0].PhysicalLocation
			uri = pl.ArtifactLocation.URI
			if pl.Region != nil {
				line = *pl.Region.StartLine
			}
		}
		if n.Level != w.level || uri != w.uri || line != w.line || n.Message.Text == "" {
			t.Errorf("notification %d: %s %q line %d %q, want %s %q line %d", i, n.Level, uri, line, n.Message.Text, w.level, w.uri, w.line)
		}
	}
}

func TestSARIFEmptyIsValid(t *testing.T) {
	data := renderSARIF(t, report.Build(&audit.Result{}), report.SARIFOptions{Version: "dev"})
	if err := sarifValidate(t, data); err != nil {
		t.Fatalf("empty SARIF log does not match the schema: %v\n%s", err, data)
	}
	l := checkGitHub(t, data)
	run := l.Runs[0]
	if run.Results == nil || len(run.Results) != 0 {
		t.Errorf("results = %v, want an empty array (an actual scan)", run.Results)
	}
	if !*run.Invocations[0].ExecutionSuccessful {
		t.Error("executionSuccessful is false without errors")
	}
	if run.Tool.Driver.SemanticVersion != "" || run.Tool.Driver.Version != "dev" {
		t.Errorf("version %q, semanticVersion %q: a version that is not semver must not be a semanticVersion",
			run.Tool.Driver.Version, run.Tool.Driver.SemanticVersion)
	}
	if !bytes.Contains(data, []byte(`"results": []`)) {
		t.Errorf("no empty results array:\n%s", data)
	}
}

// The validation can fail: logs broken in the ways a writer could break
// them are rejected by the schema.
func TestSARIFSchemaRejects(t *testing.T) {
	valid := renderSARIF(t, sarifEveryVariant(t), report.SARIFOptions{BaseDir: ".", Version: "test"})
	if err := sarifValidate(t, valid); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(l map[string]any){
		"result level": func(l map[string]any) {
			sarifAt(l, "runs", 0, "results", 0).(map[string]any)["level"] = "critical"
		},
		"rule default level": func(l map[string]any) {
			sarifAt(l, "runs", 0, "tool", "driver", "rules", 0, "defaultConfiguration").(map[string]any)["level"] = "fatal"
		},
		"notification level": func(l map[string]any) {
			sarifAt(l, "runs", 0, "invocations", 0, "toolExecutionNotifications", 0).(map[string]any)["level"] = "info"
		},
		"result without message": func(l map[string]any) {
			delete(sarifAt(l, "runs", 0, "results", 0).(map[string]any), "message")
		},
		"version": func(l map[string]any) { l["version"] = "2.0.0" },
		"start line 0": func(l map[string]any) {
			sarifAt(l, "runs", 0, "results", 0, "locations", 0, "physicalLocation", "region").(map[string]any)["startLine"] = 0
		},
		"uri with a backslash": func(l map[string]any) {
			sarifAt(l, "runs", 0, "results", 0, "locations", 0, "physicalLocation", "artifactLocation").(map[string]any)["uri"] = `app\Dockerfile`
		},
		"unknown property": func(l map[string]any) {
			sarifAt(l, "runs", 0, "results", 0).(map[string]any)["severity"] = "high"
		},
		"duplicate tags": func(l map[string]any) {
			sarifAt(l, "runs", 0, "tool", "driver", "rules", 0, "properties").(map[string]any)["tags"] = []any{"security", "security"}
		},
		"no driver name": func(l map[string]any) {
			delete(sarifAt(l, "runs", 0, "tool", "driver").(map[string]any), "name")
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			var l map[string]any
			if err := json.Unmarshal(valid, &l); err != nil {
				t.Fatal(err)
			}
			mutate(l)
			data, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			if err := sarifValidate(t, data); err == nil {
				t.Errorf("the schema accepts a log with a bad %s", name)
			}
		})
	}
}

// sarifAt walks decoded JSON by keys and indexes.
func sarifAt(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestSARIFEveryRule(t *testing.T) {
	var fs []rules.Finding
	for i, r := range rules.All() {
		fs = append(fs, rules.Finding{Rule: r, Severity: r.Severity, Subject: facts.Subject{Kind: facts.SubjectStage, Name: "s"},
			Message: "finding of " + r.Slug, At: facts.Location{Path: "Dockerfile", Line: i + 1, Column: 1}})
	}
	data := renderSARIF(t, report.Build(&audit.Result{Inputs: 1, Findings: fs}), report.SARIFOptions{BaseDir: "."})
	if err := sarifValidate(t, data); err != nil {
		t.Fatalf("SARIF does not match the schema: %v", err)
	}
	l := checkGitHub(t, data)
	byID := map[string]sarifRuleView{}
	for _, rd := range l.Runs[0].Tool.Driver.Rules {
		byID[rd.ID] = rd
	}
	scores := map[rules.Severity]string{rules.Critical: "9.5", rules.High: "8.0", rules.Medium: "5.5", rules.Low: "3.0", rules.Info: "1.0"}
	levels := map[rules.Severity]string{rules.Critical: "error", rules.High: "error", rules.Medium: "warning", rules.Low: "note", rules.Info: "note"}
	for _, r := range rules.All() {
		rd, ok := byID[r.ID]
		if !ok {
			t.Errorf("no descriptor for %s", r.ID)
			continue
		}
		if rd.Properties.SecuritySeverity != scores[r.Severity] || rd.DefaultConfiguration.Level != levels[r.Severity] {
			t.Errorf("%s (%s): security-severity %q level %q", r.ID, r.Severity, rd.Properties.SecuritySeverity, rd.DefaultConfiguration.Level)
		}
		// The catalogue fits GitHub's limits without being cut.
		if rd.ShortDescription.Text != r.Title || rd.FullDescription.Text != r.Rationale {
			t.Errorf("%s: descriptions were cut or changed", r.ID)
		}
		if !strings.Contains(rd.Help.Text, r.Rationale) || !strings.Contains(rd.Help.Text, r.Remediation) ||
			!strings.Contains(rd.Help.Markdown, r.Remediation) {
			t.Errorf("%s: help lacks the rationale or the fix", r.ID)
		}
		for _, ref := range r.References {
			if !strings.Contains(rd.Help.Markdown, ref) {
				t.Errorf("%s: help markdown lacks reference %q", r.ID, ref)
			}
			if strings.HasPrefix(ref, "CIS Docker Benchmark ") && !sarifHasTag(rd.Properties.Tags, "CIS-"+strings.TrimPrefix(ref, "CIS Docker Benchmark ")) {
				t.Errorf("%s: tags %q lack %q", r.ID, rd.Properties.Tags, ref)
			}
		}
		if !sarifHasTag(rd.Properties.Tags, string(r.Threat)) || !sarifHasTag(rd.Properties.Tags, string(r.Control)) {
			t.Errorf("%s: tags %q lack the threat or the control", r.ID, rd.Properties.Tags)
		}
	}
}

func sarifHasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Files are written relative to the base directory whatever the working
// directory; files outside it keep an absolute file URI.
func TestSARIFPaths(t *testing.T) {
	base := t.TempDir()
	outside := t.TempDir()
	stage := facts.Subject{Kind: facts.SubjectStage, Name: "s"}
	root := sarifRuleOf(t, "root-user")
	d := report.Build(&audit.Result{Findings: []rules.Finding{
		{Rule: root, Severity: rules.Medium, Subject: stage, Message: "USER root", At: facts.FileAt(filepath.Join(base, "sub", "Dockerfile"), 2)},
		{Rule: root, Severity: rules.Medium, Subject: stage, Message: "USER root", At: facts.FileAt(filepath.Join(outside, "Dockerfile"), 2)},
		{Rule: root, Severity: rules.Medium, Subject: stage, Message: "USER root", At: facts.FileAt(filepath.Join(base, "Dockerfile"), 2)},
	}})
	data := renderSARIF(t, d, report.SARIFOptions{BaseDir: base})
	if err := sarifValidate(t, data); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	run := checkGitHub(t, data).Runs[0]
	got := func(i int) (string, string) {
		al := run.Results[i].Locations[0].PhysicalLocation.ArtifactLocation
		return al.URI, al.URIBaseID
	}
	if uri, b := got(0); uri != "sub/Dockerfile" || b != "%SRCROOT%" {
		t.Errorf("inside the base: %q %q", uri, b)
	}
	wantOutside := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(outside, "Dockerfile"))}).String()
	if uri, b := got(1); uri != wantOutside || b != "" {
		t.Errorf("outside the base: %q %q, want %q and no uriBaseId", uri, b, wantOutside)
	}
	if uri, _ := got(2); uri != "Dockerfile" {
		t.Errorf("at the base: %q", uri)
	}

	// "" is the working directory: a relative path stays as it is.
	rel := report.Build(&audit.Result{Findings: []rules.Finding{
		{Rule: root, Severity: rules.Medium, Subject: stage, Message: "USER root", At: facts.FileAt("./sub/../Dockerfile", 2)},
	}})
	run = checkGitHub(t, renderSARIF(t, rel, report.SARIFOptions{})).Runs[0]
	if uri := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "Dockerfile" {
		t.Errorf("relative path with BaseDir \"\": %q", uri)
	}

	// Fingerprints do not depend on how a path was given: relative or
	// absolute, with the unnamed stage named after it.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	given := func(path string) string {
		d := report.Build(&audit.Result{Findings: []rules.Finding{
			{Rule: root, Severity: rules.Medium, Subject: facts.Subject{Kind: facts.SubjectStage, Name: path + " (stage 1)"},
				Message: "USER root", At: facts.FileAt(path, 2)},
		}})
		return checkGitHub(t, renderSARIF(t, d, report.SARIFOptions{BaseDir: wd})).Runs[0].Results[0].PartialFingerprints[report.SARIFFingerprintKey]
	}
	if a, b := given(filepath.Join("sub", "Dockerfile")), given(filepath.Join(wd, "sub", "Dockerfile")); a != b {
		t.Errorf("fingerprint of sub/Dockerfile %s, of the same file named absolutely %s", a, b)
	}
}

// What go-sarif writes for every object, set or not, is left out: empty
// arrays and -1 "not set" defaults (a region's charOffset -1 beside its
// startLine).
func TestSARIFCompact(t *testing.T) {
	data := renderSARIF(t, sarifEveryVariant(t), report.SARIFOptions{BaseDir: "."})
	for _, s := range []string{`: -1`, `: []`, `"charOffset"`, `"byteOffset"`, `"properties": {}`} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("SARIF log holds %s", s)
		}
	}
	if bytes.Contains(data, []byte(`\u`)) {
		t.Error("SARIF log escapes characters it need not escape")
	}
}

// Partial fingerprints are distinct per finding, and the same finding keeps
// them when lines are inserted above it, whether it is found by a real
// audit or given.
func TestSARIFFingerprints(t *testing.T) {
	const dockerfile = "FROM alpine:3.20\n" +
		"RUN apk add --no-cache curl sudo\n" +
		"RUN curl -fsSL https://example.com/install.sh | sh\n" +
		"EXPOSE 22\n" +
		"USER root\n"
	dir := t.TempDir()
	audited := func(t *testing.T, content string) (*report.Document, []sarifResultView) {
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		d := report.Build(audit.Run(context.Background(), audit.Options{Paths: []string{dir}}))
		if len(d.Findings) < 4 {
			t.Fatalf("only %d findings", len(d.Findings))
		}
		return d, checkGitHub(t, renderSARIF(t, d, report.SARIFOptions{BaseDir: dir})).Runs[0].Results
	}
	_, before := audited(t, dockerfile)
	_, after := audited(t, "# one\n# two\n# three\n# four\n# five\n"+dockerfile)
	if len(before) != len(after) {
		t.Fatalf("%d results before, %d after", len(before), len(after))
	}
	seen := map[string]bool{}
	seenHash := map[string]bool{}
	for i := range before {
		b, a := before[i], after[i]
		if b.RuleID != a.RuleID {
			t.Fatalf("result %d: rule %s before, %s after", i, b.RuleID, a.RuleID)
		}
		bl := b.Locations[0].PhysicalLocation.Region
		al := a.Locations[0].PhysicalLocation.Region
		if bl == nil || al == nil || *al.StartLine != *bl.StartLine+5 {
			t.Errorf("result %d (%s): the finding did not move down 5 lines", i, b.RuleID)
		}
		for _, k := range []string{report.SARIFFingerprintKey, "primaryLocationLineHash"} {
			if b.PartialFingerprints[k] != a.PartialFingerprints[k] {
				t.Errorf("result %d (%s): %s changed from %q to %q when the finding moved", i, b.RuleID, k, b.PartialFingerprints[k], a.PartialFingerprints[k])
			}
		}
		fp := b.PartialFingerprints[report.SARIFFingerprintKey]
		if seen[fp] {
			t.Errorf("result %d (%s): fingerprint %s is not distinct", i, b.RuleID, fp)
		}
		seen[fp] = true
		h := b.PartialFingerprints["primaryLocationLineHash"]
		if seenHash[h] {
			t.Errorf("result %d (%s): primaryLocationLineHash %s is not distinct", i, b.RuleID, h)
		}
		seenHash[h] = true
	}

	// The same finding twice (the same line twice in a file) gets two
	// fingerprints; both are the baseline's, and both survive the move.
	root := sarifRuleOf(t, "root-user")
	stage := facts.Subject{Kind: facts.SubjectStage, Name: "s"}
	twice := func(line int) *report.Document {
		return report.Build(&audit.Result{Findings: []rules.Finding{
			{Rule: root, Severity: rules.Medium, Subject: stage, Message: "USER root", At: facts.FileAt("Dockerfile", line)},
			{Rule: root, Severity: rules.Medium, Subject: stage, Message: "USER root", At: facts.FileAt("Dockerfile", line+3)},
		}})
	}
	d1, d2 := twice(4), twice(9)
	r1 := checkGitHub(t, renderSARIF(t, d1, report.SARIFOptions{BaseDir: "."})).Runs[0].Results
	r2 := checkGitHub(t, renderSARIF(t, d2, report.SARIFOptions{BaseDir: "."})).Runs[0].Results
	want := report.Fingerprints(d1.Findings)
	for i := range r1 {
		if r1[i].PartialFingerprints[report.SARIFFingerprintKey] != want[i] {
			t.Errorf("finding %d: SARIF fingerprint %q, baseline fingerprint %q", i, r1[i].PartialFingerprints[report.SARIFFingerprintKey], want[i])
		}
		if r1[i].PartialFingerprints[report.SARIFFingerprintKey] != r2[i].PartialFingerprints[report.SARIFFingerprintKey] ||
			r1[i].PartialFingerprints["primaryLocationLineHash"] != r2[i].PartialFingerprints["primaryLocationLineHash"] {
			t.Errorf("finding %d: fingerprints changed when moved", i)
		}
	}
	if r1[0].PartialFingerprints["primaryLocationLineHash"] == r1[1].PartialFingerprints["primaryLocationLineHash"] {
		t.Error("two equal findings share a primaryLocationLineHash")
	}
}

// A secret found in a Dockerfile reaches the SARIF log only redacted.
func TestSARIFSecretNeverWhole(t *testing.T) {
	// A made-up token: ghp_ and 36 letters and digits, not a real one.
	const body = "Kd7pW2xQ9mZ4tR8vB1nC6yH3jF5sL0gA7eXu"
	dir := t.TempDir()
	content := "FROM alpine:3.20\n" +
		"ENV GITHUB_TOKEN=ghp_" + body + "\n" +
		"ARG GH_TOKEN=ghp_" + body + "\n" +
		"RUN curl -H \"Authorization: token ghp_" + body + "\" https://api.github.com/user\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	d := report.Build(audit.Run(context.Background(), audit.Options{Paths: []string{dir}}))
	data := renderSARIF(t, d, report.SARIFOptions{BaseDir: dir})
	l := checkGitHub(t, data)
	redacted := false
	for _, r := range l.Runs[0].Results {
		if r.RuleID == sarifRuleOf(t, "secret-in-env").ID && strings.Contains(r.Message.Text, "ghp_…") {
			redacted = true
		}
	}
	if !redacted {
		t.Errorf("no secret-in-env result with the redacted token:\n%s", data)
	}
	for i := 0; i+12 <= len(body); i++ {
		if part := body[i : i+12]; bytes.Contains(data, []byte(part)) {
			t.Fatalf("SARIF log contains %q of the secret", part)
		}
	}
}
