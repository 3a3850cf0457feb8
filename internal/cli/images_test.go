package cli_test

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/source/image/imagetest"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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
	want := map[string]bool{"suid-sgid-file": false, "secret-file-in-image": false, "root-user": false}
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

// TestAuditImageRegistry audits an image in an in-process registry on
// loopback, over plain HTTP with --insecure-registry; the tag is reported
// with the digest to pin to.
func TestAuditImageRegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img := imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "usr/bin/sudo", Body: "\x7fELF", Mode: 0o4755})
	ref, _ := name.NewTag(host+"/app:1.0", name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	r := run(t, "audit", "--format", "json", "--fail-on", "none", "--insecure-registry", host, "--image", "registry:"+host+"/app:1.0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	got := map[string]bool{}
	for _, f := range parseReport(t, r.out).Findings {
		got[f.Slug] = true
		if f.Slug == "image-unpinned" && !strings.Contains(f.Message, d.String()) {
			t.Errorf("pinning finding without the digest: %s", f.Message)
		}
	}
	for _, slug := range []string{"sudo", "suid-sgid-file", "image-unpinned"} {
		if !got[slug] {
			t.Errorf("no %s finding:\n%s", slug, r.out)
		}
	}
	if got["root-user"] {
		t.Error("root-user reported for User app")
	}
}
