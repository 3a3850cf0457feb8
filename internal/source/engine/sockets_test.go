package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
)

// TestEngineSocketByAnyName: the live audit knows the engine's own socket
// (the one it connected to, the daemon's other -H listeners) whatever name
// a container mounts it under, and a mount at /var/run/docker.sock in the
// container whatever its source; an ordinary folder is not either.
func TestEngineSocketByAnyName(t *testing.T) {
	extraDir, err := os.MkdirTemp("", "dgapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(extraDir) })
	extra := filepath.Join(extraDir, "api")
	d := testenv.Start(t, testenv.Options{Flags: []string{"-H", "unix://" + extra}})
	buildImages(t, d)
	scratch := t.TempDir()
	link := filepath.Join(scratch, "engine")
	if err := os.Symlink(strings.TrimPrefix(d.Host, "unix://"), link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(extraDir, "hard")
	if err := os.Link(extra, hard); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(scratch, "plain")
	os.Mkdir(plain, 0o755)
	bind := func(name, b string) {
		create(t, d, name, &container.Config{Image: hardenedImage}, &container.HostConfig{Binds: []string{b}}, nil, false)
	}
	bind("via-symlink", link+":/s")
	bind("extra-listener", extra+":/s")
	bind("hard-link", hard+":/s")
	bind("its-folder", extraDir+":/d")
	bind("at-docker-sock", plain+":/var/run/docker.sock")
	bind("plain", plain+":/data")
	got := bySubject(judge(load(t, d, engine.Options{All: true})))
	for _, name := range []string{"via-symlink", "extra-listener", "hard-link", "its-folder", "at-docker-sock"} {
		if len(got[name]["runtime-socket-mount"]) == 0 {
			t.Errorf("%s: no runtime-socket-mount (findings %v)", name, slugs(got[name]))
		}
	}
	if fs := got["plain"]["runtime-socket-mount"]; len(fs) != 0 {
		t.Errorf("plain folder: %v", fs[0].Message)
	}
}
