package image

import (
	"context"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
)

// TestDaemon reads an image the private test daemon built, through the
// Engine API's save stream, with and without the daemon: prefix.
func TestDaemon(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	d.BuildImage(t, "dg-image-test:1", "FROM scratch\nCOPY busybox /bin/busybox\nCOPY .env /app/.env\nEXPOSE 22\n", testenv.Files{
		"busybox": testenv.Busybox(t),
		".env":    []byte("GITHUB_TOKEN=" + ghToken + "\n"),
	})
	for _, ref := range []string{"daemon:dg-image-test:1", "dg-image-test:1"} {
		res, err := Load(context.Background(), ref, Options{Engine: engine.Endpoint{Host: d.Host}})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		fs := findings(res.Image, rules.Config{})
		for _, w := range []struct{ slug, sub string }{
			{"secret-file-in-image", "/app/.env"},
			{"root-user", "runs as root"},
			{"expose-ssh", "port 22"},
			{"image-unpinned", "by tag"},
		} {
			if !has(fs, w.slug, w.sub) {
				t.Errorf("%s: missing %s %q", ref, w.slug, w.sub)
			}
		}
		if f := findFile(res.Image, "bin/busybox", len(res.Image.Layers)-2); f == nil && !strings.Contains(strings.Join(paths(res), " "), "bin/busybox") {
			t.Errorf("%s: no bin/busybox in %v", ref, paths(res))
		}
	}
	if _, err := Load(context.Background(), "daemon:no-such-image:1", Options{Engine: engine.Endpoint{Host: d.Host}}); err == nil {
		t.Error("missing image: no error")
	}
}

func paths(res *Result) []string {
	var out []string
	for _, f := range res.Image.Files {
		out = append(out, f.Path)
	}
	return out
}
