package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/source/image/imagetest"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestAuditImage audits a docker save archive with --image, beside a
// Dockerfile, into one report.
func TestAuditImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	arch := imagetest.Archive(t, "example.com/app:1.0", v1.Config{User: "0"},
		imagetest.File{Name: "usr/bin/newgrp", Body: "\x7fELF", Mode: 0o4755},
		imagetest.File{Name: "root/.aws/credentials", Body: "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"})
	p := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(p, arch, 0o644); err != nil {
		t.Fatal(err)
	}
	df := write(t, filepath.Join(dir, "src", "Dockerfile"), "FROM alpine:3.20\nUSER app\n")
	r := run(t, "audit", "--format", "json", "--fail-on", "none", "--image", "docker-archive:"+p, df)
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	d := parseReport(t, r.out)
	want := map[string]bool{"suid-sgid": false, "secrets-image": false, "root-user": false}
	for _, f := range d.Findings {
		if f.Location.Image != "" {
			if _, ok := want[f.Slug]; ok {
				want[f.Slug] = true
			}
			if strings.Contains(f.Message, "wJalrXUtnFEMI") {
				t.Errorf("secret printed: %s", f.Message)
			}
		}
	}
	for slug, ok := range want {
		if !ok {
			t.Errorf("no %s finding from the image:\n%s", slug, r.out)
		}
	}
	if d.Summary.ByKind["image"] != 1 || d.Summary.ByKind["dockerfile"] != 1 {
		t.Errorf("by kind: %v", d.Summary.ByKind)
	}
	// A bad image is an input error (exit 2); the rest is still audited.
	r = run(t, "audit", "--fail-on", "none", "--image", "docker-archive:"+df, df)
	if r.code != 2 || !strings.Contains(r.out+r.err, "not a docker save archive") {
		t.Errorf("bad archive: exit %d\n%s%s", r.code, r.out, r.err)
	}
}
