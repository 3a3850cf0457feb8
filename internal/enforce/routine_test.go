package enforce

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

// denials records the requests a Plugin denied, and the routes it
// allowed (its Observe hook).
type denials struct {
	mu      sync.Mutex
	msgs    []string
	allowed map[string]bool
}

func (d *denials) observe(dec *Decision) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !dec.Allow {
		d.msgs = append(d.msgs, dec.Method+" "+dec.Route+": "+dec.Msg)
		return
	}
	if d.allowed == nil {
		d.allowed = map[string]bool{}
	}
	d.allowed[dec.Method+" "+dec.Route] = true
}

func (d *denials) saw(route string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.allowed[route]
}

func (d *denials) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.msgs
	d.msgs = nil
	return out
}

// TestRoutineDay replays a day of everyday docker CLI work through the
// plugin and through the proxy, at the default profile (baseline@v1):
// nothing of it may be denied, and afterwards the daemon holds what the
// commands made.
func TestRoutineDay(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI")
	}
	files := testenv.Files{"busybox": testenv.Busybox(t), "passwd": []byte("root:x:0:0:root:/:/bin/sh\napp:x:10001:10001::/:/bin/sh\n")}
	const base = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nCOPY passwd /etc/passwd\n"

	t.Run("plugin", func(t *testing.T) {
		var seen denials
		imgs := &lazyImages{}
		p := NewPlugin(New(Settings{Self: "dockguard"}, imgs), slog.New(slog.NewJSONHandler(testWriter{t}, nil)))
		p.Observe = seen.observe
		d := testenv.Start(t, testenv.Options{AuthzPlugins: []testenv.Plugin{{Name: "dockguard", Handler: p}}})
		imgs.set(d.Client)
		d.BuildImage(t, "dg-bb:test", base, files)
		routineDay(t, docker, d.Host, d, p, &seen, func(s Settings) *Decider { return New(s, imgs) })
	})
	t.Run("proxy", func(t *testing.T) {
		var seen denials
		d := testenv.Start(t, testenv.Options{})
		d.BuildImage(t, "dg-bb:test", base, files)
		imgs := &EngineImages{Client: d.Client}
		sock := filepath.Join(t.TempDir(), "dg.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		p := NewPlugin(New(Settings{Self: "dockguard"}, imgs), slog.New(slog.NewJSONHandler(testWriter{t}, nil)))
		p.Observe = seen.observe
		upstream := strings.TrimPrefix(d.Host, "unix://")
		px := &Proxy{Plugin: p, Dial: func(ctx context.Context) (net.Conn, error) { return (&net.Dialer{}).DialContext(ctx, "unix", upstream) }}
		go func() { _ = px.Serve(l) }()
		t.Cleanup(func() { l.Close(); px.Close() })
		routineDay(t, docker, "unix://"+sock, d, p, &seen, func(s Settings) *Decider { return New(s, imgs) })
	})
}

func routineDay(t *testing.T, docker, host string, d *testenv.Daemon, p *Plugin, seen *denials, decider func(Settings) *Decider) {
	ctx := context.Background()
	cfgDir := t.TempDir()
	cli := func(bin string, env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"-H", host}, args...)...)
		cmd.Env = append(append(os.Environ(), "DOCKER_CONFIG="+cfgDir), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	step := func(args ...string) string {
		t.Helper()
		out, err := cli(docker, nil, args...)
		if err != nil {
			t.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return out
	}
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "hello"), []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// run: a non-root container with a named volume, a root one with a
	// read-only bind of a temporary folder, an attached one-off.
	step("volume", "create", "dg-data")
	step("run", "-d", "--name", "web", "--user", "10001:10001", "-v", "dg-data:/data", "dg-bb:test", "/bin/sh", "-c", "echo started; exec /bin/busybox sleep 600")
	step("run", "-d", "--name", "rootbox", "-v", in+":/in:ro", "dg-bb:test", "/bin/busybox", "sleep", "600")
	if out := step("run", "--rm", "--user", "10001", "dg-bb:test", "/bin/busybox", "echo", "one-off"); !strings.Contains(out, "one-off") {
		t.Errorf("docker run --rm: %q", out)
	}

	// exec, with and without -u, as root too.
	if out := step("exec", "web", "/bin/busybox", "id", "-u"); strings.TrimSpace(out) != "10001" {
		t.Errorf("exec as the container's user: %q", out)
	}
	step("exec", "-u", "0", "web", "/bin/sh", "-c", "echo routine > /data/f && chown 10001 /data/f")
	if out := step("exec", "rootbox", "/bin/busybox", "cat", "/in/hello"); !strings.Contains(out, "hello from the host") {
		t.Errorf("exec reading the read-only bind: %q", out)
	}
	if out := step("exec", "-u", "10001", "rootbox", "/bin/busybox", "id", "-u"); strings.TrimSpace(out) != "10001" {
		t.Errorf("exec -u 10001: %q", out)
	}
	step("exec", "-d", "web", "/bin/busybox", "true")

	// logs.
	if out := step("logs", "web"); !strings.Contains(out, "started") {
		t.Errorf("docker logs: %q", out)
	}

	// cp both ways.
	out := t.TempDir()
	step("cp", "web:/data/f", filepath.Join(out, "f"))
	if b, err := os.ReadFile(filepath.Join(out, "f")); err != nil || string(b) != "routine\n" {
		t.Errorf("docker cp from the container: %q %v", b, err)
	}
	// Into a container: the private daemon (Debian's 20.10.24) is in the
	// range of CVE-2026-41567, so at the default configuration this is
	// denied, by effect too; enforce.allowArchiveWrites is what lets it
	// through there (on a fixed daemon it passes by default:
	// TestArchiveWriteByVersion).
	if o, err := cli(docker, nil, "cp", filepath.Join(in, "hello"), "web:/data/"); err == nil || !strings.Contains(o, "CVE-2026-41567") {
		t.Errorf("docker cp into a container on an affected daemon: %v: %s", err, o)
	}
	if _, err := d.Client.ContainerStatPath(ctx, "web", client.ContainerStatPathOptions{Path: "/data/hello"}); err == nil {
		t.Errorf("docker cp was denied, yet /data/hello is in the container")
	}
	if got := seen.take(); len(got) == 0 {
		t.Errorf("the denied docker cp was not observed")
	}
	t.Log("docker cp into a container: the daemon is in the range of CVE-2026-41567, so it is replayed with enforce.allowArchiveWrites: true")
	p.Set(decider(Settings{Config: config.Enforce{AllowArchiveWrites: true}, Self: "dockguard"}))
	step("cp", filepath.Join(in, "hello"), "web:/data/")
	if _, err := d.Client.ContainerStatPath(ctx, "web", client.ContainerStatPathOptions{Path: "/data/hello"}); err != nil {
		t.Errorf("docker cp into the container: /data/hello: %v", err)
	}

	// update.
	step("update", "--memory", "64m", "--memory-swap", "64m", "web")
	step("update", "--restart", "always", "web")
	if res, err := d.Client.ContainerInspect(ctx, "web", client.ContainerInspectOptions{}); err != nil {
		t.Error(err)
	} else if h := res.Container.HostConfig; h.Memory != 64<<20 || h.RestartPolicy.Name != "always" {
		t.Errorf("after docker update: Memory %d, restart %q", h.Memory, h.RestartPolicy.Name)
	}

	// build, classic and BuildKit.
	bctx := t.TempDir()
	if err := os.WriteFile(filepath.Join(bctx, "Dockerfile"), []byte("FROM dg-bb:test\nCOPY note /note\nRUN /bin/busybox cp /note /built\nUSER 10001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bctx, "note"), []byte("built\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := cli(docker, []string{"DOCKER_BUILDKIT=0"}, "build", "-t", "dg-built:classic", bctx); err != nil {
		t.Errorf("DOCKER_BUILDKIT=0 docker build: %v: %s", err, o)
	}
	built := []string{"dg-built:classic"}
	buildkit := ""
	if o, err := cli(docker, []string{"DOCKER_BUILDKIT=1"}, "build", "-t", "dg-built:buildkit", bctx); err == nil {
		buildkit = docker
	} else if strings.Contains(o, "authorization denied") || strings.Contains(o, "dockguard") {
		t.Errorf("DOCKER_BUILDKIT=1 docker build: %v: %s", err, o)
	} else {
		t.Logf("%s cannot build with BuildKit here (%s): trying Debian's 20.10 CLI, which has BuildKit built in", docker, strings.TrimSpace(lastLine(o)))
		if _, err := os.Stat("/usr/bin/docker"); err != nil {
			t.Log("no /usr/bin/docker: the BuildKit build is not replayed")
		} else if o, err := cli("/usr/bin/docker", []string{"DOCKER_BUILDKIT=1"}, "build", "-t", "dg-built:buildkit", bctx); err != nil {
			t.Errorf("DOCKER_BUILDKIT=1 /usr/bin/docker build (BuildKit: /session and /build?version=2): %v: %s", err, o)
		} else {
			buildkit = "/usr/bin/docker"
		}
	}
	if buildkit != "" {
		built = append(built, "dg-built:buildkit")
		t.Logf("BuildKit build replayed with %s", buildkit)
		if !seen.saw("POST /session") {
			t.Errorf("the BuildKit build opened no session through dockguard")
		}
	}
	for _, ref := range built {
		if o := step("run", "--rm", "--user", "10001", ref, "/bin/busybox", "cat", "/built"); strings.TrimSpace(o) != "built" {
			t.Errorf("%s: /built is %q", ref, o)
		}
	}

	// compose.
	if o, err := cli(docker, nil, "compose", "version"); err == nil {
		t.Logf("docker compose is installed (%s) but not replayed", strings.TrimSpace(o))
	} else if _, err := exec.LookPath("docker-compose"); err == nil {
		t.Log("docker-compose is installed but not replayed")
	} else {
		t.Log("neither docker compose nor docker-compose is installed: compose up/down is not replayed")
	}

	// stop, rm.
	step("stop", "-t", "1", "web", "rootbox")
	step("rm", "web", "rootbox")

	if got := seen.take(); len(got) > 0 {
		t.Errorf("routine commands denied:\n%s", strings.Join(got, "\n"))
	}
	// What the day made is on the daemon: the images built, the volume
	// with the file written by exec and the one copied in, no container.
	for _, ref := range built {
		if _, err := d.Client.ImageInspect(ctx, ref); err != nil {
			t.Errorf("image %s: %v", ref, err)
		}
	}
	list, err := d.Client.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Items {
		for _, n := range c.Names {
			if n == "/web" || n == "/rootbox" {
				t.Errorf("container %s still exists after docker rm", n)
			}
		}
	}
	if o := step("run", "--rm", "--user", "10001", "-v", "dg-data:/data:ro", "dg-bb:test", "/bin/busybox", "cat", "/data/f", "/data/hello"); o != "routine\nhello from the host\n" {
		t.Errorf("volume dg-data holds %q", o)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
