package harden_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/harden"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushRandom starts an in-process registry on loopback and pushes a random
// image as HOST/app:1.0; it returns the host and the image's digest.
func pushRandom(t *testing.T) (host, digest string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host+"/app:1.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return host, d.String()
}

// TestResolveRegistry pins a run line, a compose service and a Dockerfile
// FROM by the digest the registry gives for the tag; a tag the registry
// does not have is a note, never an error; a second pass changes nothing.
func TestResolveRegistry(t *testing.T) {
	host, digest := pushRandom(t)
	r := &harden.Resolver{Insecure: []string{host}}
	if d, err := r.Digest(host + "/app:1.0"); err != nil || d != digest {
		t.Fatalf("Digest = %q, %v; want %s", d, err, digest)
	}
	opt := harden.Options{Resolve: r.Digest}
	ref := host + "/app:1.0"
	pinned := ref + "@" + digest

	res, err := harden.Run("docker run -d "+ref+" serve", opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Line, " "+pinned+" serve") || !strings.Contains(strings.Join(res.Fixed, " "), "image-unpinned") {
		t.Errorf("run line not pinned: %s (fixed %v)", res.Line, res.Fixed)
	}
	if again, err := harden.Run(res.Line, opt); err != nil || again.Line != res.Line {
		t.Errorf("run: second pass %v\n%s", err, again.Line)
	}
	res, err = harden.Run("docker run -d "+host+"/app:2.0", opt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Line, "@sha256") || !strings.Contains(notes(res.Notes), "app:2.0 not pinned") {
		t.Errorf("a missing tag: %s\n%s", res.Line, notes(res.Notes))
	}

	dir := t.TempDir()
	cf := filepath.Join(dir, "compose.yaml")
	src := "services:\n  app:\n    image: \"" + ref + "\"\n    read_only: true\n  built:\n    build: .\n    image: " + ref + "\n"
	os.WriteFile(cf, []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+ref+" AS base\nFROM --platform=linux/amd64 base\nFROM scratch\nCOPY --from=base / /\n"), 0o644)
	fr, err := harden.Compose(context.Background(), cf, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fr.New, "    image: "+pinned+"  # dockguard: image-unpinned (DG501)\n") || strings.Count(fr.New, "@sha256") != 1 {
		t.Errorf("compose not pinned (or the built image pinned):\n%s", fr.New)
	}
	os.WriteFile(cf, []byte(fr.New), 0o644)
	if again, err := harden.Compose(context.Background(), cf, opt); err != nil || again.Changed() {
		t.Errorf("compose: second pass %v\n%s", err, again.New)
	}

	df := filepath.Join(dir, "Dockerfile")
	fr, err = harden.Dockerfile(context.Background(), df, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fr.New, "# dockguard: image-unpinned (DG501)\nFROM "+pinned+" AS base\nFROM --platform=linux/amd64 base\nFROM scratch\n") {
		t.Errorf("Dockerfile:\n%s", fr.New)
	}
	os.WriteFile(df, []byte(fr.New), 0o644)
	if again, err := harden.Dockerfile(context.Background(), df, opt); err != nil || again.Changed() {
		t.Errorf("Dockerfile: second pass %v\n%s", err, again.New)
	}
}
