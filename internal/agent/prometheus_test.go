package agent_test

// The deploy files under deploy/prometheus and deploy/grafana, proved
// against a real Prometheus (Debian's prometheus package): the alert rules
// pass promtool, Prometheus scrapes an agent that follows a private daemon,
// the critical-finding alert fires on a planted privileged container, and
// every query of the Grafana dashboard returns data. And the Swarm stack
// in deploy/swarm passes dockguard's own audit.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/ignore"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

const (
	deployDir = "../../deploy"
	promImage = "dg-agent-prom-box:1"
	// promLimit bounds every wait on Prometheus in this file.
	promLimit = 45 * time.Second
	// promHost is the host label the generated scrape config gives the
	// agent, as deploy/prometheus/prometheus.yml does from each target.
	promHost = "test-host"
)

// needProgram returns the path of a Prometheus program, skipping the test
// when it is not installed, or failing it where components are required
// (DOCKGUARD_TEST_DOCKER=required, as CI sets it).
func needProgram(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv(testenv.RequiredEnv) == "required" {
		t.Fatalf("%s is not installed (Debian: apt-get install prometheus), and %s=required", name, testenv.RequiredEnv)
	}
	t.Skipf("%s is not installed (Debian: apt-get install prometheus; set %s=required to fail instead)", name, testenv.RequiredEnv)
	return ""
}

// TestAlertRules: the shipped rules and scrape config pass promtool, and the
// rules' own unit tests (deploy/prometheus/alerts_test.yml) pass.
func TestAlertRules(t *testing.T) {
	promtool := needProgram(t, "promtool")
	dir := filepath.Join(deployDir, "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			t.Logf("promtool %s:\n%s", strings.Join(args, " "), strings.TrimSpace(string(out)))
		})
	}
}

// TestDeployStackAudit: dockguard's own audit of the Swarm stack finds
// nothing at or above medium but what an inline ignore justifies.
func TestDeployStackAudit(t *testing.T) {
	path := filepath.Join(deployDir, "swarm", "dockguard-stack.yml")
	res := audit.Run(context.Background(), audit.Options{ComposeFiles: []string{path}})
	for _, e := range res.Errors {
		t.Errorf("audit: %v", e)
	}
	kept, ignored, meta := ignore.Apply(res.Findings)
	for _, f := range append(kept, meta...) {
		if f.Severity.Rank() >= rules.Medium.Rank() {
			t.Errorf("%s:%d: %s %s %s (%s)", f.At.Path, f.At.Line, f.Severity, f.Rule.ID, f.Rule.Slug, f.Message)
		}
	}
	for _, i := range ignored {
		t.Logf("ignored inline: %s %s: %s", i.Finding.Severity, i.Finding.Rule.Slug, i.Reason)
	}
	if len(res.Findings) == 0 {
		t.Errorf("no findings at all: was %s audited?", path)
	}
}

// TestPrometheusScrapesAgent: an agent follows a private daemon and serves
// /metrics on loopback; a real Prometheus scrapes it every second and
// evaluates deploy/prometheus/alerts.yml every second. A privileged
// container, one with a dangerous capability, an OOM kill and a restart
// storm are planted: the critical-finding alert (and the restart storm
// alert) fire, and every query of deploy/grafana/dockguard.json returns
// data.
func TestPrometheusScrapesAgent(t *testing.T) {
	promBin := needProgram(t, "prometheus")
	t0 := time.Now()
	d := testenv.Start(t, testenv.Options{})
	d.BuildImage(t, promImage, "FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n", testenv.Files{"busybox": testenv.Busybox(t)})

	// The agent, served as `dockguard agent` serves it.
	a, err := agent.New(agent.Options{
		Endpoint:      engine.Endpoint{Host: d.Host},
		StormRestarts: 3,
		StormWindow:   time.Minute,
		Logger:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Serve(ctx, ln); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	p := startPrometheus(t, promBin, ln.Addr().String())
	p.wait(t, "the agent is not scraped", func() (bool, string) {
		v, body := p.values(t, `up{job="dockguard-agent"}`)
		return len(v) == 1 && v[0] == 1, body
	})
	t.Logf("dockerd, agent and Prometheus up and scraping after %v", time.Since(t0).Round(time.Millisecond))

	// What the alerts and the dashboard are about.
	ctr := func(name string, cmd []string, hc *container.HostConfig, start bool) {
		res, err := d.Client.ContainerCreate(context.Background(), client.ContainerCreateOptions{
			Name: name, Config: &container.Config{Image: promImage, Cmd: cmd}, HostConfig: hc,
		})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if start {
			if _, err := d.Client.ContainerStart(context.Background(), res.ID, client.ContainerStartOptions{}); err != nil {
				t.Fatalf("start %s: %v", name, err)
			}
		}
	}
	planted := time.Now()
	ctr("priv", []string{"true"}, &container.HostConfig{Privileged: true}, false)
	ctr("admin", []string{"true"}, &container.HostConfig{CapAdd: []string{"SYS_ADMIN"}}, false)
	// busybox dd allocates one block of bs bytes: far past the limit.
	ctr("hog", []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"},
		&container.HostConfig{Resources: container.Resources{Memory: 32 << 20, MemorySwap: 32 << 20}}, true)
	ctr("crashy", []string{"false"},
		&container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}, true)

	t.Run("critical finding alert fires", func(t *testing.T) {
		p.wait(t, "DockguardCriticalFinding is not firing for the privileged container", func() (bool, string) {
			alerts, body := p.alerts(t)
			for _, al := range alerts {
				if al.Labels["alertname"] == "DockguardCriticalFinding" && al.Labels["slug"] == "privileged" &&
					al.Labels["host"] == promHost && al.State == "firing" {
					return true, body
				}
			}
			return false, body
		})
		t.Logf("privileged container created → DockguardCriticalFinding firing in Prometheus: %v", time.Since(planted).Round(time.Millisecond))
		v, body := p.values(t, `dockguard_container_findings{kind="container",name="priv",severity="critical",slug="privileged"}`)
		if len(v) != 1 || v[0] != 1 {
			t.Errorf("the privileged container's series in Prometheus: %s", body)
		}
	})

	t.Run("restart storm alert fires", func(t *testing.T) {
		p.wait(t, "DockguardRestartStorm is not firing for crashy", func() (bool, string) {
			alerts, body := p.alerts(t)
			for _, al := range alerts {
				if al.Labels["alertname"] == "DockguardRestartStorm" && al.Labels["name"] == "crashy" && al.State == "firing" {
					return true, body
				}
			}
			return false, body
		})
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		exprs, vars := dashboardQueries(t, filepath.Join(deployDir, "grafana", "dockguard.json"))
		if len(exprs) < 10 {
			t.Fatalf("only %d queries in the dashboard", len(exprs))
		}
		// The host variable's values, as Grafana's label_values asks for them.
		for _, v := range vars {
			m := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`).FindStringSubmatch(v)
			if m == nil {
				t.Errorf("template variable query %q: want label_values(metric, label)", v)
				continue
			}
			p.wait(t, "no values for "+v, func() (bool, string) {
				body := p.get(t, "/api/v1/label/"+m[2]+"/values?"+url.Values{"match[]": {m[1]}}.Encode())
				return strings.Contains(body, `"`+promHost+`"`), body
			})
		}
		pending := map[string]string{} // query → the last answer
		for _, e := range exprs {
			pending[e] = ""
		}
		deadline := time.Now().Add(promLimit)
		for len(pending) > 0 && time.Now().Before(deadline) {
			for e := range pending {
				v, body := p.values(t, e)
				ok := false
				for _, x := range v {
					if !math.IsNaN(x) {
						ok = true
					}
				}
				if ok {
					delete(pending, e)
				} else {
					pending[e] = body
				}
			}
			if len(pending) > 0 {
				time.Sleep(500 * time.Millisecond)
			}
		}
		for e, body := range pending {
			t.Errorf("no data after %v for the dashboard query\n  %s\n  answer: %s", promLimit, e, body)
		}
		if len(pending) > 0 {
			return
		}
		t.Logf("%d dashboard queries, each with data %v after the containers were planted", len(exprs), time.Since(planted).Round(time.Millisecond))
	})
	t.Logf("whole test: %v", time.Since(t0).Round(time.Millisecond))
}

// promServer is a Prometheus server started by the test.
type promServer struct {
	url string
	log string
}

// startPrometheus runs Prometheus on a free loopback port with a config
// that scrapes the agent at target every second and evaluates the shipped
// alert rules every second. The shipped rules wait (`for:`) minutes before
// firing; the copy the test loads waits 0s, and is otherwise the same.
func startPrometheus(t *testing.T, bin, target string) *promServer {
	t.Helper()
	dir := t.TempDir()
	rules, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	forRE := regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`)
	if len(forRE.FindAll(rules, -1)) == 0 {
		t.Fatalf("alerts.yml has no for: to shorten")
	}
	rules = forRE.ReplaceAll(rules, []byte("${1}0s"))
	if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - alerts.yml
scrape_configs:
  - job_name: dockguard-agent
    static_configs:
      - targets: [%q]
        labels:
          host: %q
`, target, promHost)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &promServer{log: filepath.Join(dir, "prometheus.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	addr := freePort(t)
	p.url = "http://" + addr
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--storage.tsdb.retention.time=1h",
		"--web.listen-address="+addr,
		"--log.level=info",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so that nothing it starts outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			p.tail(t)
		}
	})
	t.Logf("prometheus pid %d on %s", cmd.Process.Pid, addr)
	deadline := time.Now().Add(promLimit)
	for {
		select {
		case <-exited:
			p.tail(t)
			t.Fatalf("prometheus exited at start")
		default:
		}
		if resp, err := http.Get(p.url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			p.tail(t)
			t.Fatalf("prometheus not ready after %v", promLimit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a loopback address no one listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (p *promServer) tail(t *testing.T) {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	t.Logf("prometheus log (tail):\n%s", b)
}

func (p *promServer) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// values runs an instant query and returns its samples' values (a scalar
// is one value), with the raw answer for messages.
func (p *promServer) values(t *testing.T, query string) ([]float64, string) {
	t.Helper()
	body := p.get(t, "/api/v1/query?"+url.Values{"query": {query}}.Encode())
	var r struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", query, err, body)
	}
	parse := func(v []any) float64 {
		s, _ := v[1].(string)
		f, _ := strconv.ParseFloat(s, 64)
		if s == "NaN" {
			return math.NaN()
		}
		return f
	}
	var out []float64
	switch r.Data.ResultType {
	case "vector":
		var vec []struct {
			Value []any `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			t.Fatalf("query %s: %v", query, err)
		}
		for _, s := range vec {
			out = append(out, parse(s.Value))
		}
	case "scalar":
		var v []any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			t.Fatalf("query %s: %v", query, err)
		}
		out = append(out, parse(v))
	default:
		t.Fatalf("query %s: result type %s", query, r.Data.ResultType)
	}
	return out, body
}

type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func (p *promServer) alerts(t *testing.T) ([]promAlert, string) {
	t.Helper()
	body := p.get(t, "/api/v1/alerts")
	var r struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("/api/v1/alerts: %v %s", err, body)
	}
	return r.Data.Alerts, body
}

// wait polls cond until it holds, and fails the test after promLimit with
// cond's last answer.
func (p *promServer) wait(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(promLimit)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s; last answer:\n%s", promLimit, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dashboardQueries returns every panel target's expression in a Grafana
// dashboard (rows' nested panels too), with its template variables given
// the values that select everything: query variables their "All" (.*), the
// interval variables a minute. It also returns the variables' own queries.
func dashboardQueries(t *testing.T, path string) (exprs, varQueries []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	values := map[string]string{"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}
	for _, v := range dash.Templating.List {
		switch v.Type {
		case "query", "custom", "textbox":
			values[v.Name] = ".*"
			if v.Type == "query" {
				varQueries = append(varQueries, v.Definition)
			}
		}
	}
	varRE := regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)
	var walk func(raw []json.RawMessage)
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p panel
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, tg := range p.Targets {
				if tg.Expr == "" {
					t.Errorf("panel %q has a target without expr", p.Title)
					continue
				}
				e := varRE.ReplaceAllStringFunc(tg.Expr, func(m string) string {
					sm := varRE.FindStringSubmatch(m)
					name := sm[1] + sm[2] + sm[3]
					v, ok := values[name]
					if !ok {
						t.Errorf("panel %q: unknown variable %s in %s", p.Title, m, tg.Expr)
					}
					return v
				})
				exprs = append(exprs, e)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	sort.Strings(exprs)
	return exprs, varQueries
}
