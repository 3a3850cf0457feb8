package agent_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

const (
	appImage  = "dg-agent-app:1"
	boxImage  = "dg-agent-box:1"
	pollLimit = 60 * time.Second
)

// running is an agent started in the test process against a private
// daemon, with its HTTP handler on a loopback server.
type running struct {
	a   *agent.Agent
	url string
}

func startAgent(t testing.TB, host string, opts agent.Options) *running {
	t.Helper()
	opts.Endpoint = engine.Endpoint{Host: host}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	a, err := agent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Run(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		srv.Close()
	})
	return &running{a: a, url: srv.URL}
}

// testWriter sends the agent's logs to the test log, so a failure shows
// what the agent did.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (r *running) get(t testing.TB, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(r.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func (r *running) report(t testing.TB) (*report.Document, http.Header) {
	t.Helper()
	code, h, body := r.get(t, "/report")
	if code != http.StatusOK {
		return nil, h
	}
	var d report.Document
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("/report: %v\n%s", err, body)
	}
	return &d, h
}

// metric returns the value of the series whose name and labels start
// with series (`name{a="b"`), summed over the other labels, and whether
// any matched.
func (r *running) metric(t testing.TB, series string) (float64, bool) {
	t.Helper()
	_, _, body := r.get(t, "/metrics")
	return metricIn(body, series)
}

func metricIn(body, series string) (float64, bool) {
	var sum float64
	found := false
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || !strings.HasPrefix(l, series) {
			continue
		}
		rest := l[len(series):]
		if !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, ",") && !strings.HasPrefix(rest, "}") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

func hasFinding(d *report.Document, name, slug string) bool {
	if d == nil {
		return false
	}
	for _, f := range d.Findings {
		if f.Subject.Name == name && f.Slug == slug {
			return true
		}
	}
	return false
}

// poll calls cond until it holds, and fails the test after pollLimit.
func poll(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > pollLimit {
			t.Fatalf("after %v: %s", pollLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(t0)
}

func buildImages(t testing.TB, d *testenv.Daemon) {
	t.Helper()
	d.BuildImage(t, appImage, "FROM scratch\nCOPY app /\nUSER 10001:10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	d.BuildImage(t, boxImage, "FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n", testenv.Files{"busybox": testenv.Busybox(t)})
}

func create(t testing.TB, cli *client.Client, name string, cfg *container.Config, hc *container.HostConfig, start bool) string {
	t.Helper()
	ctx := context.Background()
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if start {
		if _, err := cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
	}
	return res.ID
}

func waitSynced(t testing.TB, r *running) {
	t.Helper()
	poll(t, "agent never synced", func() bool { return r.a.Health().OK })
}

// TestAgentFollowsEngine: containers come and go on a private daemon and
// the agent's metrics and report follow: a privileged container appears
// and disappears, an OOM kill and a restart storm are counted.
func TestAgentFollowsEngine(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	r := startAgent(t, d.Host, agent.Options{StormRestarts: 3, StormWindow: time.Minute})
	waitSynced(t, r)
	if code, _, body := r.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if v, _ := r.metric(t, "dockguard_engine_up"); v != 1 {
		t.Errorf("dockguard_engine_up = %v, want 1", v)
	}

	t.Run("privileged appears and disappears", func(t *testing.T) {
		t0 := time.Now()
		id := create(t, d.Client, "priv", &container.Config{Image: appImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{Privileged: true}, false)
		poll(t, "privileged container not in /report", func() bool {
			doc, _ := r.report(t)
			return hasFinding(doc, "priv", "privileged")
		})
		t.Logf("create → finding in /report: %v (from before the create call)", time.Since(t0).Round(time.Millisecond))
		series := `dockguard_container_findings{kind="container",name="priv",rule="DG330",severity="critical",slug="privileged"}`
		if v, ok := r.metric(t, series); !ok || v != 1 {
			_, _, body := r.get(t, "/metrics")
			t.Fatalf("%s = %v, %v\n%s", series, v, ok, grep(body, "dockguard_container_findings"))
		}
		if v, ok := r.metric(t, `dockguard_findings{rule="DG330",severity="critical"`); !ok || v < 1 {
			t.Errorf("dockguard_findings for DG330 = %v, %v", v, ok)
		}
		if _, err := d.Client.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		t0 = time.Now()
		poll(t, "removed container still in /report", func() bool {
			doc, _ := r.report(t)
			return doc != nil && !hasFinding(doc, "priv", "privileged")
		})
		t.Logf("remove → finding gone from /report: %v", time.Since(t0).Round(time.Millisecond))
		if _, ok := r.metric(t, `dockguard_container_findings{kind="container",name="priv"`); ok {
			t.Errorf("the removed container still has series")
		}
		// A container whose worst finding is below the minimum severity
		// gets no series of its own.
		create(t, d.Client, "plain", &container.Config{Image: appImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{}, false)
		poll(t, "plain container not audited", func() bool {
			v, _ := r.metric(t, "dockguard_containers")
			return v == 1
		})
		if _, ok := r.metric(t, `dockguard_container_findings{kind="container",name="plain"`); ok {
			t.Errorf("a container without a high finding has series of its own")
		}
		if v, ok := r.metric(t, "dockguard_event_to_findings_seconds_count"); ok {
			sum, _ := r.metric(t, "dockguard_event_to_findings_seconds_sum")
			t.Logf("event → findings over %v audits: mean %v", v, time.Duration(sum/v*float64(time.Second)).Round(time.Millisecond))
		}
		if v, ok := r.metric(t, "dockguard_audit_duration_seconds_count"); ok {
			sum, _ := r.metric(t, "dockguard_audit_duration_seconds_sum")
			t.Logf("full audit over %v audits: mean %v", v, time.Duration(sum/v*float64(time.Second)).Round(time.Millisecond))
		}
	})

	t.Run("OOM kill counted", func(t *testing.T) {
		// busybox dd allocates a block of bs bytes and fills it: far past
		// the limit, with no swap to spill into.
		create(t, d.Client, "hog", &container.Config{Image: boxImage, Cmd: []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"}},
			&container.HostConfig{Resources: container.Resources{Memory: 32 << 20, MemorySwap: 32 << 20}}, true)
		poll(t, "no OOM kill counted", func() bool {
			v, _ := r.metric(t, "dockguard_oom_kills_total")
			return v >= 1
		})
		poll(t, "the audit does not show the OOM-killed container", func() bool {
			v, _ := r.metric(t, "dockguard_containers_oom_killed")
			return v >= 1
		})
	})

	t.Run("restart storm counted", func(t *testing.T) {
		create(t, d.Client, "crashy", &container.Config{Image: appImage, Cmd: []string{"exit", "1"}},
			&container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}, true)
		poll(t, "no restart storm counted", func() bool {
			v, _ := r.metric(t, "dockguard_restart_storms_total")
			return v >= 1
		})
		if v, ok := r.metric(t, `dockguard_container_restart_storm{name="crashy"}`); !ok || v != 1 {
			t.Errorf(`dockguard_container_restart_storm{name="crashy"} = %v, %v`, v, ok)
		}
		if v, _ := r.metric(t, "dockguard_container_dies_total"); v < 3 {
			t.Errorf("dockguard_container_dies_total = %v, want at least 3", v)
		}
		poll(t, "the storming container's restart count is not served", func() bool {
			v, ok := r.metric(t, `dockguard_container_restarts{name="crashy"}`)
			return ok && v >= 1
		})
	})

	t.Run("SARIF", func(t *testing.T) {
		code, h, body := r.get(t, "/report?format=sarif")
		if code != http.StatusOK || !strings.Contains(body, `"version": "2.1.0"`) {
			t.Fatalf("/report?format=sarif: %d %s\n%.300s", code, h.Get("Content-Type"), body)
		}
		if code, _, _ := r.get(t, "/report?format=xml"); code != http.StatusBadRequest {
			t.Errorf("/report?format=xml: %d, want 400", code)
		}
	})
}

// TestAgentDaemonRestart: the daemon at the agent's address stops, and a
// daemon starts there again with other containers. The agent says it is
// unhealthy and its findings stale while it is gone, reconnects, audits
// again, and serves what the new daemon holds.
func TestAgentDaemonRestart(t *testing.T) {
	d1 := testenv.Start(t, testenv.Options{})
	buildImages(t, d1)
	sock := filepath.Join(t.TempDir(), "docker.sock")
	point := func(d *testenv.Daemon) {
		tmp := sock + ".new"
		_ = os.Remove(tmp)
		if err := os.Symlink(strings.TrimPrefix(d.Host, "unix://"), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, sock); err != nil {
			t.Fatal(err)
		}
	}
	point(d1)
	r := startAgent(t, "unix://"+sock, agent.Options{PingInterval: 500 * time.Millisecond, PingTimeout: 500 * time.Millisecond, MaxBackoff: time.Second})
	waitSynced(t, r)
	create(t, d1.Client, "before", &container.Config{Image: appImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{Privileged: true}, false)
	poll(t, "container before the restart not reported", func() bool {
		doc, _ := r.report(t)
		return hasFinding(doc, "before", "privileged")
	})

	// A hung daemon keeps its event stream open and says nothing: only
	// the pings tell.
	if err := syscall.Kill(d1.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	poll(t, "/healthz still 200 with the daemon frozen", func() bool {
		code, _, _ := r.get(t, "/healthz")
		return code == http.StatusServiceUnavailable
	})
	t.Logf("daemon frozen → /healthz 503 after %v", time.Since(t0).Round(time.Millisecond))
	if err := syscall.Kill(d1.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	poll(t, "/healthz not 200 again after the daemon thawed", func() bool {
		code, _, _ := r.get(t, "/healthz")
		return code == http.StatusOK
	})
	t.Logf("daemon thawed → /healthz 200 after %v", time.Since(t0).Round(time.Millisecond))

	if err := syscall.Kill(d1.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	poll(t, "/healthz still 200 with the daemon stopped", func() bool {
		code, _, _ := r.get(t, "/healthz")
		return code == http.StatusServiceUnavailable
	})
	t.Logf("daemon stopped → /healthz 503 after %v", time.Since(t0).Round(time.Millisecond))
	_, _, body := r.get(t, "/healthz")
	if !strings.Contains(body, "stale") {
		t.Errorf("/healthz does not say the findings are stale:\n%s", body)
	}
	doc, h := r.report(t)
	if h.Get("X-Dockguard-Stale") != "true" || doc == nil || len(doc.Notes) == 0 || !strings.HasPrefix(doc.Notes[0].Message, "stale:") {
		t.Errorf("/report while the daemon is down is not marked stale: header %q", h.Get("X-Dockguard-Stale"))
	}
	if !hasFinding(doc, "before", "privileged") {
		t.Errorf("the last findings are no longer served while the daemon is down")
	}
	if v, _ := r.metric(t, "dockguard_engine_up"); v != 0 {
		t.Errorf("dockguard_engine_up = %v while the daemon is down", v)
	}
	if v, _ := r.metric(t, "dockguard_synced"); v != 0 {
		t.Errorf("dockguard_synced = %v while the daemon is down", v)
	}

	d2 := testenv.Start(t, testenv.Options{})
	buildImages(t, d2)
	create(t, d2.Client, "after", &container.Config{Image: appImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{Privileged: true}, false)
	point(d2)
	t0 = time.Now()
	poll(t, "/healthz not 200 again after the daemon came back", func() bool {
		code, _, _ := r.get(t, "/healthz")
		return code == http.StatusOK
	})
	t.Logf("daemon back → /healthz 200 after %v", time.Since(t0).Round(time.Millisecond))
	doc, h = r.report(t)
	if h.Get("X-Dockguard-Stale") != "false" {
		t.Errorf("X-Dockguard-Stale = %q after the resync", h.Get("X-Dockguard-Stale"))
	}
	if hasFinding(doc, "before", "privileged") || !hasFinding(doc, "after", "privileged") {
		t.Errorf("after the resync the report does not show the new daemon's containers")
	}
	if v, _ := r.metric(t, `dockguard_audits_total{reason="connect"}`); v < 3 {
		t.Errorf("audits on connect = %v, want 3 (start, thaw, new daemon)", v)
	}
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
