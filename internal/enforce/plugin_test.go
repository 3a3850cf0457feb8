package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/hostview"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// lazyImages asks a daemon known only once it runs (the plugin must
// answer before dockerd starts).
type lazyImages struct {
	c atomic.Pointer[client.Client]
	e atomic.Pointer[EngineImages] // one per client: it keeps the daemon's view
}

func (l *lazyImages) get() Images { return l.engine() }

// set gives the daemon's client (once it runs).
func (l *lazyImages) set(c *client.Client) { l.c.Store(c) }

func (l *lazyImages) engine() *EngineImages {
	c := l.c.Load()
	if e := l.e.Load(); e != nil && e.Client == c {
		return e
	}
	e := &EngineImages{Client: c}
	l.e.Store(e)
	return e
}

func (l *lazyImages) DaemonView(ctx context.Context) *hostview.View {
	return l.engine().DaemonView(ctx)
}
func (l *lazyImages) ContainerFile(ctx context.Context, id, file string) ([]byte, bool, error) {
	return l.engine().ContainerFile(ctx, id, file)
}
func (l *lazyImages) ContainerHostConfig(ctx context.Context, id string) (string, string, *container.HostConfig, bool, error) {
	return l.engine().ContainerHostConfig(ctx, id)
}

// guarded starts a private daemon behind the plugin at the default
// configuration; images, containers, networks and volumes are asked of
// that daemon once it runs (the plugin must answer before dockerd starts).
func guarded(t *testing.T, log *slog.Logger) (*testenv.Daemon, *Plugin, *lazyImages) {
	t.Helper()
	imgs := &lazyImages{}
	p := NewPlugin(New(Settings{Self: "dockguard"}, imgs), log)
	d := testenv.Start(t, testenv.Options{AuthzPlugins: []testenv.Plugin{{Name: "dockguard", Handler: p}}})
	imgs.set(d.Client)
	return d, p, imgs
}
func (l *lazyImages) ImageUser(ctx context.Context, ref string) (string, bool, error) {
	return l.get().ImageUser(ctx, ref)
}
func (l *lazyImages) ContainerUser(ctx context.Context, id string) (string, bool, error) {
	return l.get().ContainerUser(ctx, id)
}
func (l *lazyImages) Network(ctx context.Context, ref string) (string, string, bool, error) {
	return l.get().(*EngineImages).Network(ctx, ref)
}
func (l *lazyImages) PasswdUID(ctx context.Context, id, name string) (int64, bool, error) {
	return l.get().(*EngineImages).PasswdUID(ctx, id, name)
}
func (l *lazyImages) InspectContainer(ctx context.Context, ref string) (*Inspected, bool, error) {
	return l.get().(*EngineImages).InspectContainer(ctx, ref)
}
func (l *lazyImages) DaemonFacts(ctx context.Context) (DaemonFacts, error) {
	return l.get().(*EngineImages).DaemonFacts(ctx)
}
func (l *lazyImages) Volume(ctx context.Context, name string) (string, map[string]string, bool, error) {
	return l.get().(*EngineImages).Volume(ctx, name)
}

func TestPluginProtocol(t *testing.T) {
	var log bytes.Buffer
	p := NewPlugin(newDecider(config.Enforce{}), slog.New(slog.NewJSONHandler(&log, nil)))
	srv := httptest.NewServer(p)
	defer srv.Close()
	call := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		res, err := http.Post(srv.URL+path, ContentType, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != ContentType {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := call("/Plugin.Activate", nil); got["Implements"].([]any)[0] != "authz" {
		t.Errorf("activate: %v", got)
	}
	bad := call("/AuthZPlugin.AuthZReq", req("POST", "/v1.41/containers/create", `{"Image":"app:1","HostConfig":{"Privileged":true},"Env":["TOKEN=s3cr3t"]}`))
	if bad["Allow"] != false || !strings.Contains(bad["Msg"].(string), "privileged (DG330)") {
		t.Errorf("privileged: %v", bad)
	}
	if got := call("/AuthZPlugin.AuthZRes", req("POST", "/v1.41/containers/create", privBody)); got["Allow"] != true {
		t.Errorf("AuthZRes: %v", got)
	}
	res, err := http.Post(srv.URL+"/AuthZPlugin.AuthZReq", ContentType, strings.NewReader("{not json"))
	if err != nil {
		t.Fatal(err)
	}
	var out Response
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if out.Allow {
		t.Errorf("unreadable AuthZReq allowed")
	}
	if strings.Contains(log.String(), "s3cr3t") {
		t.Errorf("the decision log holds an environment value: %s", log.String())
	}
	var entry map[string]any
	if err := json.Unmarshal(bytes.SplitN(log.Bytes(), []byte("\n"), 2)[0], &entry); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "route", "subject", "decision", "rules", "latency"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("decision log without %s: %v", k, entry)
		}
	}
}

// TestPluginDaemon puts the plugin in front of a private dockerd
// (--authorization-plugin) and drives it with the Engine API client.
func TestPluginDaemon(t *testing.T) {
	d, _, _ := guarded(t, slog.New(slog.NewJSONHandler(testWriter{t}, nil)))
	files := testenv.Files{"app": testenv.App(t)}
	d.BuildImage(t, "dg-root:test", "FROM scratch\nCOPY app /\nENTRYPOINT [\"/app\"]\n", files)
	hardenedID := d.BuildImage(t, "dg-hardened:test", "FROM scratch\nCOPY app /\nUSER 10001:10001\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT [\"/app\"]\n", files)
	ctx := context.Background()
	checkPluginMatrix(ctx, t, d.Client)
	checkDockerCLI(t, d.Host)
	// A digest exemption holds when the create names the image by that
	// digest, not by tag.
	dx := New(Settings{Config: config.Enforce{Exempt: config.Exemptions{Images: []string{hardenedID}}}}, &EngineImages{Client: d.Client})
	if dec := dx.Decide(ctx, req("POST", "/v1.41/containers/create", `{"Image":"dg-hardened:test","HostConfig":{"Privileged":true}}`)); dec.Allow {
		t.Errorf("digest exemption honoured for a tag: %+v", dec)
	}
	if dec := dx.Decide(ctx, req("POST", "/v1.41/containers/create", `{"Image":"`+hardenedID+`","HostConfig":{"Privileged":true}}`)); !dec.Allow || !strings.Contains(dec.Reason, "exempt image digest") {
		t.Errorf("digest exemption by ID: %+v", dec)
	}
}

// checkDockerCLI runs the real docker CLIs against the guarded daemon:
// the one on PATH and Debian's 20.10 client (/usr/bin/docker), whose
// requests carry fields newer API types dropped.
func checkDockerCLI(t *testing.T, host string) {
	t.Helper()
	var clis []string
	if docker, err := exec.LookPath("docker"); err == nil {
		clis = append(clis, docker)
	}
	if _, err := os.Stat("/usr/bin/docker"); err == nil && (len(clis) == 0 || clis[0] != "/usr/bin/docker") {
		clis = append(clis, "/usr/bin/docker")
	}
	if len(clis) == 0 {
		t.Log("no docker CLI: the CLI part is skipped")
		return
	}
	hardenedFlags := []string{"--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only",
		"--memory", "256m", "--memory-swap", "256m", "--cpus", "0.5", "--pids-limit", "100", "--restart", "on-failure:3",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=512:512"}
	for i, docker := range clis {
		run := func(args ...string) (string, error) {
			cmd := exec.Command(docker, append([]string{"-H", host}, args...)...)
			cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		out, _ := run("version", "--format", "{{.Client.Version}}")
		cli := docker + " " + strings.TrimSpace(out)
		out, err := run("create", "--privileged", "-v", "/:/host", "dg-hardened:test")
		if err == nil || !strings.Contains(out, "authorization denied by plugin dockguard: denied by baseline@v1: privileged (DG330): ") || !strings.Contains(out, "fix: ") {
			t.Errorf("%s: docker create --privileged: %v: %s", cli, err, out)
		}
		name := "cli-hardened-" + strconv.Itoa(i)
		out, err = run(append(append([]string{"create", "--name", name}, hardenedFlags...), "dg-hardened:test", "sleep", "0")...)
		if err != nil {
			t.Errorf("%s: docker create (hardened): %v: %s", cli, err, out)
		}
		// run attaches (an upgraded stream), starts and waits.
		out, err = run(append(append([]string{"run", "--name", name + "-run"}, hardenedFlags...), "dg-hardened:test")...)
		if err != nil {
			t.Errorf("%s: docker run (hardened, attached): %v: %s", cli, err, out)
		}
		if out, err := run("exec", "--privileged", "hardened", "/app"); err == nil || !strings.Contains(out, "exec-privileged") {
			t.Errorf("%s: docker exec --privileged: %v: %s", cli, err, out)
		}
		// At baseline an exec passes when the container does; as root
		// too (exec-root is restricted@v1's).
		if out, err := run("exec", "-u", "0", "hardened", "/app"); err != nil {
			t.Errorf("%s: docker exec -u 0 into a container that passes baseline: %v: %s", cli, err, out)
		}
		if out, err := run("exec", "hardened", "/app"); err != nil {
			t.Errorf("%s: docker exec as the image's user: %v: %s", cli, err, out)
		}
		if out, err := run("exec", "-d", "hardened", "/app"); err != nil {
			t.Errorf("%s: docker exec -d (a detached start, no upgrade): %v: %s", cli, err, out)
		}
		if out, err := run("update", "--restart", "always", "hardened"); err != nil {
			t.Errorf("%s: docker update --restart always: %v: %s", cli, err, out)
		}
		if out, err := run("update", "--memory", "200m", "--memory-swap", "200m", "hardened"); err != nil {
			t.Errorf("%s: docker update (tighter limits): %v: %s", cli, err, out)
		}
		// The classic builder's query parameters are all known.
		ctxDir := t.TempDir()
		if err := os.WriteFile(ctxDir+"/Dockerfile", []byte("FROM scratch\nLABEL dockguard.test=build\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		build := exec.Command(docker, "-H", host, "build", "-t", "dg-built:"+strconv.Itoa(i), "--label", "a=b", "--build-arg", "X=1", ctxDir)
		build.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir(), "DOCKER_BUILDKIT=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Errorf("%s: docker build (classic builder): %v: %s", cli, err, out)
		}
		for _, args := range [][]string{
			{"network", "create", "dg-net-" + strconv.Itoa(i)},
			{"network", "connect", "dg-net-" + strconv.Itoa(i), name},
			{"network", "disconnect", "dg-net-" + strconv.Itoa(i), name},
			{"volume", "create", "dg-vol-" + strconv.Itoa(i)},
			{"network", "rm", "dg-net-" + strconv.Itoa(i)},
			{"volume", "rm", "dg-vol-" + strconv.Itoa(i)},
		} {
			if out, err := run(args...); err != nil {
				t.Errorf("%s: docker %s: %v: %s", cli, strings.Join(args, " "), err, out)
			}
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func hardenedHost() *container.HostConfig {
	pids, mem := int64(100), int64(256<<20)
	h := &container.HostConfig{CapDrop: []string{"ALL"}, SecurityOpt: []string{"no-new-privileges"}, ReadonlyRootfs: true,
		RestartPolicy: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}}
	h.Memory, h.MemorySwap, h.NanoCPUs, h.PidsLimit = mem, mem, 5e8, &pids
	h.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}, {Name: "nproc", Soft: 512, Hard: 512}}
	return h
}

// checkPluginMatrix runs the enforcement matrix against a daemon guarded
// by dockguard (as a plugin or through the proxy).
func checkPluginMatrix(ctx context.Context, t *testing.T, c *client.Client) {
	t.Helper()
	denied := func(what string, err error, want string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: allowed", what)
			return
		}
		if !strings.Contains(err.Error(), "authorization denied by plugin dockguard: ") && !strings.Contains(err.Error(), "dockguard") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v (want %q)", what, err, want)
		}
	}
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "hardened", Config: &container.Config{Image: "dg-hardened:test", Cmd: []string{"sleep", "0"}}, HostConfig: hardenedHost()})
	if err != nil {
		t.Fatalf("hardened create denied: %v", err)
	}
	_, err = c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "insecure", Config: &container.Config{Image: "dg-hardened:test"},
		HostConfig: &container.HostConfig{Privileged: true, Binds: []string{"/:/host"}}})
	denied("privileged create", err, "privileged (DG330): ")
	_, err = c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "sock", Config: &container.Config{Image: "dg-hardened:test"},
		HostConfig: &container.HostConfig{Binds: []string{"/var/run/docker.sock:/var/run/docker.sock"}}})
	denied("socket mount", err, "DG340")
	// Image not present: judged all the same (only its user is unknown);
	// a create nothing else denies goes to the daemon, which answers 404
	// (the CLI then pulls and creates again).
	_, err = c.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "dg-absent:test"}, HostConfig: &container.HostConfig{Privileged: true}})
	denied("privileged create of an absent image", err, "privileged (DG330): ")
	_, err = c.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "dg-absent:test"}, HostConfig: hardenedHost()})
	if err == nil || strings.Contains(err.Error(), "authorization denied") || !strings.Contains(err.Error(), "No such image") {
		t.Errorf("hardened create of an absent image: %v (want the daemon's 404)", err)
	}
	if _, err := c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start hardened: %v", err)
	}
	_, err = c.ExecCreate(ctx, res.ID, client.ExecCreateOptions{Cmd: []string{"/app"}, Privileged: true, User: "10001"})
	denied("privileged exec", err, "exec-privileged")
	// exec as root is restricted@v1's (exec-root): baseline lets it into
	// a container that passes, restricted denies it in every spelling.
	restricted := New(Settings{Config: config.Enforce{Profile: rules.Restricted}, Self: "dockguard"}, &EngineImages{Client: c})
	for _, u := range []string{"0", "00", "root", "0:0"} {
		if _, err := c.ExecCreate(ctx, res.ID, client.ExecCreateOptions{Cmd: []string{"/app"}, User: u}); err != nil {
			t.Errorf("exec --user %s at baseline: %v", u, err)
		}
		if dec := restricted.Decide(ctx, req("POST", "/v1.41/containers/hardened/exec", `{"Cmd":["/app"],"User":"`+u+`"}`)); dec.Allow || !strings.Contains(dec.Msg, "exec-root") {
			t.Errorf("exec --user %s at restricted: %+v", u, dec)
		}
	}
	if _, err := c.ExecCreate(ctx, res.ID, client.ExecCreateOptions{Cmd: []string{"/app"}}); err != nil {
		t.Errorf("exec as the container's user 10001: %v", err)
	}
	rootRes, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "rootish", Config: &container.Config{Image: "dg-root:test", Cmd: []string{"sleep", "0"}}, HostConfig: hardenedHost()})
	if err != nil {
		t.Fatalf("root image create (medium, allowed at min high): %v", err)
	}
	if _, err := c.ContainerStart(ctx, rootRes.ID, client.ContainerStartOptions{}); err == nil {
		if dec := restricted.Decide(ctx, req("POST", "/v1.41/containers/rootish/exec", `{"Cmd":["/app"]}`)); dec.Allow || !strings.Contains(dec.Msg, "exec-root") {
			t.Errorf("exec as a root container's user at restricted: %+v", dec)
		}
	}
	// Limits taken away by an update are restricted@v1's
	// (update-limit-removed): judged, not applied, here.
	baseline := New(Settings{Self: "dockguard"}, &EngineImages{Client: c})
	for _, body := range []string{`{"PidsLimit":-1}`, `{"Memory":268435456,"MemorySwap":-1}`} {
		r := req("POST", "/v1.41/containers/hardened/update", body)
		if dec := restricted.Decide(ctx, r); dec.Allow || !strings.Contains(dec.Msg, "update-limit-removed (DG209)") {
			t.Errorf("update %s at restricted: %+v", body, dec)
		}
		if dec := baseline.Decide(ctx, r); !dec.Allow {
			t.Errorf("update %s at baseline: %s", body, dec.Msg)
		}
	}
	if _, err := c.ContainerUpdate(ctx, res.ID, client.ContainerUpdateOptions{Resources: &container.Resources{Memory: 128 << 20, MemorySwap: 128 << 20}}); err != nil {
		t.Errorf("tightening update: %v", err)
	}
	_, err = c.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "hostroot", Driver: "local", DriverOpts: map[string]string{"type": "none", "o": "bind", "device": "/"}})
	denied("bind volume", err, "volume-bind")
	_, err = c.PluginDisable(ctx, "dockguard", client.PluginDisableOptions{Force: true})
	denied("disable dockguard", err, "plugin-self")
	if _, err := c.ContainerList(ctx, client.ContainerListOptions{All: true}); err != nil {
		t.Errorf("list: %v", err)
	}
}

// TestBypassesThroughPlugin sends every bypass as the raw AuthZReq JSON
// dockerd would post to the plugin.
func TestBypassesThroughPlugin(t *testing.T) {
	srv := httptest.NewServer(NewPlugin(New(Settings{Config: config.Enforce{Profile: rules.Restricted}, Self: "dockguard"}, testImages), nil))
	defer srv.Close()
	for _, b := range Bypasses() {
		body, err := json.Marshal(b.r)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Post(srv.URL+"/AuthZPlugin.AuthZReq", ContentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out Response
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || out.Allow || out.Msg == "" {
			t.Errorf("%s: status %d, %+v, %v", b.name, res.StatusCode, out, err)
		}
	}
}
