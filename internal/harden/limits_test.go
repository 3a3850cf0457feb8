package harden_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/rules"
)

func loadHarden(t *testing.T, src string) config.Harden {
	t.Helper()
	c, err := config.Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c.Harden
}

// TestLimitsForPrecedence: config for the service > config for the image
// (tag > repository) > observed usage > config defaults > built-in, each
// capped by the rules thresholds.
func TestLimitsForPrecedence(t *testing.T) {
	h := loadHarden(t, `
harden:
  memory: 256m
  pids: 100
  cpus: 2
  restartRetries: 3
  tmpfs: [/cache]
  services:
    web: {memory: 1g, public: true, tmpfs: [/srv/tmp]}
    api: {nproc: 64}
  images:
    nginx: {memory: 128m, pids: 50}
    "nginx:1.27": {memory: 96m}
`)
	obs := harden.Observed{
		{Name: "api-1", Project: "p", Service: "api", Memory: 200 << 20, Pids: 10, Samples: 1},
		{Name: "tiny", Memory: 1 << 20, Pids: 1, Samples: 1},
	}
	o := harden.Options{Harden: h, Observed: obs}
	for _, c := range []struct {
		service, image string
		mem            string
		memFrom        string
		pids           int64
		pidsFrom       string
		public         bool
	}{
		{"web", "nginx:1.27", "1g", "config", 50, "config", true}, // service memory, image pids
		{"", "docker.io/library/nginx:1.27", "96m", "config", 50, "config", false},
		{"", "nginx:1.25@sha256:abc", "128m", "config", 50, "config", false},
		{"api", "app:1", "448m", "observed", 32, "observed", false}, // 200m x 2 → 448m; 10 x 2 → floor 32
		{"tiny", "app:1", "64m", "observed", 32, "observed", false}, // floors
		{"other", "app:1", "256m", "defaults", 100, "defaults", false},
	} {
		l := o.LimitsFor(c.service, c.image)
		if l.Memory != c.mem || l.MemoryFrom != c.memFrom || l.Pids != c.pids || l.PidsFrom != c.pidsFrom || l.Public != c.public {
			t.Errorf("%s %s: got %s from %s, pids %d from %s, public %v; want %s from %s, %d from %s, %v",
				c.service, c.image, l.Memory, l.MemoryFrom, l.Pids, l.PidsFrom, l.Public, c.mem, c.memFrom, c.pids, c.pidsFrom, c.public)
		}
		if l.CPUs != "2" || l.Retries != 3 {
			t.Errorf("%s: cpus %s retries %d", c.service, l.CPUs, l.Retries)
		}
	}
	if l := o.LimitsFor("web", ""); strings.Join(l.Tmpfs, ",") != "/srv/tmp,/cache" {
		t.Errorf("tmpfs %v", l.Tmpfs)
	}
	if l := o.LimitsFor("api", ""); l.NProc != "64:64" || l.NoFile != "1024:2048" {
		t.Errorf("ulimits %s %s", l.NoFile, l.NProc)
	}
	// Built-in defaults without a config; the thresholds cap everything.
	if l := (harden.Options{}).LimitsFor("x", "y"); l.Memory != "512m" || l.Pids != 256 || l.Retries != 5 || l.CPUs != "1" || l.MemoryFrom != "built-in" {
		t.Errorf("built-in: %+v", l)
	}
	capped := harden.Options{Harden: h, Observed: obs, Config: rules.Config{MaxMemory: 300 << 20, MaxPids: 20, MaxRestartRetries: 2}}
	if l := capped.LimitsFor("web", ""); l.Memory != "300m" || l.Pids != 20 || l.Retries != 2 {
		t.Errorf("capped: %+v", l)
	}
}

// TestRunWithConfig: the run line takes its limits from the config entry
// of its --name and image, and a public entry keeps its ports.
func TestRunWithConfig(t *testing.T) {
	o := harden.Options{Harden: loadHarden(t, `
harden:
  nofile: 4096
  services:
    web: {memory: 1g, cpus: 0.5, public: true, tmpfs: [/srv/cache]}
  images:
    redis: {pids: 64, restartRetries: 2}
`)}
	res, err := harden.Run(`docker run -d --name web --restart always -p 8080:80 redis:7`, o)
	if err != nil {
		t.Fatal(err)
	}
	want := `docker run -d --name web --restart on-failure:2 -p 8080:80 --user redis --read-only --tmpfs /tmp --tmpfs /srv/cache --cap-drop ALL --security-opt no-new-privileges --memory 1g --memory-swap 1g --cpus 0.5 --pids-limit 64 --ulimit nofile=4096 --ulimit nproc=512 redis:7`
	if res.Line != want {
		t.Errorf("got  %s\nwant %s", res.Line, want)
	}
	if n := notes(res.Notes); !strings.Contains(n, "VOLUME /data is not mounted") {
		t.Errorf("no note on redis's VOLUME /data: %s", n)
	}
	again, err := harden.Run(res.Line, o)
	if err != nil || again.Line != res.Line {
		t.Errorf("not idempotent: %v\n%s", err, again.Line)
	}
	// An image entry can make every container of the image public.
	pub := harden.Options{Harden: loadHarden(t, "harden:\n  images:\n    traefik: {public: true}\n")}
	if res, _ := harden.Run(`docker run -d -p 443:443 traefik:3`, pub); !strings.Contains(res.Line, " -p 443:443 ") {
		t.Errorf("public image: %s", res.Line)
	}
	// Without the public entry the port is bound to 127.0.0.1.
	res, _ = harden.Run(`docker run -d --name other -p 8080:80 -v data:/data redis:7`, o)
	if !strings.Contains(res.Line, "-p 127.0.0.1:8080:80") || strings.Contains(notes(res.Notes), "VOLUME") {
		t.Errorf("other: %s\n%s", res.Line, notes(res.Notes))
	}
}

// TestDataVolumeNote: a data folder of the table (or the image) that a
// mount covers, at it, above it or below it, gets no note.
func TestDataVolumeNote(t *testing.T) {
	for line, want := range map[string]bool{
		"docker run -d postgres:17":                                         true,
		"docker run -d -v pg:/var/lib/postgresql/data postgres:17":          false,
		"docker run -d -v pg:/var/lib/postgresql postgres:18":               false,
		"docker run -d --mount type=volume,src=pg,dst=/var/lib postgres:18": false,
		"docker run -d -v /srv/pgsock:/var/run/postgresql postgres:18":      true,
	} {
		res, err := harden.Run(line, harden.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(notes(res.Notes), "VOLUME /var/lib/postgresql is not mounted"); got != want {
			t.Errorf("%s: note %v, want %v\n%s", line, got, want, notes(res.Notes))
		}
		if strings.Contains(line, "/srv/pgsock") && strings.Contains(res.Line, "--tmpfs /var/run/postgresql") {
			t.Errorf("a tmpfs over a bind: %s", res.Line)
		}
	}
}

func notes(ns []harden.Note) string {
	var b []string
	for _, n := range ns {
		b = append(b, n.String())
	}
	return strings.Join(b, "\n")
}

// TestComposeWithConfig: per-service and per-image limits, public ports
// and extra tmpfs paths in a compose file; a second pass changes nothing.
func TestComposeWithConfig(t *testing.T) {
	o := harden.Options{Harden: loadHarden(t, `
harden:
  memory: 256m
  services:
    web: {public: true, memory: 1g, nproc: 100:200}
  images:
    postgres: {pids: 512}
`)}
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	src := `services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
  db:
    image: postgres:17
    ports: ["5432:5432"]
    tmpfs:
      - /run
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := harden.Compose(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`      - "8080:80"` + "\n",
		"    tmpfs: [/tmp, /var/cache/nginx, /var/run]  # dockguard: read-only-rootfs (",
		"    mem_limit: 1g  # dockguard: memory-limit (",
		"    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: {soft: 100, hard: 200}}",
		`    ports: ["127.0.0.1:5432:5432"]`,
		"      - /run\n      - /tmp  # dockguard: read-only-rootfs (",
		"      - /var/run/postgresql  # dockguard: read-only-rootfs (",
		"    mem_limit: 256m  # dockguard: memory-limit (",
		"    pids_limit: 512  # dockguard: pids-limit (",
	} {
		if !strings.Contains(res.New, want) {
			t.Errorf("missing %q in\n%s", want, res.New)
		}
	}
	if n := notes(res.Notes); !strings.Contains(n, "service db") || !strings.Contains(n, "VOLUME /var/lib/postgresql is not mounted") {
		t.Errorf("notes: %s", n)
	}
	if err := os.WriteFile(path, []byte(res.New), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := harden.Compose(context.Background(), path, o)
	if err != nil || again.Changed() {
		t.Errorf("second pass: %v\n%s", err, again.New)
	}
}

// fixtureOptions are the option sets the fixture proofs run with: the
// defaults, and a configuration with per-service and per-image entries,
// extra tmpfs paths, a public service and every image pinned (a fixed
// digest: the proofs are about the text, resolve_test.go about digests).
func fixtureOptions(t *testing.T) []harden.Options {
	h := loadHarden(t, `
harden:
  memory: 256m
  pids: 128
  nofile: 2048
  restartRetries: 3
  tmpfs: [/var/cache/app]
  services:
    web: {memory: 1g, public: true, cpus: 0.5}
    app: {nproc: 100:200}
  images:
    nginx: {memory: 128m}
    postgres: {pids: 512}
`)
	digest := "sha256:" + strings.Repeat("ab", 32)
	return []harden.Options{{}, {Harden: h, Resolve: func(string) (string, error) { return digest, nil }}}
}
