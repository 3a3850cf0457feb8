package harden_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/harden"
)

// TestDockerfileFixtures hardens every Dockerfile fixture and example in a
// copy of its folder: it parses, a second pass changes nothing, and the
// re-audit has none of the findings harden says it fixed.
func TestDockerfileFixtures(t *testing.T) {
	ctx := context.Background()
	var files []string
	for _, root := range []string{"../rules/testdata/dockerfile", "../../examples"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && audit.MatchDockerfile(d.Name()) != "" {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Fatal("no Dockerfile fixtures")
	}
	hardened, skipped, fixes := 0, 0, 0
	for _, opt := range fixtureOptions(t) {
		for _, f := range files {
			dir := t.TempDir()
			copyDir(t, filepath.Dir(f), dir)
			path := filepath.Join(dir, filepath.Base(f))
			res, err := harden.Dockerfile(ctx, path, opt)
			if err != nil {
				if a := audit.Run(ctx, audit.Options{Paths: []string{path}, Config: opt.Config}); len(a.Errors) > 0 {
					skipped++
					continue
				}
				t.Errorf("%s: %v", f, err)
				continue
			}
			if strings.Contains(res.New, "HEALTHCHECK") != strings.Contains(res.Old, "HEALTHCHECK") {
				t.Errorf("%s: a HEALTHCHECK was invented", f)
			}
			if err := os.WriteFile(path, []byte(res.New), 0o644); err != nil {
				t.Fatal(err)
			}
			again, err := harden.Dockerfile(ctx, path, opt)
			if err != nil {
				t.Errorf("%s: the hardened file fails: %v\n%s", f, err, res.New)
				continue
			}
			if again.Changed() {
				t.Errorf("%s: not idempotent:\n%s\n---\n%s", f, res.New, again.New)
			}
			a := audit.Run(ctx, audit.Options{Paths: []string{path}, Config: opt.Config})
			stillFixed(t, f, res, facts.SubjectStage, a.Findings)
			for _, s := range res.Fixed {
				fixes += len(s)
			}
			hardened++
		}
	}
	t.Logf("%d Dockerfile hardenings, once per option set (%d fixes), idempotent and re-audited clean for the fixed controls; %d skipped as errors by design", hardened, fixes, skipped)
}

func TestDockerfileExample(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	src := "FROM debian:12\n# strip set-id bits\nRUN apt-get update && find / -perm +6000 -type f -exec chmod a-s {} + || true\nCMD [\"sleep\", \"1\"]\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := harden.Dockerfile(context.Background(), path, harden.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "FROM debian:12\n# strip set-id bits\nRUN apt-get update && find / -perm /6000 -type f -exec chmod a-s {} + || true\nCMD [\"sleep\", \"1\"]\n# dockguard: root-user (DG301)\nUSER 10001:10001\n"
	if res.New != want {
		t.Errorf("got\n%s\nwant\n%s", res.New, want)
	}
	scratch := "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"
	if err := os.WriteFile(path, []byte(scratch), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = harden.Dockerfile(context.Background(), path, harden.Options{NoComments: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := scratch + "USER 10001:10001\n"; res.New != want {
		t.Errorf("scratch: got\n%s\nwant\n%s", res.New, want)
	}
}
