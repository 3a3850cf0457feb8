package enforce

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// roProxy is a proxy whose denials are recorded.
type roProxy struct {
	sock   string
	mu     sync.Mutex
	denied []string
}

func (p *roProxy) deniedRoutes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.denied)
}

func startRecordingProxy(t *testing.T, d *Decider, upstream string) *roProxy {
	rp := &roProxy{sock: filepath.Join(t.TempDir(), "ro.sock")}
	l, err := net.Listen("unix", rp.sock)
	if err != nil {
		t.Fatal(err)
	}
	pl := NewPlugin(d, slog.New(slog.DiscardHandler))
	pl.Observe = func(dec *Decision) {
		if !dec.Allow {
			rp.mu.Lock()
			rp.denied = append(rp.denied, dec.Method+" "+dec.Route)
			rp.mu.Unlock()
		}
	}
	p := &Proxy{Plugin: pl, Dial: func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", upstream)
	}}
	go func() { _ = p.Serve(l) }()
	t.Cleanup(func() { l.Close(); p.Close() })
	return rp
}

// unixRequester sends requests to a unix socket as they are written.
func unixRequester(sock string) func(method, path, body string) (int, string) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	return func(method, path, body string) (int, string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, "http://docker"+path, rd)
		if err != nil {
			return 0, err.Error()
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := hc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 8<<20))
		return res.StatusCode, string(b)
	}
}

// daemonState is what a write would change: the objects of every kind,
// with their state and version.
func daemonState(t *testing.T, get func(method, path, body string) (int, string)) string {
	t.Helper()
	var out []string
	for _, q := range []struct{ path, fields string }{
		{"/v1.41/containers/json?all=1", "Id State Names"},
		{"/v1.41/images/json?all=1", "Id RepoTags"},
		{"/v1.41/networks", "Id Name"},
		{"/v1.41/services", "ID Version"},
		{"/v1.41/secrets", "ID Version"},
		{"/v1.41/configs", "ID Version"},
		{"/v1.41/nodes", "ID Version"},
		{"/v1.41/plugins", "Id Enabled"},
	} {
		code, body := get("GET", q.path, "")
		if code != 200 {
			t.Fatalf("daemon %s: %d %s", q.path, code, body)
		}
		var items []map[string]any
		if err := json.Unmarshal([]byte(body), &items); err != nil {
			t.Fatalf("%s: %v", q.path, err)
		}
		var lines []string
		for _, it := range items {
			var l []string
			for _, f := range strings.Fields(q.fields) {
				b, _ := json.Marshal(it[f])
				l = append(l, string(b))
			}
			lines = append(lines, strings.Join(l, " "))
		}
		slices.Sort(lines)
		out = append(out, q.path+"\n  "+strings.Join(lines, "\n  "))
	}
	code, body := get("GET", "/v1.41/volumes", "")
	var vols struct{ Volumes []struct{ Name string } }
	if code != 200 || json.Unmarshal([]byte(body), &vols) != nil {
		t.Fatalf("volumes: %d %s", code, body)
	}
	var names []string
	for _, v := range vols.Volumes {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	out = append(out, "volumes "+strings.Join(names, " "))
	code, body = get("GET", "/v1.41/swarm", "")
	var sw struct{ Version swarm.Version }
	if code != 200 || json.Unmarshal([]byte(body), &sw) != nil {
		t.Fatalf("swarm: %d %s", code, body)
	}
	return strings.Join(append(out, fmt.Sprint("swarm ", sw.Version.Index)), "\n")
}

// TestReadOnlyProxyDaemon: through the read-only proxy (with env
// redaction) on a private daemon, what monitoring tools read works and
// every write, stream into a container, copy out and secret read is
// refused; the daemon shows afterwards that nothing changed. The docker
// CLI is used as a user would, then dockguard agent runs through a
// read-only proxy and finds a privileged container.
func TestReadOnlyProxyDaemon(t *testing.T) {
	start := time.Now().Unix() - 1
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	const img = "dg-ro:test"
	d.BuildImage(t, img, "FROM scratch\nCOPY busybox /bin/busybox\nENV IMAGE_TOKEN=imgsecret-1\nENTRYPOINT [\"/bin/busybox\"]\n", testenv.Files{"busybox": testenv.Busybox(t)})
	if _, err := d.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	if _, err := d.Client.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: "ro-secret"}, Data: []byte("secretdata-1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{Annotations: swarm.Annotations{Name: "ro-config"}, Data: []byte("configdata-1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: "ro-svc"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: img, Args: []string{"sleep", "3600"},
			Env: []string{"SVC_TOKEN=svcsecret-1"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "ro-vol"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.NetworkCreate(ctx, "ro-net", client.NetworkCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "watched",
		Config:     &container.Config{Image: img, Cmd: []string{"sleep", "3600"}, Env: []string{"DB_PASSWORD=hunter2-1", "EMPTY="}},
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "ro-vol", Target: "/data"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	upstream := strings.TrimPrefix(d.Host, "unix://")
	direct := unixRequester(upstream)
	// The service's task starts on its own time (and with it the
	// gateway bridge): the state is taken once it runs.
	waitFor(t, "the service's task runs", func() bool {
		_, body := direct("GET", "/v1.41/containers/json?filters=%7B%22name%22%3A%5B%22ro-svc%22%5D%7D", "")
		_, nets := direct("GET", "/v1.41/networks", "")
		return strings.Contains(body, `"State":"running"`) && strings.Contains(nets, `"docker_gwbridge"`)
	})
	before := daemonState(t, direct)

	ro := startRecordingProxy(t, New(Settings{Self: "dockguard", Config: config.Enforce{API: config.APIReadOnly, RedactEnv: true}}, &EngineImages{Client: d.Client}), upstream)
	get := unixRequester(ro.sock)

	// What monitoring tools read.
	var nodes []struct{ ID string }
	code, body := get("GET", "/v1.41/nodes", "")
	if code != 200 || json.Unmarshal([]byte(body), &nodes) != nil || len(nodes) != 1 {
		t.Fatalf("GET /nodes: %d %s", code, body)
	}
	var tasks []struct{ ID string }
	code, body = get("GET", "/v1.41/tasks", "")
	if code != 200 || json.Unmarshal([]byte(body), &tasks) != nil || len(tasks) == 0 {
		t.Fatalf("GET /tasks: %d %s", code, body)
	}
	secrets := []string{"hunter2-1", "svcsecret-1", "imgsecret-1", "secretdata-1", "configdata-1", "SWMTKN"}
	for _, r := range []struct{ method, path, want string }{
		{"GET", "/_ping", "OK"}, {"HEAD", "/_ping", ""}, {"GET", "/v1.41/_ping", "OK"},
		{"GET", "/v1.41/version", `"ApiVersion"`}, {"GET", "/v1.41/info", `"Containers"`},
		{"GET", fmt.Sprintf("/v1.41/events?since=%d&until=%d", start, time.Now().Unix()+2), `"Action":"create"`},
		{"GET", "/v1.41/system/df", `"LayersSize"`},
		{"GET", "/v1.41/containers/json?all=1", `"/watched"`},
		{"GET", "/v1.41/containers/watched/json", `"DB_PASSWORD=<redacted>"`},
		{"GET", "/v1.41/containers/watched/top?ps_args=-o+pid,euid", `"Processes"`},
		{"GET", "/v1.41/containers/watched/stats?stream=0", `"memory_stats"`},
		{"GET", "/v1.41/images/json", img},
		{"GET", "/v1.41/images/" + img + "/json", `"IMAGE_TOKEN=<redacted>"`},
		{"GET", "/v1.41/networks", `"ro-net"`}, {"GET", "/v1.41/networks/ro-net", `"ro-net"`},
		{"GET", "/v1.41/volumes", `"ro-vol"`}, {"GET", "/v1.41/volumes/ro-vol", `"ro-vol"`},
		{"GET", "/v1.41/services", `"SVC_TOKEN=<redacted>"`}, {"GET", "/v1.41/services/ro-svc", `"SVC_TOKEN=<redacted>"`},
		{"GET", "/v1.41/tasks", `"SVC_TOKEN=<redacted>"`}, {"GET", "/v1.41/tasks/" + tasks[0].ID, `"SVC_TOKEN=<redacted>"`},
		{"GET", "/v1.41/nodes", `"ID"`}, {"GET", "/v1.41/nodes/" + nodes[0].ID, `"ID"`},
	} {
		code, body := get(r.method, r.path, "")
		if code != 200 || !strings.Contains(body, r.want) {
			t.Errorf("%s %s: %d, want 200 with %s: %.300s", r.method, r.path, code, r.want, body)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s %s: the answer holds %s", r.method, r.path, s)
			}
		}
	}
	// Redaction keeps the names and what is not a value.
	code, body = get("GET", "/v1.41/containers/watched/json", "")
	var ins struct {
		Config struct{ Env []string }
		State  struct{ Running bool }
	}
	if code != 200 || json.Unmarshal([]byte(body), &ins) != nil || !slices.Contains(ins.Config.Env, "EMPTY=") || !ins.State.Running {
		t.Errorf("inspect through the proxy: %d %+v", code, ins)
	}

	// Every route that writes, and every read that is not read-only, by
	// method and route, on real objects: refused before the daemon sees
	// it, with a message naming the route and the setting.
	subst := func(pattern string) string {
		p := pattern
		switch {
		case strings.HasPrefix(p, "/containers/"):
			p = strings.Replace(p, "{id}", "watched", 1)
		case strings.HasPrefix(p, "/services/"):
			p = strings.Replace(p, "{id}", "ro-svc", 1)
		case strings.HasPrefix(p, "/networks/"):
			p = strings.Replace(p, "{id}", "ro-net", 1)
		case strings.HasPrefix(p, "/volumes/"):
			p = strings.Replace(p, "{name}", "ro-vol", 1)
		case strings.HasPrefix(p, "/nodes/"):
			p = strings.Replace(p, "{id}", nodes[0].ID, 1)
		case strings.HasPrefix(p, "/tasks/"):
			p = strings.Replace(p, "{id}", tasks[0].ID, 1)
		case strings.HasPrefix(p, "/configs/"):
			p = strings.Replace(p, "{id}", "ro-config", 1)
		case strings.HasPrefix(p, "/secrets/"):
			p = strings.Replace(p, "{id}", "ro-secret", 1)
		}
		return strings.NewReplacer("{id}", "x1", "{name}", "x1", "{*}", img).Replace(p)
	}
	extra := []struct{ method, path string }{
		{"GET", "/v1.41/images/" + img + "/get"},
		{"GET", "/v1.41/images/" + img + "/history"},
		{"GET", "/v1.41/images/get?names=" + img},
		{"GET", "/v1.41/containers/watched/archive?path=/bin"},
		{"HEAD", "/v1.41/containers/watched/archive?path=/bin"},
		{"PUT", "/v1.41/containers/watched/archive?path=/"},
		{"GET", "/v1.41/containers/watched/logs?stdout=1&stderr=1"},
		{"POST", "/v1.41/containers/watched/attach?stream=1&stdin=1"},
		{"POST", "/v1.41/images/" + img + "/tag?repo=ro-copy&tag=1"},
		{"DELETE", "/v1.41/images/" + img + "?force=1"},
		{"POST", "/v1.41/swarm/leave?force=1"},
		{"POST", "/v1.41/swarm/update?version=1"},
		{"DELETE", "/v1.41/secrets/ro-secret"},
		{"POST", "/v1.41/containers/create?name=ro-new"},
	}
	n := 0
	for _, r := range routes {
		if readOnlyRoutes[r.method+" "+r.pattern] && r.pattern != "/images/{*}" {
			continue
		}
		path := "/v1.41" + subst(r.pattern)
		if r.method == "GET" && r.pattern == "/images/{*}" {
			path = "/v1.41/images/" + img + "/history"
		}
		extra = append(extra, struct{ method, path string }{r.method, path})
		n++
	}
	if n < 60 {
		t.Fatalf("only %d routes tried", n)
	}
	for _, r := range extra {
		body := ""
		if r.method == "POST" || r.method == "PUT" {
			body = `{"Image":"` + img + `","Name":"ro-new"}`
		}
		code, ans := get(r.method, r.path, body)
		if code != http.StatusForbidden || r.method != "HEAD" && !strings.Contains(ans, "read-only API (enforce.api: read-only") {
			t.Errorf("%s %s: %d %.300s", r.method, r.path, code, ans)
		}
		for _, s := range secrets {
			if strings.Contains(ans, s) {
				t.Errorf("%s %s: the denial holds %s", r.method, r.path, s)
			}
		}
	}

	// The docker CLI, pointed at the proxy as a user would.
	if _, err := exec.LookPath("docker"); err == nil {
		cfgDir := t.TempDir()
		cli := func(args ...string) (string, error) {
			cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(cctx, "docker", args...)
			cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+ro.sock, "DOCKER_CONFIG="+cfgDir, "DOCKER_CLI_HINTS=false")
			cmd.Dir = cfgDir
			b, err := cmd.CombinedOutput()
			return string(b), err
		}
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"ps", "-a"}, "watched"},
			{[]string{"inspect", "watched"}, "DB_PASSWORD=<redacted>"},
			{[]string{"events", "--since", fmt.Sprint(start), "--until", fmt.Sprint(time.Now().Unix() + 2)}, "container start"},
			{[]string{"images"}, "dg-ro"},
			{[]string{"network", "ls"}, "ro-net"},
			{[]string{"volume", "ls"}, "ro-vol"},
			{[]string{"service", "ls"}, "ro-svc"},
			{[]string{"service", "ps", "ro-svc"}, "ro-svc.1"},
			{[]string{"node", "ls"}, "Leader"},
			{[]string{"stats", "--no-stream", "watched"}, "watched"},
			{[]string{"top", "watched"}, "sleep"},
			{[]string{"system", "df"}, "Images"},
			{[]string{"info"}, "Swarm: active"},
		} {
			out, err := cli(c.args...)
			if err != nil || !strings.Contains(out, c.want) {
				t.Errorf("docker %s through the read-only proxy: %v\n%s", strings.Join(c.args, " "), err, out)
			}
		}
		if err := os.WriteFile(filepath.Join(cfgDir, "planted"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"run", "--rm", img, "true"},
			{"create", "--name", "ro-new", img},
			{"exec", "watched", "true"},
			{"cp", "watched:/bin/busybox", filepath.Join(cfgDir, "out")},
			{"cp", filepath.Join(cfgDir, "planted"), "watched:/planted"},
			{"export", "-o", filepath.Join(cfgDir, "fs.tar"), "watched"},
			{"save", "-o", filepath.Join(cfgDir, "img.tar"), img},
			{"logs", "watched"},
			{"attach", "--no-stdin", "watched"},
			{"swarm", "join-token", "worker"},
			{"swarm", "unlock-key"},
			{"secret", "ls"},
			{"config", "ls"},
			{"config", "inspect", "ro-config"},
			{"stop", "watched"},
			{"rm", "-f", "watched"},
			{"network", "create", "ro-new"},
			{"volume", "create", "ro-new"},
			{"volume", "rm", "ro-vol"},
			{"service", "rm", "ro-svc"},
			{"service", "scale", "ro-svc=3"},
			{"tag", img, "ro-copy:1"},
			{"rmi", "-f", img},
			{"container", "prune", "-f"},
			{"swarm", "leave", "--force"},
		} {
			out, err := cli(args...)
			// The CLI does not print the body of a refused upgrade.
			if err == nil || !strings.Contains(out, "read-only API") && !(args[0] == "attach" && strings.Contains(out, "received 403")) {
				t.Errorf("docker %s through the read-only proxy: %v\n%s", strings.Join(args, " "), err, out)
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("docker %s: the output holds %s", strings.Join(args, " "), s)
				}
			}
		}
		for _, f := range []string{"out", "fs.tar", "img.tar"} {
			if st, err := os.Stat(filepath.Join(cfgDir, f)); err == nil && st.Size() > 0 {
				t.Errorf("%s was written (%d bytes)", f, st.Size())
			}
		}
	} else {
		t.Log("no docker CLI: the CLI checks are skipped")
	}

	// By effect: the daemon holds what it held, the container runs, and
	// nothing was copied into it.
	if after := daemonState(t, direct); after != before {
		t.Errorf("the daemon changed through the read-only proxy:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if code, _ := direct("HEAD", "/v1.41/containers/watched/archive?path=/planted", ""); code != http.StatusNotFound {
		t.Errorf("/planted in the container: HEAD archive answered %d", code)
	}
	if code, body := direct("GET", "/v1.41/containers/watched/json", ""); code != 200 || !strings.Contains(body, `"Running":true`) || !strings.Contains(body, "DB_PASSWORD=hunter2-1") {
		t.Errorf("watched after the test: %d %.300s", code, body)
	}

	// dockguard agent through a read-only proxy: it syncs (ping, info,
	// version, lists, inspects, top, services on this Swarm manager),
	// follows events, finds a privileged container created on the
	// daemon, and the proxy refused none of its requests.
	agentProxy := startRecordingProxy(t, New(Settings{Self: "dockguard", Config: config.Enforce{API: config.APIReadOnly}}, &EngineImages{Client: d.Client}), upstream)
	a, err := agent.New(agent.Options{Endpoint: engine.Endpoint{Host: "unix://" + agentProxy.sock}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	actx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(actx) })
	t.Cleanup(func() { cancel(); wg.Wait(); srv.Close() })
	waitFor(t, "the agent synced through the read-only proxy", func() bool { return a.Health().OK })
	priv, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "ro-priv",
		Config: &container.Config{Image: img, Cmd: []string{"sleep", "3600"}}, HostConfig: &container.HostConfig{Privileged: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, priv.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	waitFor(t, "the agent found the privileged container", func() bool {
		r, err := srv.Client().Get(srv.URL + "/report")
		if err != nil {
			return false
		}
		defer r.Body.Close()
		var doc report.Document
		if json.NewDecoder(r.Body).Decode(&doc) != nil {
			return false
		}
		for _, f := range doc.Findings {
			if f.Subject.Name == "ro-priv" && f.Slug == "privileged" {
				return true
			}
		}
		return false
	})
	t.Logf("agent through the read-only proxy: privileged container reported %v after its start", time.Since(t0).Round(time.Millisecond))
	if h := a.Health(); !h.OK {
		t.Errorf("agent health: %+v", h)
	}
	if den := agentProxy.deniedRoutes(); len(den) > 0 {
		t.Errorf("the read-only proxy refused the agent: %v", den)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
