package cli_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/cli"
	"github.com/dockguard/dockguard/internal/testenv"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestAgentProxyFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--proxy-listen", "tcp://127.0.0.1:2375"}, "--proxy-listen"},
		{[]string{"--proxy-listen", "unix://relative.sock"}, "--proxy-listen"},
		{[]string{"--proxy-listen", "unix:///tmp/x.sock", "--proxy-upstream", "tcp://127.0.0.1:2375"}, "--proxy-upstream"},
		{[]string{"--proxy-listen", "unix:///tmp/x.sock", "--proxy-api", "writable"}, "--proxy-api"},
	} {
		r := run(t, append([]string{"agent", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, tc.want) {
			t.Errorf("agent %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// TestAgentProxy runs the agent with --proxy-listen against a private
// daemon: it follows the engine through its own proxy socket, a request a
// client sends through that socket is decided by the policy of --config
// and counted on the agent's /metrics, next to the agent's own series, in a
// scrape that parses (one set of Go and process series), and SIGTERM stops
// both.
func TestAgentProxy(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	const img = "dg-agent-proxy-app:1"
	d.BuildImage(t, img, "FROM scratch\nCOPY app /\nUSER 10001:10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	dir := t.TempDir()
	// warn: the full profile lets a privileged create through, and says
	// so in its decisions; the read-only profile refuses it whatever the
	// mode.
	cfg := write(t, filepath.Join(dir, "dockguard.yaml"), "enforce:\n  mode: warn\n")
	sock := filepath.Join(dir, "ro.sock")
	privileged := `{"Image":"` + img + `","HostConfig":{"Privileged":true}}`

	t.Run("read-only", func(t *testing.T) {
		ag := startAgentWithProxy(t, d, cfg, sock)
		ag.waitMetrics(t, "the agent's first audit through its proxy", func(m metricFamilies) bool {
			return m.value("dockguard_synced", nil) == 1
		})
		code, body := ag.engine(t, http.MethodPost, "/containers/create?name=refused", privileged)
		if code != http.StatusForbidden {
			t.Fatalf("POST /containers/create through the read-only proxy: %d %s, want 403", code, body)
		}
		if code, body := ag.engine(t, http.MethodGet, "/_ping", ""); code != http.StatusOK {
			t.Errorf("GET /_ping through the proxy: %d %s", code, body)
		}
		// A privileged container planted beside the proxy: the agent,
		// following the engine through the proxy, reports it.
		plant(t, d, privileged, "planted")
		m := ag.waitMetrics(t, "the refused create counted and the planted container reported", func(m metricFamilies) bool {
			return m.value("dockguard_enforce_decisions_total", map[string]string{"outcome": "deny", "route": "/containers/create"}) == 1 &&
				m.has("dockguard_container_findings", map[string]string{"name": "planted", "slug": "privileged"})
		})
		// The agent's own reads went through the proxy and were allowed.
		if m.value("dockguard_enforce_decisions_total", map[string]string{"outcome": "allow", "route": "/events"}) < 1 {
			t.Errorf("no allowed GET /events decision: the agent does not follow the engine through its proxy")
		}
		if m.has("dockguard_container_findings", map[string]string{"name": "refused"}) {
			t.Errorf("the refused container exists")
		}
		ag.stop(t)
	})

	t.Run("full", func(t *testing.T) {
		ag := startAgentWithProxy(t, d, cfg, sock, "--proxy-api", "full")
		ag.waitMetrics(t, "the agent's first audit through its proxy", func(m metricFamilies) bool {
			return m.value("dockguard_synced", nil) == 1
		})
		code, body := ag.engine(t, http.MethodPost, "/containers/create?name=warned", privileged)
		if code != http.StatusCreated {
			t.Fatalf("POST /containers/create through the proxy in warn mode: %d %s, want 201", code, body)
		}
		ag.waitMetrics(t, "the warned create counted and the container reported", func(m metricFamilies) bool {
			return m.value("dockguard_enforce_decisions_total", map[string]string{"outcome": "warn", "route": "/containers/create"}) == 1 &&
				// DG330 is privileged.
				m.value("dockguard_enforce_violations_total", map[string]string{"rule": "DG330", "denied": "false"}) == 1 &&
				m.has("dockguard_container_findings", map[string]string{"name": "warned", "slug": "privileged"})
		})
		ag.stop(t)
	})
}

// plant creates a container on the daemon's own socket.
func plant(t *testing.T, d *testenv.Daemon, body, name string) {
	t.Helper()
	code, out := unixRequest(t, strings.TrimPrefix(d.Host, "unix://"), http.MethodPost, "/containers/create?name="+name, body)
	if code != http.StatusCreated {
		t.Fatalf("creating %s on the daemon: %d %s", name, code, out)
	}
}

func unixRequest(t *testing.T, sock, method, path, body string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequest(method, "http://docker"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type agentWithProxy struct {
	addr, sock string
	errb       *lockedBuffer
	done       chan int
	stopped    bool
}

func startAgentWithProxy(t *testing.T, d *testenv.Daemon, cfg, sock string, more ...string) *agentWithProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ag := &agentWithProxy{addr: ln.Addr().String(), sock: sock, errb: &lockedBuffer{}, done: make(chan int, 1)}
	ln.Close()
	args := append([]string{"agent", "--listen", ag.addr, "--config", cfg, "--log-format", "json", "--debounce", "50ms",
		"--proxy-listen", "unix://" + sock, "--proxy-upstream", d.Host}, more...)
	go func() {
		ag.done <- cli.Main(context.Background(), args, cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: ag.errb})
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent's log:\n%s", ag.errb.String())
		}
		if !ag.stopped {
			_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
			select {
			case <-ag.done:
			case <-time.After(20 * time.Second):
			}
		}
	})
	waitServing(t, ag.errb, ag.done)
	if !strings.Contains(ag.errb.String(), `"engine":"unix://`+sock+`"`) {
		t.Errorf("the agent does not follow the engine through its proxy socket:\n%s", ag.errb.String())
	}
	return ag
}

// engine sends a request to the engine through the agent's proxy socket.
func (ag *agentWithProxy) engine(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	return unixRequest(t, ag.sock, method, path, body)
}

// scrape gets /metrics and parses it with Prometheus' text parser; a
// registry gathered twice (duplicate series) fails the scrape with 500.
func (ag *agentWithProxy) scrape(t *testing.T) metricFamilies {
	t.Helper()
	resp, err := http.Get("http://" + ag.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, b)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if mf := mfs[name]; mf != nil && len(mf.GetMetric()) != 1 {
			t.Errorf("/metrics: %d %s series, want 1", len(mf.GetMetric()), name)
		}
	}
	if mfs["go_goroutines"] == nil {
		t.Errorf("/metrics: no go_goroutines")
	}
	return mfs
}

func (ag *agentWithProxy) waitMetrics(t *testing.T, what string, cond func(metricFamilies) bool) metricFamilies {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := ag.scrape(t)
		if cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			var sb strings.Builder
			for _, name := range []string{"dockguard_enforce_decisions_total", "dockguard_enforce_violations_total", "dockguard_container_findings"} {
				for _, s := range m[name].GetMetric() {
					fmt.Fprintf(&sb, "%s %v\n", name, s)
				}
			}
			t.Fatalf("after 30s, not %s; series:\n%s", what, sb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM: the agent and its proxy stop, it exits 0 and the
// proxy's socket is gone.
func (ag *agentWithProxy) stop(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ag.stopped = true
	select {
	case code := <-ag.done:
		if code != cli.ExitOK {
			t.Errorf("exit %d after SIGTERM, want 0:\n%s", code, ag.errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("agent still running 20s after SIGTERM")
	}
	if _, err := os.Stat(ag.sock); !os.IsNotExist(err) {
		t.Errorf("the proxy's socket is still there after SIGTERM (%v)", err)
	}
	if !strings.Contains(ag.errb.String(), `"msg":"stopped"`) {
		t.Errorf("no stop logged:\n%s", ag.errb.String())
	}
}

type metricFamilies map[string]*dto.MetricFamily

// find returns the first series of name whose labels include want.
func (m metricFamilies) find(name string, want map[string]string) *dto.Metric {
	for _, s := range m[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range s.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range want {
			ok = ok && labels[k] == v
		}
		if ok {
			return s
		}
	}
	return nil
}

func (m metricFamilies) has(name string, want map[string]string) bool {
	return m.find(name, want) != nil
}

// value is a counter's or a gauge's value, -1 when there is no such series.
func (m metricFamilies) value(name string, want map[string]string) float64 {
	s := m.find(name, want)
	switch {
	case s == nil:
		return -1
	case s.GetCounter() != nil:
		return s.GetCounter().GetValue()
	case s.GetGauge() != nil:
		return s.GetGauge().GetValue()
	}
	return -1
}
