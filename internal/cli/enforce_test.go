package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEnforcePluginAndCheck(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "dg.sock")
	cfg := filepath.Join(dir, ".dockguard.yaml")
	if err := os.WriteFile(cfg, []byte("enforce:\n  mode: enforce\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var perr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"enforce", "plugin", "--socket", sock, "--config", cfg, "-H", "unix://" + filepath.Join(dir, "nodaemon.sock")}, Streams{Out: &bytes.Buffer{}, Err: &perr})
	}()
	var out, errb bytes.Buffer
	code := 1
	for i := 0; i < 100 && code != 0; i++ {
		time.Sleep(20 * time.Millisecond)
		out.Reset()
		errb.Reset()
		code = Main(context.Background(), []string{"enforce", "check", "--socket", sock}, Streams{Out: &out, Err: &errb})
	}
	if code != 0 || !strings.Contains(out.String(), "sample privileged create denied") {
		t.Errorf("check: exit %d: %s%s", code, out.String(), errb.String())
	}
	// A second plugin on the same socket is refused.
	if code := Main(context.Background(), []string{"enforce", "plugin", "--socket", sock}, Streams{Out: &out, Err: &errb}); code == 0 || !strings.Contains(errb.String(), "already served") {
		t.Errorf("second plugin: exit %d: %s", code, errb.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("plugin exit %d: %s", code, perr.String())
	}
	if !strings.Contains(perr.String(), `"msg":"serving"`) {
		t.Errorf("plugin log: %s", perr.String())
	}
	// Nothing answers any more.
	errb.Reset()
	if code := Main(context.Background(), []string{"enforce", "check", "--socket", sock, "--timeout", "1s"}, Streams{Out: &out, Err: &errb}); code == 0 {
		t.Errorf("check without a plugin: exit 0")
	}
	if code := Main(context.Background(), []string{"enforce", "plugin", "--socket", sock, "--mode", "loud"}, Streams{Out: &out, Err: &errb}); code == 0 {
		t.Errorf("--mode loud accepted")
	}
}

func TestEnforceProxy(t *testing.T) {
	dir := t.TempDir()
	upstream := filepath.Join(dir, "daemon.sock")
	ul, err := net.Listen("unix", upstream)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "dockguard-enforce" {
			// The proxy's own client asks the daemon's version at start.
			w.Header().Set("Api-Version", "1.46")
			if strings.HasSuffix(r.URL.Path, "/version") {
				_, _ = io.WriteString(w, `{"Version":"27.1.0","ApiVersion":"1.46","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}`)
			} else {
				_, _ = io.WriteString(w, "OK")
			}
			return
		}
		hits.Add(1)
		_, _ = io.WriteString(w, "OK")
	})}
	go func() { _ = srv.Serve(ul) }()
	defer srv.Close()
	listen := filepath.Join(dir, "dg.sock")
	if err := os.WriteFile(filepath.Join(dir, "none.yaml"), []byte("enforce:\n  mode: enforce\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var perr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"enforce", "proxy", "--listen", "unix://" + listen, "--upstream", "unix://" + upstream, "--config", filepath.Join(dir, "none.yaml"), "--socket-mode", "0600", "--metrics-listen", "unix://" + filepath.Join(dir, "metrics.sock")}, Streams{Out: &bytes.Buffer{}, Err: &perr})
	}()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", listen)
	}}}
	var res *http.Response
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		if res, err = hc.Get("http://d/v1.41/_ping"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("ping through the proxy: %v (%s)", err, perr.String())
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "OK" {
		t.Errorf("ping: %d %q", res.StatusCode, b)
	}
	if fi, err := os.Stat(listen); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode(), err)
	}
	res, err = hc.Post("http://d/v1.41/containers/create", "application/json", strings.NewReader(`{"Image":"x","User":"1000","HostConfig":{"Privileged":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 403 || !strings.Contains(string(b), "privileged (DG330)") || hits.Load() != 1 {
		t.Errorf("privileged create: %d %s (daemon hit %d times)", res.StatusCode, b, hits.Load())
	}
	mc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", filepath.Join(dir, "metrics.sock"))
	}}}
	for _, c := range []struct{ path, want string }{
		{"/healthz", "ok mode=enforce"},
		{"/metrics", `dockguard_enforce_decisions_total{outcome="deny",route="/containers/create"} 1`},
		// The daemon's version is read in the background at start.
		{"/metrics", `dockguard_enforce_daemon_info{api_version="1.46",version="27.1.0"} 1`},
		{"/metrics", `dockguard_enforce_daemon_known_bypass{cve="CVE-2024-41110"} 1`},
	} {
		var b []byte
		for i := 0; i < 100; i++ {
			res, err := mc.Get("http://m" + c.path)
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			b, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(b), c.want) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s lacks %q", c.path, c.want)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("proxy exit %d: %s", code, perr.String())
	}
	if !strings.Contains(perr.String(), `"msg":"daemon version has a known authorization bypass","cve":"CVE-2024-41110"`) {
		t.Errorf("proxy log lacks the daemon's CVE-2024-41110 warning: %s", perr.String())
	}
	if code := Main(context.Background(), []string{"enforce", "proxy", "--listen", "tcp://0.0.0.0:2375"}, Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); code == 0 {
		t.Errorf("a tcp listener without TLS was accepted")
	}
}

// enforce.api and enforce.redactEnv are the proxy's: its flags override
// the file, and the plugin ignores both with a warning.
func TestEnforceAPISettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ro.yaml")
	if err := os.WriteFile(file, []byte("enforce:\n  api: read-only\n  redactEnv: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		f          enforceFlags
		api        string
		redact     bool
		warnIgnore bool
	}{
		{"proxy, the file's", enforceFlags{config: file, proxy: true}, "read-only", true, false},
		{"proxy, --api full", enforceFlags{config: file, proxy: true, api: "full"}, "full", true, false},
		{"plugin", enforceFlags{config: file}, "full", false, true},
		{"proxy, flags only", enforceFlags{config: filepath.Join(dir, "none.yaml"), proxy: true, api: "READ-ONLY", redactEnv: true}, "read-only", true, false},
	} {
		if err := os.WriteFile(filepath.Join(dir, "none.yaml"), []byte("enforce:\n  mode: enforce\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		tc.f.logLevel = "info"
		ps, err := setupPolicy(Streams{Out: &bytes.Buffer{}, Err: &log}, tc.f, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		d, err := ps.load()
		ps.cli.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d.API() != tc.api || d.RedactsEnv() != tc.redact {
			t.Errorf("%s: api %s redactEnv %v, want %s %v", tc.name, d.API(), d.RedactsEnv(), tc.api, tc.redact)
		}
		if got := strings.Contains(log.String(), "apply to the proxy only"); got != tc.warnIgnore {
			t.Errorf("%s: warning logged %v: %s", tc.name, got, log.String())
		}
	}
	if _, err := setupPolicy(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, enforceFlags{logLevel: "info", api: "readonly", proxy: true}, ""); err == nil || !strings.Contains(err.Error(), "--api") {
		t.Errorf("--api readonly: %v", err)
	}
	if code := Main(context.Background(), []string{"enforce", "proxy", "--listen", "unix://" + filepath.Join(dir, "x.sock"), "--api", "writable"}, Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); code == 0 {
		t.Errorf("--api writable was accepted")
	}
}

// TestEnforceBadConfig: a configuration naming an unknown profile,
// version or allow: key is an error with the file and line in the audit
// and at `enforce check`; the plugin starts all the same on the baseline
// profile (a plugin that does not start makes dockerd refuse every
// request), logs why, takes the file once it loads, and keeps that
// policy when the file breaks again.
func TestEnforceBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dockguard.yaml")
	bad := map[string]string{
		"enforce:\n  mode: enforce\n  profile: strict\n":     "dockguard.yaml:3: enforce.profile: \"strict\" is not a profile",
		"enforce:\n  profile: restricted@v2\n":               "dockguard.yaml:2: enforce.profile: \"restricted@v2\": restricted has no version",
		"allow:\n  bindRoots: [/srv]\n  bindroot: [/data]\n": "dockguard.yaml:3: allow: unknown key \"bindroot\"",
	}
	// Written by rename, as editors do, so the plugin never reads half a
	// file.
	replace := func(body string) {
		if err := os.WriteFile(cfg+".tmp", []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(cfg+".tmp", cfg); err != nil {
			t.Fatal(err)
		}
	}
	for body, want := range bad {
		replace(body)
		var o, e bytes.Buffer
		code := Main(context.Background(), []string{"audit", "--config", cfg, "--run", "docker run nginx:1.27"}, Streams{In: strings.NewReader(""), Out: &o, Err: &e})
		if code != 2 || !strings.Contains(e.String(), want) {
			t.Errorf("audit with %q: exit %d: %s", body, code, e.String())
		}
	}
	replace("enforce:\n  mode: enforce\n  profile: strict\n")
	sock := filepath.Join(dir, "dg.sock")
	ctx, cancel := context.WithCancel(context.Background())
	perr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"enforce", "plugin", "--socket", sock, "--config", cfg, "-H", "unix://" + filepath.Join(dir, "nodaemon.sock")}, Streams{Out: &bytes.Buffer{}, Err: perr})
	}()
	// check polls until the plugin answers and its policy is the one
	// wanted (the plugin looks at its file every 2 s).
	check := func(wantCode int, want ...string) string {
		t.Helper()
		var out string
		for i := 0; i < 300; i++ {
			var o, e bytes.Buffer
			code := Main(context.Background(), []string{"enforce", "check", "--socket", sock}, Streams{Out: &o, Err: &e})
			out = o.String() + e.String()
			ok := code == wantCode
			for _, w := range want {
				ok = ok && strings.Contains(out, w)
			}
			if ok {
				return out
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("check never exited %d with %q: %s\nplugin log: %s", wantCode, want, out, perr.String())
		return ""
	}
	out := check(2, "sample privileged create denied", "policy: profile baseline@v1, mode enforce", "dockguard.yaml:3: enforce.profile: \"strict\" is not a profile")
	t.Log(out)
	if !strings.Contains(perr.String(), `"msg":"configuration does not load: enforcing the default policy until it does"`) {
		t.Errorf("the plugin did not log the broken file: %s", perr.String())
	}
	replace("enforce:\n  mode: enforce\n  profile: restricted@v1\n")
	check(0, "policy: profile restricted@v1, mode enforce")
	replace("enforce:\n  mode: warn\n  profile: baseline@v3\n")
	out = check(2, "policy: profile restricted@v1, mode enforce", "dockguard.yaml:3: enforce.profile: \"baseline@v3\"")
	t.Log(out)
	if !strings.Contains(perr.String(), `"msg":"reload failed: keeping the previous policy"`) {
		t.Errorf("the plugin did not log the failed reload: %s", perr.String())
	}
	// enforce check's probes are not decisions.
	if strings.Contains(perr.String(), `"msg":"decision"`) {
		t.Errorf("the check's probe was logged as a decision: %s", perr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("plugin exit %d: %s", code, perr.String())
	}
}
