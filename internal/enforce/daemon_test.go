package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

func bypassIDs(as []Advisory) []string {
	ids := []string{}
	for _, a := range as {
		ids = append(ids, a.CVE)
	}
	return ids
}

func TestKnownBypasses(t *testing.T) {
	const (
		zeroLen = "CVE-2024-41110"
		bigBody = "CVE-2026-34040"
		privs   = "CVE-2026-33997"
		archive = "CVE-2026-41567"
	)
	for _, c := range []struct {
		version string
		want    []string
	}{
		// Debian 12's docker.io: in every range by its upstream number
		// (its CVE-2024-41110 backport cannot be seen in the version).
		{"20.10.24+dfsg1", []string{zeroLen, bigBody, privs, archive}},
		{"5:20.10.24+dfsg1-1+deb12u1", []string{zeroLen, bigBody, privs, archive}},
		{"17.03.2-ce", []string{zeroLen, bigBody, privs, archive}},
		{"18.09.0", []string{zeroLen, bigBody, privs, archive}},
		{"18.09.1", []string{bigBody, privs, archive}}, // first fix of the zero-length bug
		{"19.03.15", []string{zeroLen, bigBody, privs, archive}},
		{"23.0.14", []string{zeroLen, bigBody, privs, archive}},
		{"23.0.15", []string{bigBody, privs, archive}},
		{"24.0.9", []string{zeroLen, bigBody, privs, archive}},
		{"25.0.5", []string{zeroLen, bigBody, privs, archive}},
		{"25.0.6-ce", []string{bigBody, privs, archive}},
		{"25.0.16", []string{privs, archive}},
		{"26.0.2", []string{zeroLen, bigBody, privs, archive}},
		{"26.1.4", []string{zeroLen, bigBody, privs, archive}},
		{"26.1.5", []string{bigBody, privs, archive}},
		{"27.0.3", []string{zeroLen, bigBody, privs, archive}},
		{"27.1.0", []string{zeroLen, bigBody, privs, archive}},
		{"27.1.1", []string{bigBody, privs, archive}},
		{"v27.1.1", []string{bigBody, privs, archive}},
		{"27.1.1-rc.1", []string{zeroLen, bigBody, privs, archive}},
		{"28.5.2", []string{bigBody, privs, archive}},
		{"29.3.0", []string{bigBody, privs, archive}},
		{"29.3.1", []string{archive}},
		{"29.5.0", []string{archive}},
		{"29.5.1", []string{}},
		{"30.0.0", []string{}},
		{"garbage", []string{}},
		{"", []string{}},
		{"dev", []string{}},
	} {
		if got := bypassIDs(KnownBypasses(c.version)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("KnownBypasses(%q) = %v, want %v", c.version, got, c.want)
		}
	}
}

// TestBypassesAgreeWithCVETable keeps this table and the audit's
// (internal/cves, rule DG104) in step on the versions where both have
// data; they differ on purpose before 19.03 (the audit's table starts
// CVE-2024-41110 at 19.03.0, this one also warns of the same flaw before
// its first fix in 18.09.1) and on 25.0.16 and later 25.0 releases (this
// table counts the fix moby's v25.0.16 tag carries for CVE-2026-34040).
func TestBypassesAgreeWithCVETable(t *testing.T) {
	engine := map[string]*cves.CVE{}
	for _, c := range cves.MustLoad().For(cves.Engine) {
		engine[c.ID] = c
	}
	versions := []string{"19.03.15", "20.10.24", "23.0.14", "23.0.15", "24.0.9", "25.0.5", "25.0.6", "25.0.15",
		"26.0.2", "26.1.4", "26.1.5", "27.0.3", "27.1.0", "27.1.1", "28.5.2", "29.3.0", "29.3.1", "29.5.0", "29.5.1"}
	for _, a := range knownBypasses {
		c := engine[a.CVE]
		if c == nil {
			continue // CVE-2026-33997 is not in the audit's table
		}
		for _, s := range versions {
			v := cves.MustParse(s)
			audit, _ := c.Affects(v)
			if a.affects(v) != audit {
				t.Errorf("%s at %s: enforce says affected=%v, the audit's table %v", a.CVE, s, a.affects(v), audit)
			}
		}
	}
	for _, a := range knownBypasses {
		if !strings.HasPrefix(a.GHSA, "GHSA-") || a.Allows == "" || a.Fixed == "" || a.Dockguard == "" || len(a.Affected) == 0 {
			t.Errorf("%s: incomplete entry", a.CVE)
		}
		for _, r := range a.Affected {
			if _, ok := cves.Parse(r.To); !ok || (r.From != "" && cves.Compare(cves.MustParse(r.From), cves.MustParse(r.To)) >= 0) {
				t.Errorf("%s: bad range %v", a.CVE, r)
			}
		}
	}
}

// syncBuffer is a log sink the check writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines decodes JSON log lines.
func logLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// daemonGauges gathers the daemon gauges: "name{labels}" → value.
func daemonGauges(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "dockguard_enforce_daemon_") {
			continue
		}
		for _, mt := range mf.GetMetric() {
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = mt.GetGauge().GetValue()
		}
	}
	return out
}

// fakeDaemon answers /_ping and /version on a unix socket with version.
func fakeDaemon(version, api string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", api)
		if strings.HasSuffix(r.URL.Path, "/version") {
			_ = json.NewEncoder(w).Encode(map[string]string{"Version": version, "ApiVersion": api, "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64"})
			return
		}
		_, _ = io.WriteString(w, "OK")
	})
}

func shortSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dgd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "d.sock")
}

func serveUnix(t *testing.T, sock string, h http.Handler) {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
}

func newClient(t *testing.T, sock string) *client.Client {
	t.Helper()
	c, err := client.New(client.WithHost("unix://" + sock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCheckDaemonFake(t *testing.T) {
	for _, c := range []struct {
		version string
		want    []string
		distro  bool
	}{
		{"27.1.0", []string{"CVE-2024-41110", "CVE-2026-34040", "CVE-2026-33997", "CVE-2026-41567"}, false},
		{"20.10.24+dfsg1", []string{"CVE-2024-41110", "CVE-2026-34040", "CVE-2026-33997", "CVE-2026-41567"}, true},
		{"29.3.1", []string{"CVE-2026-41567"}, false},
		{"29.5.1", []string{}, false},
		{"garbage", []string{}, false},
	} {
		t.Run(c.version, func(t *testing.T) {
			sock := shortSocket(t)
			serveUnix(t, sock, fakeDaemon(c.version, "1.41"))
			var logb syncBuffer
			m := NewMetrics()
			got, err := CheckDaemon(context.Background(), newClient(t, sock), slog.New(slog.NewJSONHandler(&logb, nil)), m)
			if err != nil {
				t.Fatal(err)
			}
			if ids := bypassIDs(got); !reflect.DeepEqual(ids, c.want) {
				t.Errorf("advisories %v, want %v", ids, c.want)
			}
			lines := logLines(t, logb.String())
			var warned []string
			info, unreadable := false, false
			for _, l := range lines {
				switch l["msg"] {
				case "daemon":
					info = l["level"] == "INFO" && l["version"] == c.version && l["api_version"] == "1.41"
				case "daemon version has a known authorization bypass":
					warned = append(warned, l["cve"].(string))
					if l["level"] != "WARN" || l["version"] != c.version || l["fixed"] == "" || l["dockguard"] == "" || l["allows"] == "" {
						t.Errorf("warning lacks fields: %v", l)
					}
					note, _ := l["note"].(string)
					if c.distro != strings.Contains(note, "false alarm") || (c.distro && !strings.Contains(note, l["cve"].(string))) {
						t.Errorf("distribution note %q (distribution build: %v)", note, c.distro)
					}
				case "daemon version could not be read: it was not checked against known authorization bypasses":
					unreadable = l["level"] == "WARN"
				}
			}
			if !info {
				t.Errorf("no info line with version %s and API 1.41: %s", c.version, logb.String())
			}
			if warned == nil {
				warned = []string{}
			}
			if !reflect.DeepEqual(warned, c.want) {
				t.Errorf("warned of %v, want %v", warned, c.want)
			}
			if unreadable != (c.version == "garbage") {
				t.Errorf("unreadable-version warning: %v: %s", unreadable, logb.String())
			}
			want := map[string]float64{`dockguard_enforce_daemon_info{api_version=1.41,version=` + c.version + `}`: 1}
			for _, id := range c.want {
				want["dockguard_enforce_daemon_known_bypass{cve="+id+"}"] = 1
			}
			if g := daemonGauges(t, m); !reflect.DeepEqual(g, want) {
				t.Errorf("gauges %v, want %v", g, want)
			}
		})
	}
}

// TestCheckDaemonRetry: the plugin starts before dockerd; the check asks
// again until the daemon answers, and gives up after RetryFor.
func TestCheckDaemonRetry(t *testing.T) {
	sock := shortSocket(t)
	var logb syncBuffer
	m := NewMetrics()
	time.AfterFunc(300*time.Millisecond, func() {
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Error(err)
			return
		}
		srv := &http.Server{Handler: fakeDaemon("29.3.0", "1.54")}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { srv.Close() })
	})
	chk := &DaemonCheck{Client: newClient(t, sock), Log: slog.New(slog.NewJSONHandler(&logb, nil)), Metrics: m, RetryFor: 10 * time.Second, Backoff: 50 * time.Millisecond}
	got, err := chk.Run(context.Background())
	if err != nil {
		t.Fatalf("%v: %s", err, logb.String())
	}
	if ids := bypassIDs(got); !reflect.DeepEqual(ids, []string{"CVE-2026-34040", "CVE-2026-33997", "CVE-2026-41567"}) {
		t.Errorf("advisories %v", ids)
	}
	s := logb.String()
	if strings.Count(s, "daemon not answering yet") != 1 || !strings.Contains(s, `"version":"29.3.0"`) {
		t.Errorf("log: %s", s)
	}

	// Nothing ever answers: bounded, a warning, no gauges.
	logb = syncBuffer{}
	m = NewMetrics()
	chk = &DaemonCheck{Client: newClient(t, shortSocket(t)), Log: slog.New(slog.NewJSONHandler(&logb, nil)), Metrics: m, RetryFor: 300 * time.Millisecond, Backoff: 50 * time.Millisecond}
	start := time.Now()
	if _, err := chk.Run(context.Background()); err == nil {
		t.Error("no error from a daemon that never answers")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if s := logb.String(); !strings.Contains(s, `"level":"WARN","msg":"daemon version unknown: it was not checked against known authorization bypasses"`) {
		t.Errorf("log: %s", s)
	}
	if g := daemonGauges(t, m); len(g) != 0 {
		t.Errorf("gauges without a daemon: %v", g)
	}

	// Cancelled (the plugin stops): the check ends at once.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	chk = &DaemonCheck{Client: newClient(t, shortSocket(t)), RetryFor: time.Minute, Backoff: 10 * time.Second}
	start = time.Now()
	if _, err := chk.Run(ctx); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled check: %v after %v", err, time.Since(start))
	}
}

// TestCheckDaemonReal asks a real private dockerd (Debian's docker.io
// 20.10.24 on the CI machines) through dockguard's own plugin, as the
// plugin does at start once dockerd names it.
func TestCheckDaemonReal(t *testing.T) {
	p := NewPlugin(New(Settings{Self: "dockguard"}, &lazyImages{}), slog.New(slog.NewJSONHandler(testWriter{t}, nil)))
	d := testenv.Start(t, testenv.Options{AuthzPlugins: []testenv.Plugin{{Name: "dockguard", Handler: p}}})
	out, err := exec.Command("dockerd", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	// "Docker version 20.10.24+dfsg1, build 5d6db84"
	f := strings.Fields(strings.TrimPrefix(string(out), "Docker version "))
	if len(f) == 0 {
		t.Fatalf("dockerd --version: %q", out)
	}
	version := strings.TrimSuffix(f[0], ",")
	c := newClient(t, strings.TrimPrefix(d.Host, "unix://"))
	var logb syncBuffer
	m := NewMetrics()
	got, err := CheckDaemon(context.Background(), c, slog.New(slog.NewJSONHandler(&logb, nil)), m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("daemon %s: %s", version, logb.String())
	var api string
	for _, l := range logLines(t, logb.String()) {
		if l["msg"] == "daemon" {
			if l["version"] != version {
				t.Errorf("logged version %v, dockerd --version says %s", l["version"], version)
			}
			api, _ = l["api_version"].(string)
		}
	}
	if api == "" {
		t.Fatalf("no daemon line with an API version: %s", logb.String())
	}
	want := map[string]float64{"dockguard_enforce_daemon_info{api_version=" + api + ",version=" + version + "}": 1}
	for _, a := range KnownBypasses(version) {
		want["dockguard_enforce_daemon_known_bypass{cve="+a.CVE+"}"] = 1
	}
	if g := daemonGauges(t, m); !reflect.DeepEqual(g, want) {
		t.Errorf("gauges %v, want %v", g, want)
	}
	if !reflect.DeepEqual(bypassIDs(got), bypassIDs(KnownBypasses(version))) || strings.Count(logb.String(), "known authorization bypass\"") != len(got) {
		t.Errorf("reported %v: %s", bypassIDs(got), logb.String())
	}
	// Debian's 20.10.24 is in the range of CVE-2026-34040 whatever it
	// backported (no 20.10 fix exists upstream), and reads API 1.41.
	if strings.HasPrefix(version, "20.10.") {
		if api != "1.41" || !strings.Contains(logb.String(), `"cve":"CVE-2026-34040"`) {
			t.Errorf("20.10 daemon: API %s: %s", api, logb.String())
		}
	}
}
