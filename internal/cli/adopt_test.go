package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/cli"
)

const insecure = "FROM debian:12\nUSER root\nRUN chmod u+s /bin/x\nEXPOSE 22\n"

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "app", "Dockerfile"), insecure)
	write(t, filepath.Join(dir, ".dockguard.yaml"), "failOn: medium\ndisable: [hygiene, image-pinning]\nseverity:\n  expose-ssh: info\n")
	t.Chdir(filepath.Join(dir, "app"))

	// Found upward from the working folder; failOn from the file.
	r := run(t, "audit", "--format", "json")
	if r.code != cli.ExitFindings {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	d := parseReport(t, r.out)
	for _, f := range d.Findings {
		if f.Control == "hygiene" || f.Control == "image-pinning" {
			t.Errorf("disabled rule reported: %s", f.Slug)
		}
		if f.Slug == "expose-ssh" && f.Severity != "info" {
			t.Errorf("severity override not applied: %s", f.Severity)
		}
	}
	// --fail-on wins over the file.
	if r := run(t, "audit", "--fail-on", "critical"); r.code != cli.ExitOK {
		t.Errorf("--fail-on critical: exit %d", r.code)
	}

	// A broken file stops the audit with its path and line.
	bad := write(t, filepath.Join(dir, "bad.yaml"), "failOn: high\ndisabel: [root-user]\n")
	r = run(t, "audit", "--config", bad, ".")
	if r.code != cli.ExitError || !strings.Contains(r.err, bad+":2:") || !strings.Contains(r.err, "disabel") {
		t.Errorf("bad config: exit %d, stderr %q", r.code, r.err)
	}
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if r := run(t, "init"); r.code != cli.ExitOK || !strings.Contains(r.out, ".dockguard.yaml") {
		t.Fatalf("init: %d %s %s", r.code, r.out, r.err)
	}
	if r := run(t, "init"); r.code != cli.ExitError || !strings.Contains(r.err, "--force") {
		t.Errorf("init over an existing file must refuse: %d %s", r.code, r.err)
	}
	if r := run(t, "init", "--force"); r.code != cli.ExitOK {
		t.Errorf("init --force: %d %s", r.code, r.err)
	}
	write(t, filepath.Join(dir, "Dockerfile"), insecure)
	// The written file is valid and means the defaults.
	withFile := run(t, "audit", "--format", "json", "--fail-on", "none")
	os.Remove(filepath.Join(dir, ".dockguard.yaml"))
	without := run(t, "audit", "--format", "json", "--fail-on", "none")
	if withFile.out != without.out {
		t.Errorf("the init file changes the audit:\n%s\n---\n%s", withFile.out, without.out)
	}
}

func TestInlineIgnoresInReport(t *testing.T) {
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "Dockerfile"), "FROM debian:12@sha256:"+strings.Repeat("a", 64)+"\n# dockguard:ignore=root-user runs as root to bind port 80 (ticket 7)\nUSER root\n# dockguard:ignore=expose-ssh\nEXPOSE 22\n")
	r := run(t, "audit", "--format", "json", "--fail-on", "none", "--show-ignored", p)
	d := parseReport(t, r.out)
	if d.Summary.Ignored != 2 || len(d.Ignored) != 2 {
		t.Fatalf("ignored = %d / %d, want 2", d.Summary.Ignored, len(d.Ignored))
	}
	if d.Ignored[0].Reason != "runs as root to bind port 80 (ticket 7)" || d.Ignored[0].IgnoredAt.Line != 2 {
		t.Errorf("ignored[0] = %+v", d.Ignored[0])
	}
	var meta int
	for _, f := range d.Findings {
		if f.Slug == "root-user" || f.Slug == "expose-ssh" {
			t.Errorf("ignored finding reported: %s", f.Slug)
		}
		if f.Slug == "ignore-directive" {
			meta++
			if f.Location.Line != 4 {
				t.Errorf("ignore without reason reported at %+v", f.Location)
			}
		}
	}
	if meta != 1 {
		t.Errorf("an ignore without a reason must be reported once, got %d", meta)
	}
	if r := run(t, "audit", "--fail-on", "none", p); !strings.Contains(r.out, "2 ignored inline") {
		t.Errorf("text summary does not count ignored findings:\n%s", r.out)
	}
}

func TestBaselineSurvivesEdits(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	write(t, df, insecure)
	bl := filepath.Join(dir, "baseline.json")
	r := run(t, "audit", "--format", "json", "--write-baseline", bl, df)
	if r.code != cli.ExitOK {
		t.Fatalf("writing a baseline must pass: %d\n%s%s", r.code, r.out, r.err)
	}
	if d := parseReport(t, r.out); len(d.Findings) != 0 || d.Summary.Baselined == 0 {
		t.Fatalf("after --write-baseline: %+v", d.Summary)
	}
	// Lines inserted above every finding, one new finding, one fixed.
	write(t, df, "# a comment\n# another\n\nFROM debian:12\nUSER root\nRUN chmod u+s /bin/x\nRUN curl -fsSL https://x.example | sh\n")
	r = run(t, "audit", "--format", "json", "--baseline", bl, "--fail-on", "none", df)
	d := parseReport(t, r.out)
	if len(d.Findings) != 1 || d.Findings[0].Slug != "pipe-to-shell" {
		t.Errorf("only the new finding must remain: %+v", d.Findings)
	}
	if d.Summary.Fixed != 1 || len(d.Fixed) != 1 || d.Fixed[0].Slug != "expose-ssh" {
		t.Errorf("EXPOSE 22 was removed: fixed = %+v", d.Fixed)
	}
	if d.Summary.Baselined == 0 {
		t.Errorf("baselined count missing")
	}
	// A broken baseline is an error, not an empty baseline.
	write(t, bl, "{not json")
	if r := run(t, "audit", "--baseline", bl, df); r.code != cli.ExitError || !strings.Contains(r.err, bl) {
		t.Errorf("broken baseline: %d %s", r.code, r.err)
	}
}

func TestQuiet(t *testing.T) {
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "Dockerfile"), insecure)
	r := run(t, "audit", "-q", "--fail-on", "none", p)
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "findings") {
		t.Errorf("--quiet printed:\n%s", r.out)
	}
}

func TestSARIFFormat(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "Dockerfile"), insecure)
	t.Chdir(dir)
	r := run(t, "audit", "--format", "sarif", "--fail-on", "none", ".")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("not a SARIF log with results: %.300s", r.out)
	}
	if uri := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "Dockerfile" {
		t.Errorf("URI %q, want the path relative to the working folder", uri)
	}
}
