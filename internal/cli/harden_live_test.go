package cli_test

import (
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestHardenConfigAndResolve: the harden: section of the configuration
// picks the limits and keeps a public service's ports; --resolve pins the
// image from an in-process registry (no engine is needed: the registry
// answers), and a tag the registry lacks is a note, not a failure.
func TestHardenConfigAndResolve(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(host+"/web:1.0", name.Insecure)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()

	dir := t.TempDir()
	cfg := write(t, filepath.Join(dir, ".dockguard.yaml"), "harden:\n  memory: 256m\n  services:\n    web: {public: true, memory: 1g, tmpfs: [/srv/cache]}\n")
	// An unreachable engine: --resolve falls back to the registry.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "no.sock"))
	r := run(t, "harden", "--config", cfg, "--resolve", "--insecure-registry", host,
		"--run", "docker run -d --name web -p 8080:8080 "+host+"/web:1.0",
		"--run", "docker run -d -p 8080:8080 "+host+"/web:2.0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout: %s", r.out)
	}
	for _, want := range []string{" -p 8080:8080 ", "--tmpfs /tmp --tmpfs /srv/cache ", "--memory 1g ", " " + host + "/web:1.0@" + d.String()} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("first line lacks %q: %s", want, lines[0])
		}
	}
	for _, want := range []string{"-p 127.0.0.1:8080:8080", "--memory 256m ", " " + host + "/web:2.0"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("second line lacks %q: %s", want, lines[1])
		}
	}
	if !strings.Contains(r.err, "web:2.0 not pinned") {
		t.Errorf("no note for the missing tag:\n%s", r.err)
	}

	// A bad harden: key is an input error naming the file and line.
	bad := write(t, filepath.Join(dir, "bad.yaml"), "harden:\n  services:\n    web: {memroy: 1g}\n")
	if r := run(t, "harden", "--config", bad, "--run", "docker run nginx"); r.code == 0 || !strings.Contains(r.err, "bad.yaml:3") {
		t.Errorf("bad config: exit %d: %s", r.code, r.err)
	}
	// -H with a run line asks for --observe or --resolve; --headroom needs --observe.
	if r := run(t, "harden", "-H", "unix:///nowhere", "--run", "docker run nginx"); r.code == 0 || !strings.Contains(r.err, "--observe") {
		t.Errorf("-H alone: exit %d: %s", r.code, r.err)
	}
	if r := run(t, "harden", "--headroom", "3", "--run", "docker run nginx"); r.code == 0 || !strings.Contains(r.err, "--headroom") {
		t.Errorf("--headroom alone: exit %d: %s", r.code, r.err)
	}
	// --observe with no engine to ask fails.
	if r := run(t, "harden", "--observe", "--run", "docker run nginx"); r.code == 0 {
		t.Errorf("--observe without an engine: exit 0: %s", r.out)
	}
}
