package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/report"
)

// Rewrite the golden files with:
//
//	go test ./internal/report -run TestGolden -update-golden
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden/report.* from the current output")

const (
	goldenDir   = "testdata/golden"
	goldenInput = "testdata/golden/input"
)

// goldenRunLines are the --run lines of the golden audit: one judged, one
// that does not parse.
var goldenRunLines = []string{
	"docker run -d --name agent -v /var/run/docker.sock:/var/run/docker.sock --cap-add SYS_ADMIN alpine:3.20",
	"docker run --bogus alpine:3.20",
}

// goldenDocument audits the golden tree (a Dockerfile, a compose file that
// builds it, a Dockerfile that does not parse) and the --run lines, with
// relative paths, as the CLI would.
func goldenDocument(t *testing.T) *report.Document {
	t.Helper()
	res := audit.Run(context.Background(), audit.Options{Paths: []string{goldenInput}, RunLines: goldenRunLines, Workers: 1})
	return report.Build(res)
}

// TestGolden compares every output format with the committed files, so
// any change to what users or tools read shows in review.
func TestGolden(t *testing.T) {
	d := goldenDocument(t)
	if len(d.Findings) == 0 || len(d.Errors) == 0 || len(d.Notes) == 0 {
		t.Fatalf("the golden audit should have findings, errors and notes: %d, %d, %d", len(d.Findings), len(d.Errors), len(d.Notes))
	}
	formats := []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return report.Text(b, d, report.TextOptions{Color: false}) }},
		{"report.json", func(b *bytes.Buffer) error { return report.JSON(b, d) }},
		{"report.sarif", func(b *bytes.Buffer) error {
			return report.SARIF(b, d, report.SARIFOptions{BaseDir: goldenInput, Version: "test"})
		}},
	}
	for _, f := range formats {
		t.Run(f.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.render(&buf); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join(goldenDir, f.file)
			if *updateGolden {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (write it with -update-golden)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the output; if the change is intended, run\n"+
					"\tgo test ./internal/report -run TestGolden -update-golden\n%s", path, firstDiff(string(want), string(got)))
			}
		})
	}
}

// The golden SARIF log is itself valid, against SARIF 2.1.0 and GitHub's
// rules, and no golden output holds the Dockerfile's token.
func TestGoldenValid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "report.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifValidate(t, data); err != nil {
		t.Errorf("report.sarif does not match the SARIF schema: %v", err)
	}
	checkGitHub(t, data)
	if bytes.Contains(data, []byte("Zq4xN8vR2mT7")) {
		t.Error("report.sarif holds the golden Dockerfile's token")
	}
	for _, name := range []string{"report.txt", "report.json"} {
		b, err := os.ReadFile(filepath.Join(goldenDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("Zq4xN8vR2mT7")) {
			t.Errorf("%s holds the golden Dockerfile's token", name)
		}
	}
}

// The golden audit is deterministic: run twice, it gives the same output.
func TestGoldenDeterministic(t *testing.T) {
	render := func() []byte {
		var b bytes.Buffer
		d := report.Build(audit.Run(context.Background(), audit.Options{Paths: []string{goldenInput}, RunLines: goldenRunLines}))
		if err := report.SARIF(&b, d, report.SARIFOptions{BaseDir: goldenInput, Version: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := report.JSON(&b, d); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	first := render()
	for i := 0; i < 3; i++ {
		if again := render(); !bytes.Equal(first, again) {
			t.Fatalf("run %d differs:\n%s", i+2, firstDiff(string(first), string(again)))
		}
	}
}

// firstDiff shows the first line where two texts differ, with context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(same lines; different line endings?)"
}
