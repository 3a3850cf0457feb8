package cli_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/cli"
)

// TestComposeAndRunInputs: bad compose files and run lines are errors that
// name the input, and every other input is still audited.
func TestComposeAndRunInputs(t *testing.T) {
	dir := t.TempDir()
	good := write(t, filepath.Join(dir, "good", "compose.yaml"), "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n")
	invalid := write(t, filepath.Join(dir, "bad", "compose.yaml"), "services:\n  web:\n    image: nginx\n   ports: [80]\n")
	schema := write(t, filepath.Join(dir, "schema", "compose.yaml"), "services:\n  web:\n    image: nginx\n    privileged: maybe\n")
	var bomb strings.Builder
	bomb.WriteString("x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb.WriteString("x-" + n + ": &" + n + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				bomb.WriteString(",")
			}
			bomb.WriteString("*" + prev)
		}
		bomb.WriteString("]\n")
		prev = n
	}
	bomb.WriteString("services:\n  web:\n    image: nginx\n")
	bombPath := write(t, filepath.Join(dir, "bomb", "compose.yaml"), bomb.String())

	r := run(t, "audit", "--format", "json", "--fail-on", "none",
		filepath.Join(dir, "good"), invalid, schema, bombPath,
		"--run", "docker run --privileged -v /:/host alpine:3.20",
		"--run", "docker run 'unterminated",
		"--run", "docker run --bogus-flag alpine")
	if r.code != cli.ExitError {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, cli.ExitError, r.out, r.err)
	}
	d := parseReport(t, r.out)
	var errPaths []string
	for _, e := range d.Errors {
		errPaths = append(errPaths, e.Path)
		if e.Message == "" {
			t.Errorf("error without message: %+v", e)
		}
	}
	for _, want := range []string{invalid, schema, bombPath, "--run #2", "--run #3"} {
		if !slices.Contains(errPaths, want) {
			t.Errorf("no error for %s; errors: %+v", want, d.Errors)
		}
	}
	for _, e := range d.Errors {
		if e.Path == invalid && e.Line != 4 {
			t.Errorf("invalid YAML error at line %d, want 4: %+v", e.Line, e)
		}
		if e.Path == schema && e.Line != 4 {
			t.Errorf("schema error at line %d, want 4: %+v", e.Line, e)
		}
	}
	var privileged []string
	for _, f := range d.Findings {
		if f.Slug == "privileged" {
			privileged = append(privileged, f.Location.Path)
		}
	}
	slices.Sort(privileged)
	if !slices.Equal(privileged, []string{"--run", good}) {
		t.Errorf("privileged findings at %q, want the good compose file and --run #1", privileged)
	}
}

// TestComposeMerge: -f files merge into one project and the finding points
// at the file that set the value.
func TestComposeMerge(t *testing.T) {
	dir := t.TempDir()
	base := write(t, filepath.Join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx:1.27\n    read_only: true\n")
	prod := write(t, filepath.Join(dir, "compose.prod.yaml"), "services:\n  web:\n    privileged: true\n")
	r := run(t, "audit", "--format", "json", "--fail-on", "high", "-f", base, "-f", prod)
	if r.code != cli.ExitFindings {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, cli.ExitFindings, r.out, r.err)
	}
	d := parseReport(t, r.out)
	found := false
	for _, f := range d.Findings {
		if f.Slug == "privileged" {
			found = true
			if f.Location.Path != prod || f.Location.Line != 3 || f.Subject.Kind != "service" || f.Subject.Name != "web" {
				t.Errorf("privileged at %+v %+v, want %s:3 service web", f.Location, f.Subject, prod)
			}
		}
		if f.Slug == "read-only-rootfs" {
			t.Errorf("read_only: true from the base file was lost in the merge")
		}
	}
	if !found {
		t.Errorf("no privileged finding")
	}
}
