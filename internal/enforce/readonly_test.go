package enforce

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
)

// concrete turns a route template into a path the daemon serves.
func concrete(pattern string) string {
	return strings.NewReplacer("{id}", "abc123", "{name}", "vol1", "{*}", "busybox/json").Replace(pattern)
}

// Every route key of the read-only tables names a route of the full
// allow-list: the profile only narrows what the one route parser matched.
func TestReadOnlyTablesNameRoutes(t *testing.T) {
	known := map[string]bool{}
	for _, r := range routes {
		known[r.method+" "+r.pattern] = true
	}
	for k := range readOnlyRoutes {
		if !known[k] {
			t.Errorf("readOnlyRoutes: %s is no route", k)
		}
		if m, _, _ := strings.Cut(k, " "); m != "GET" && m != "HEAD" {
			t.Errorf("readOnlyRoutes: %s is not a read", k)
		}
	}
	for k := range readOnlyWhy {
		if !known[k] {
			t.Errorf("readOnlyWhy: %s is no route", k)
		}
		if readOnlyRoutes[k] {
			t.Errorf("%s is both allowed and refused", k)
		}
	}
}

func TestReadOnlyDecisions(t *testing.T) {
	ro := newDecider(config.Enforce{API: config.APIReadOnly})
	allowed := map[string]bool{}
	for _, tc := range []struct{ method, uri string }{
		{"GET", "/_ping"}, {"HEAD", "/_ping"}, {"GET", "/v1.47/_ping"},
		{"GET", "/v1.47/version"}, {"GET", "/info"}, {"GET", "/v1.47/events?filters=%7B%7D"}, {"GET", "/system/df"},
		{"GET", "/v1.47/containers/json?all=1"}, {"GET", "/containers/abc/json"}, {"GET", "/containers/abc/top?ps_args=-o+pid,euid"},
		{"GET", "/containers/abc/stats?stream=0"},
		{"GET", "/images/json"}, {"GET", "/images/busybox:1/json"}, {"GET", "/v1.47/images/ghcr.io/acme/app:1/json"},
		{"GET", "/images/sha256:0123/json"}, {"GET", "/images/x/get/json"}, // image "x/get", inspected
		{"GET", "/networks"}, {"GET", "/networks/bridge"}, {"GET", "/volumes"}, {"GET", "/volumes/v1"},
		{"GET", "/services?status=true"}, {"GET", "/services/s1"}, {"GET", "/tasks"}, {"GET", "/tasks/t1"},
		{"GET", "/nodes"}, {"GET", "/nodes/n1"},
	} {
		dec := ro.Decide(context.Background(), req(tc.method, tc.uri, ""))
		if !dec.Allow {
			t.Errorf("%s %s denied: %s", tc.method, tc.uri, dec.Msg)
		}
		if dec.Route != "" {
			allowed[tc.method+" "+dec.Route] = true
		}
	}
	for k := range readOnlyRoutes {
		if !allowed[k] {
			t.Errorf("%s is allowed by the table and not tried", k)
		}
	}

	// Every other route of the allow-list, writes and the reads that are
	// not read-only, is refused, with a message naming it and the
	// setting; in warn and audit mode too, and for an exempt client.
	deciders := map[string]*Decider{
		"enforce": ro,
		"warn":    newDecider(config.Enforce{API: config.APIReadOnly, Mode: "warn"}),
		"audit":   newDecider(config.Enforce{API: config.APIReadOnly, Mode: "audit"}),
	}
	exempt := newDecider(config.Enforce{API: config.APIReadOnly, Exempt: config.Exemptions{Users: []string{"ops"}}})
	for _, r := range routes {
		key := r.method + " " + r.pattern
		if readOnlyRoutes[key] && r.pattern != "/images/{*}" {
			continue
		}
		uri := concrete(r.pattern)
		if r.method == "GET" && r.pattern == "/images/{*}" {
			uri = "/images/busybox/history"
		}
		// The profile refuses before any body is read.
		body := ""
		for mode, d := range deciders {
			dec := d.Decide(context.Background(), req(r.method, "/v1.47"+uri, body))
			if dec.Allow {
				t.Errorf("%s mode: %s %s allowed", mode, r.method, uri)
				continue
			}
			if !strings.Contains(dec.Msg, "read-only-api: "+r.method+" "+r.pattern+" ") || !strings.Contains(dec.Msg, "enforce.api: read-only") {
				t.Errorf("%s %s: message %q", r.method, uri, dec.Msg)
			}
		}
		er := req(r.method, uri, body)
		er.User = "ops"
		if dec := exempt.Decide(context.Background(), er); dec.Allow {
			t.Errorf("exempt client: %s %s allowed", r.method, uri)
		}
	}

	// Reads that hand out secrets or data, spelled the ways clients and
	// attackers send them; each reaches the same route parser.
	for _, tc := range []struct{ method, uri, want string }{
		{"GET", "/v1.47/swarm", "join tokens"},
		{"GET", "/swarm", "join tokens"},
		{"GET", "/v1.24/swarm", "join tokens"},
		{"GET", "/v1.47/swarm/unlockkey", "unlock key"},
		{"GET", "/v1.47/%73warm", "join tokens"},
		{"GET", "/v1.47/secrets", "secrets"},
		{"GET", "/v1.47/configs/c1", "config's data"},
		{"GET", "/v1.47/configs", "configs' data"},
		{"GET", "/v1.47/containers/abc/logs?stdout=1", "logs"},
		{"GET", "/v1.47/services/s1/logs", "logs"},
		{"GET", "/v1.47/containers/abc/export", "filesystem out"},
		{"GET", "/v1.47/containers/abc/archive?path=/etc", "docker cp"},
		{"HEAD", "/v1.47/containers/abc/archive?path=/etc", "docker cp"},
		{"GET", "/v1.47/containers/abc/attach/ws?stdin=1", "stdin"},
		{"POST", "/v1.47/containers/abc/attach?stdin=1", "changes the daemon"},
		{"POST", "/v1.47/exec/e1/start", "changes the daemon"},
		{"GET", "/v1.47/images/get?names=busybox", "exports"},
		{"GET", "/v1.47/images/busybox/get", "history shows"},
		{"GET", "/v1.47/images/x/json/get", "history shows"}, // image "x/json", exported
		{"GET", "/v1.47/images/busybox/history", "history shows"},
		{"GET", "/v1.47/distribution/busybox/json", "registry"},
		{"POST", "/session", "changes the daemon"},
		{"POST", "/grpc", "changes the daemon"},
		{"GET", "/v1.47/nosuch", "allow-list"},
		{"GET", "/v1.47/containers/abc/json/", "not clean"},
		{"POST", "/v1.47/containers/json", "allow-list"},
		{"PUT", "/v1.47/containers/abc/json", "allow-list"},
		{"DELETE", "/v1.47/images/busybox/json", "changes the daemon"},
		{"OPTIONS", "/v1.47/_ping", "allow-list"},
	} {
		for mode, d := range deciders {
			dec := d.Decide(context.Background(), req(tc.method, tc.uri, ""))
			if dec.Allow || !strings.Contains(dec.Msg, tc.want) {
				t.Errorf("%s mode: %s %s: allow=%v %q, want a denial saying %q", mode, tc.method, tc.uri, dec.Allow, dec.Msg, tc.want)
			}
		}
	}

	// The full profile is unchanged: GET /swarm is the policy's to allow.
	if dec := newDecider(config.Enforce{}).Decide(context.Background(), req("GET", "/v1.47/swarm", "")); !dec.Allow {
		t.Errorf("full API: GET /swarm denied: %s", dec.Msg)
	}
	if ro.API() != config.APIReadOnly || newDecider(config.Enforce{}).API() != config.APIFull {
		t.Errorf("API(): %s", ro.API())
	}
}

// Unknown routes share one label: 200 random paths sent to the proxy
// make one series, not 200.
func TestMetricsUnknownRoutesBounded(t *testing.T) {
	d := newDecider(config.Enforce{})
	m := NewMetrics()
	p := NewPlugin(d, slog.New(slog.DiscardHandler))
	p.Observe = func(dec *Decision) { m.Observe(p.Decider(), dec) }
	// No daemon behind it: every one of these requests is denied before
	// it would be forwarded.
	sock := filepath.Join(t.TempDir(), "dg.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	px := &Proxy{Plugin: p, Dial: func(ctx context.Context) (net.Conn, error) {
		return nil, fmt.Errorf("no daemon in this test")
	}}
	go func() { _ = px.Serve(l) }()
	t.Cleanup(func() { l.Close(); px.Close() })
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	for i := range 200 {
		path := fmt.Sprintf("/v1.47/x%016x/%d", rand.Uint64(), i)
		if i%4 == 1 {
			path = fmt.Sprintf("/%x", rand.Uint64()) // no version prefix
		}
		if i%4 == 2 {
			path = fmt.Sprintf("/v1.47/containers/%x/json/", rand.Uint64()) // unclean
		}
		res, err := hc.Get("http://d" + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
	}
	srv := httptest.NewServer(m.Handler(p))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var series []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "dockguard_enforce_decisions_total{") {
			series = append(series, l)
		}
	}
	if len(series) != 1 || !strings.Contains(series[0], `route="unknown"`) || !strings.HasSuffix(series[0], " 200") {
		t.Errorf("200 unknown paths made %d series: %v", len(series), series)
	}
	// Known routes keep their template.
	if routeLabel("/containers/{id}/json") != "/containers/{id}/json" || routeLabel("/containers/abc/json") != unknownRoute {
		t.Error("routeLabel")
	}
}

func TestRedactRewrite(t *testing.T) {
	ctr := `{"Id":"abc","Config":{"Env":["PATH=/usr/bin","DB_PASSWORD=hunter2","EMPTY=","BARE"],"Image":"x","Labels":{"a":"<b>"}},"Big":12345678901234567890}`
	out, err := (&envRedaction{paths: [][]string{{"Config", "Env"}}}).rewrite([]byte(ctr))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{`"PATH=<redacted>"`, `"DB_PASSWORD=<redacted>"`, `"EMPTY="`, `"BARE"`, `"Labels":{"a":"<b>"}`, `12345678901234567890`, `"Image":"x"`} {
		if !strings.Contains(s, want) {
			t.Errorf("redacted answer lacks %s: %s", want, s)
		}
	}
	if strings.Contains(s, "hunter2") {
		t.Errorf("value kept: %s", s)
	}
	// A list of services, one with a previous spec, one with no env.
	svc := `[{"ID":"s1","Spec":{"TaskTemplate":{"ContainerSpec":{"Env":["K=v1"]}}},"PreviousSpec":{"TaskTemplate":{"ContainerSpec":{"Env":["K=v0"]}}}},{"ID":"s2","Spec":{"TaskTemplate":{"ContainerSpec":{}}}},{"ID":"s3","Spec":null}]`
	out, err = (&envRedaction{list: true, paths: serviceEnv}).rewrite([]byte(svc))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "v0") || strings.Contains(string(out), "v1") || strings.Count(string(out), "K=<redacted>") != 2 {
		t.Errorf("services: %s", out)
	}
	// Shapes the Engine API never gives are refused, not passed on.
	for _, bad := range []string{`{"Config":{"Env":"K=v"}}`, `{"Config":[1]}`, `[`, ``} {
		if out, err := (&envRedaction{paths: [][]string{{"Config", "Env"}}}).rewrite([]byte(bad)); err == nil {
			t.Errorf("%q rewritten to %s", bad, out)
		}
	}

	// A gzip answer is decoded and sent plain with its new length; an
	// encoding that is not read is refused.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(ctr))
	_ = zw.Close()
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}, "Content-Length": {fmt.Sprint(gz.Len())}}, Body: io.NopCloser(&gz), ContentLength: int64(gz.Len())}
	if err := (&envRedaction{paths: [][]string{{"Config", "Env"}}}).apply(res); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	var v struct{ Config struct{ Env []string } }
	if err := json.Unmarshal(b, &v); err != nil || res.Header.Get("Content-Encoding") != "" || res.Header.Get("Content-Length") != fmt.Sprint(len(b)) || res.ContentLength != int64(len(b)) || v.Config.Env[1] != "DB_PASSWORD=<redacted>" {
		t.Errorf("gzip answer: %v %v %s", err, res.Header, b)
	}
	res = &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"br"}}, Body: io.NopCloser(strings.NewReader(ctr))}
	if err := (&envRedaction{paths: [][]string{{"Config", "Env"}}}).apply(res); err == nil {
		t.Error("a br answer was passed on")
	}
}

// ps options that print the environment (BSD e, in any word) are refused
// where env values are hidden; the default and the agent's pass.
func TestTopArgsRisk(t *testing.T) {
	for _, ok := range []string{"", "-ef", "-o pid,euid", "-eo pid,user,args", "-A -o pid=,comm=", "-e -f"} {
		if why := topArgsRisk(ok); why != "" {
			t.Errorf("%q refused: %s", ok, why)
		}
	}
	for _, bad := range []string{"axe", "e", "-ef e", "aux", "-o pid,environ", "-o", "-ef -o pid axe", "eww", "-e -o pid e"} {
		if topArgsRisk(bad) == "" {
			t.Errorf("%q passes", bad)
		}
	}
	for _, api := range []config.Enforce{{API: config.APIReadOnly}, {RedactEnv: true}} {
		d := newDecider(api)
		if dec := d.Decide(context.Background(), req("GET", "/v1.41/containers/c1/top?ps_args=axe", "")); dec.Allow {
			t.Errorf("%+v: top axe allowed", api)
		}
		if dec := d.Decide(context.Background(), req("GET", "/v1.41/containers/c1/top?ps_args=-o+pid%2Ceuid", "")); !dec.Allow {
			t.Errorf("%+v: the agent's top refused: %s", api, dec.Msg)
		}
	}
}

// Under the read-only API an image inspect loses Parent and
// ContainerConfig, from which the refused history could be rebuilt.
func TestReadOnlyImageInspectDropsHistory(t *testing.T) {
	tg, err := parseTarget("GET", "/v1.41/images/app:1/json")
	if err != nil {
		t.Fatal(err)
	}
	rw := answerRewrite("GET", tg, false, true)
	if rw == nil {
		t.Fatal("no rewrite for image inspect under the read-only API")
	}
	out, err := rw.rewrite([]byte(`{"Id":"sha256:1","Parent":"sha256:0","ContainerConfig":{"Cmd":["|1 PASS=x /bin/sh"]},"Config":{"Env":["A=b"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); strings.Contains(s, "Parent") || strings.Contains(s, "PASS=x") || !strings.Contains(s, `"A=b"`) {
		t.Errorf("rewritten: %s", s)
	}
	if answerRewrite("GET", tg, false, false) != nil {
		t.Error("a rewrite without read-only or redaction")
	}
}
