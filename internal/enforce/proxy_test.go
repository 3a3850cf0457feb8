package enforce

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// startProxy serves a proxy on a unix socket in front of upstream.
func startProxy(t testing.TB, d *Decider, upstream string) string {
	sock := filepath.Join(t.TempDir(), "dg.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Plugin: NewPlugin(d, slog.New(slog.DiscardHandler)), Dial: func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", upstream)
	}}
	go func() { _ = p.Serve(l) }()
	t.Cleanup(func() { l.Close(); p.Close() })
	return sock
}

// rawRoundTrip writes raw bytes to the proxy and returns the status line.
func rawRoundTrip(t *testing.T, sock, raw string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func TestProxyDaemon(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	files := testenv.Files{"app": testenv.App(t)}
	d.BuildImage(t, "dg-root:test", "FROM scratch\nCOPY app /\nENTRYPOINT [\"/app\"]\n", files)
	d.BuildImage(t, "dg-hardened:test", "FROM scratch\nCOPY app /\nUSER 10001:10001\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT [\"/app\"]\n", files)
	upstream := strings.TrimPrefix(d.Host, "unix://")
	sock := startProxy(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), upstream)
	c, err := client.New(client.WithHost("unix://" + sock))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	checkPluginMatrix(ctx, t, c)

	// Streams through the proxy: exec output over a hijacked connection,
	// logs -f until the container exits.
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "streams", Config: &container.Config{Image: "dg-hardened:test", Cmd: []string{"sleep", "0"}}, HostConfig: hardenedHost()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	ex, err := c.ExecCreate(ctx, res.ID, client.ExecCreateOptions{Cmd: []string{"/app"}, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec attach through the proxy: %v", err)
	}
	out, _ := io.ReadAll(att.Reader)
	att.Close()
	if !strings.Contains(string(out), "10001") {
		t.Errorf("exec output through the proxy: %q", out)
	}
	printer, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "printer", Config: &container.Config{Image: "dg-hardened:test"}, HostConfig: hardenedHost()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, printer.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	logs, err := c.ContainerLogs(ctx, printer.ID, client.ContainerLogsOptions{ShowStdout: true, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	lb, _ := io.ReadAll(logs)
	logs.Close()
	if !strings.Contains(string(lb), "10001") {
		t.Errorf("logs -f through the proxy: %q", lb)
	}

	// Raw requests the proxy refuses before the daemon sees them.
	body := `{"Image":"dg-hardened:test","HostConfig":{"Privileged":true}}`
	for _, tc := range []struct{ name, raw, want string }{
		{"chunked create", "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body), "403"},
		{"zero-length create", "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n", "403"},
		// Framed as dockerd frames it: chunked wins over Content-Length,
		// so the body is empty, and an empty create is denied.
		{"CL and TE together", "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "403"},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505"},
		{"h2c upgrade", "GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n", "505"},
		{"gRPC", "POST /moby.buildkit.v1.Control/Solve HTTP/1.1\r\nHost: d\r\nContent-Type: application/grpc\r\nContent-Length: 0\r\n\r\n", "403"},
		{"HTTP/1.0", "GET /_ping HTTP/1.0\r\n\r\n", "505"},
		{"oversized create", fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", DefaultMaxBody+1), "413"},
		{"case-variant key", fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(strings.ReplaceAll(body, "HostConfig", "hostconfig")), strings.ReplaceAll(body, "HostConfig", "hostconfig")), "403"},
		{"encoded path", fmt.Sprintf("POST /v1.41/%%63ontainers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body), "403"},
		{"ping", "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n", "200"},
	} {
		if got := rawRoundTrip(t, sock, tc.raw); !strings.Contains(got, " "+tc.want+" ") {
			t.Errorf("%s: %q, want %s", tc.name, got, tc.want)
		}
	}
	// A denied request keeps the connection usable, and the next request
	// on it is judged too.
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i, want := range []int{403, 200, 403} {
		var raw string
		if i == 1 {
			raw = "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n"
		} else {
			raw = fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
		if _, err := io.WriteString(conn, raw); err != nil {
			t.Fatalf("keep-alive request %d: %v", i, err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("keep-alive request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("keep-alive request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	// Attach to a container that does not exist: the daemon answers 404
	// without hijacking, and the next request is still judged.
	attach := "POST /v1.41/containers/nosuch/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
	if _, err := io.WriteString(conn, attach); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("attach to nothing: %d", resp.StatusCode)
	}
	// The daemon may close instead; either way nothing reaches it unjudged.
	if _, err := io.WriteString(conn, fmt.Sprintf("POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)); err == nil {
		if resp, err := http.ReadResponse(br, nil); err == nil && resp.StatusCode != 403 {
			t.Errorf("create after a failed attach: %d", resp.StatusCode)
		}
	}
}

// TestProxyLoad is a bounded loopback load test: fixed concurrency, fixed
// duration, it stops by itself. It reports the median latency of GET
// /containers/json and POST /containers/create directly and through the
// proxy, and fails on any error or wrong decision.
func TestProxyLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	d := testenv.Start(t, testenv.Options{})
	d.BuildImage(t, "dg-hardened:test", "FROM scratch\nCOPY app /\nUSER 10001:10001\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	upstream := strings.TrimPrefix(d.Host, "unix://")
	sock := startProxy(t, New(Settings{}, &EngineImages{Client: d.Client}), upstream)
	const workers, duration = 4, time.Second
	hardenedBody := `{"Image":"dg-hardened:test","HostConfig":{"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":268435456,"MemorySwap":268435456,"NanoCpus":500000000,"PidsLimit":100,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1024},{"Name":"nproc","Soft":512,"Hard":512}]}}`
	badBody := `{"Image":"dg-hardened:test","HostConfig":{"Privileged":true}}`
	run := func(sock, method, path, body string, wantStatus int) (time.Duration, int) {
		var mu sync.Mutex
		var lat []time.Duration
		var errs atomic.Int32
		deadline := time.Now().Add(duration)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, "unix", sock)
				}}}
				defer hc.CloseIdleConnections()
				for time.Now().Before(deadline) {
					var rb io.Reader
					if body != "" {
						rb = strings.NewReader(body)
					}
					req, _ := http.NewRequest(method, "http://d/v1.41"+path, rb)
					if body != "" {
						req.Header.Set("Content-Type", "application/json")
					}
					t0 := time.Now()
					resp, err := hc.Do(req)
					if err != nil {
						errs.Add(1)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					el := time.Since(t0)
					if resp.StatusCode != wantStatus {
						errs.Add(1)
						continue
					}
					mu.Lock()
					lat = append(lat, el)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) == 0 {
			return 0, int(errs.Load())
		}
		return lat[len(lat)/2], int(errs.Load())
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	defer func() {
		after := heap()
		t.Logf("heap in use before the load %d KiB, after %d KiB", before>>10, after>>10)
		if after > before+16<<20 {
			t.Errorf("heap grew by %d KiB over the load", (after-before)>>10)
		}
	}()
	for _, tc := range []struct {
		name, method, path, body string
		direct, proxied          int
	}{
		{"GET /containers/json", "GET", "/containers/json", "", 200, 200},
		{"POST /containers/create (hardened)", "POST", "/containers/create", hardenedBody, 201, 201},
		{"POST /containers/create (privileged, denied)", "POST", "/containers/create", badBody, 201, 403},
	} {
		dm, derr := run(upstream, tc.method, tc.path, tc.body, tc.direct)
		pm, perr := run(sock, tc.method, tc.path, tc.body, tc.proxied)
		t.Logf("%s: median direct %v, through the proxy %v (added %v); %d workers for %v", tc.name, dm, pm, pm-dm, workers, duration)
		if derr+perr > 0 {
			t.Errorf("%s: %d errors direct, %d through the proxy (wrong status counts as an error)", tc.name, derr, perr)
		}
	}
}

// TestBypassesThroughProxy sends every bypass of the suite as the raw
// HTTP request a client would send to the proxy; none may reach the
// daemon (a stand-in that counts what it gets).
func TestBypassesThroughProxy(t *testing.T) {
	upstream := filepath.Join(t.TempDir(), "daemon.sock")
	ul, err := net.Listen("unix", upstream)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		t.Errorf("reached the daemon: %s %s", r.Method, r.RequestURI)
	})}
	go func() { _ = srv.Serve(ul) }()
	defer srv.Close()
	sock := startProxy(t, New(Settings{Config: config.Enforce{Profile: rules.Restricted}, Self: "dockguard"}, testImages), upstream)
	for _, b := range Bypasses() {
		var raw strings.Builder
		fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: d\r\n", b.r.RequestMethod, b.r.RequestURI)
		body := b.r.RequestBody
		if ct, ok := b.r.RequestHeaders["Content-Type"]; ok {
			fmt.Fprintf(&raw, "Content-Type: %s\r\n", ct)
		}
		_, hasCL := b.r.RequestHeaders["Content-Length"]
		switch {
		case len(body) > DefaultMaxBody:
			fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(body)) // refused before the body is read
		case !hasCL && strings.Contains(b.name, "chunked"):
			fmt.Fprintf(&raw, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(privBody), privBody)
		default:
			fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n%s", len(body), body)
		}
		got := rawRoundTrip(t, sock, raw.String())
		f := strings.Fields(got)
		if len(f) < 2 || f[1] < "400" {
			t.Errorf("%s: %q", b.name, got)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d bypasses reached the daemon", hits.Load())
	}
}

// noPrivileged fails the test if the daemon holds a privileged container:
// an attack is judged by its effect, not by the status it got.
func noPrivileged(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		in, err := c.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if hc := in.Container.HostConfig; hc != nil && hc.Privileged {
			t.Errorf("the daemon holds a privileged container: %s %v", s.ID[:12], s.Names)
		}
	}
}

// rawConn is one client connection to the proxy, written and read raw.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, sock string) *rawConn {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A liveness guard: no test waits on the proxy for longer.
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) write(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// read reads one response, interim or final, and its body.
func (rc *rawConn) read() (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatalf("reading a response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// final reads the interim responses, then the final one.
func (rc *rawConn) final() (resp *http.Response, body string, interim []int) {
	rc.t.Helper()
	for {
		resp, body = rc.read()
		if resp.StatusCode >= 200 {
			return resp, body, interim
		}
		interim = append(interim, resp.StatusCode)
	}
}

// eof reports whether the proxy closes the connection (EOF) rather than
// waiting for more; the read deadline only keeps the test from hanging.
func (rc *rawConn) eof() error {
	_ = rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := rc.br.ReadByte()
	if err == nil {
		return fmt.Errorf("more bytes after the answer: %q", b)
	}
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("no EOF: %w", err)
	}
	return nil
}

func createHead(query string, n int, extra string) string {
	return fmt.Sprintf("POST /v1.41/containers/create%s HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n", query, n, extra)
}

func chunked(body string, size int) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(size, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// TestProxyFraming: requests are framed as dockerd frames them (net/http),
// so interim responses, Connection: close, pipelining, chunked bodies and
// protocol switches neither shift answers nor let a request through
// unjudged. Every attack ends with the daemon inspected.
func TestProxyFraming(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	d.BuildImage(t, "dg-hardened:test", "FROM scratch\nCOPY app busybox /\nUSER 10001:10001\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT [\"/app\"]\n",
		testenv.Files{"app": testenv.App(t), "busybox": testenv.Busybox(t)})
	upstream := strings.TrimPrefix(d.Host, "unix://")
	sock := startProxy(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), upstream)
	ctx := context.Background()
	priv := `{"Image":"dg-hardened:test","HostConfig":{"Privileged":true}}`
	hb, err := json.Marshal(container.CreateRequest{Config: &container.Config{Image: "dg-hardened:test", Cmd: []string{"sleep", "0"}}, HostConfig: hardenedHost()})
	if err != nil {
		t.Fatal(err)
	}
	harmless := string(hb)
	exists := func(t *testing.T, name string) {
		t.Helper()
		if _, err := d.Client.ContainerInspect(ctx, name, client.ContainerInspectOptions{}); err != nil {
			t.Errorf("container %s: %v", name, err)
		}
	}
	want := func(t *testing.T, what string, resp *http.Response, body string, status int) {
		t.Helper()
		if resp.StatusCode != status {
			t.Errorf("%s: %d %s, want %d", what, resp.StatusCode, body, status)
		}
		if status == 403 && !strings.Contains(body, "authorization denied by dockguard: ") {
			t.Errorf("%s: %q is not dockguard's denial", what, body)
		}
	}

	t.Run("expect 100-continue on keep-alive", func(t *testing.T) {
		rc := dialRaw(t, sock)
		// Denied: the client waits for the interim 100, then sends the body.
		rc.write(createHead("?name=expect-denied", len(priv), "Expect: 100-continue\r\n"))
		if resp, _ := rc.read(); resp.StatusCode != 100 {
			t.Fatalf("want the interim 100 before the body, got %d", resp.StatusCode)
		}
		rc.write(priv)
		resp, body, _ := rc.final()
		want(t, "privileged create with Expect", resp, body, 403)
		// Allowed with Expect, the body sent without waiting: one interim
		// answer at most, then the daemon's own.
		rc.write(createHead("?name=expect-allowed", len(harmless), "Expect: 100-continue\r\n") + harmless)
		resp, body, interim := rc.final()
		want(t, "harmless create with Expect", resp, body, 201)
		if len(interim) > 1 {
			t.Errorf("interim answers %v", interim)
		}
		// The next requests on the connection get their own answers.
		rc.write(createHead("?name=expect-second", len(priv), "") + priv)
		resp, body, _ = rc.final()
		want(t, "second privileged create", resp, body, 403)
		rc.write("GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: d\r\n\r\n")
		resp, body, _ = rc.final()
		want(t, "container list", resp, body, 200)
		if !strings.Contains(body, "/expect-allowed") || strings.Contains(body, "expect-denied") || strings.Contains(body, "expect-second") {
			t.Errorf("container list: %s", body)
		}
		exists(t, "expect-allowed")
		noPrivileged(t, d.Client)
	})

	t.Run("denied with Connection: close", func(t *testing.T) {
		rc := dialRaw(t, sock)
		rc.write(createHead("?name=close-denied", len(priv), "Connection: close\r\n") + priv)
		resp, body, _ := rc.final()
		want(t, "privileged create with Connection: close", resp, body, 403)
		if !resp.Close {
			t.Errorf("the answer does not say Connection: close")
		}
		if err := rc.eof(); err != nil {
			t.Errorf("after the denial: %v", err)
		}
		// A denied streamed body (never read) closes the connection too,
		// even though the client did not ask for it.
		rc = dialRaw(t, sock)
		rc.write("PUT /v1.41/containers/nosuch/archive?path=/ HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: 1048576\r\n\r\n" + strings.Repeat("x", 512))
		resp, body, _ = rc.final()
		want(t, "archive write", resp, body, 403)
		if err := rc.eof(); err != nil {
			t.Errorf("after denying an unread body: %v", err)
		}
		noPrivileged(t, d.Client)
	})

	t.Run("pipelining", func(t *testing.T) {
		rc := dialRaw(t, sock)
		rc.write("GET /v1.41/version HTTP/1.1\r\nHost: d\r\n\r\n" +
			createHead("?name=pipelined", len(priv), "") + priv +
			"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
		resp, body, _ := rc.final()
		want(t, "version", resp, body, 200)
		if !strings.Contains(body, `"ApiVersion"`) {
			t.Errorf("version: %s", body)
		}
		resp, body, _ = rc.final()
		want(t, "pipelined privileged create", resp, body, 403)
		resp, body, _ = rc.final()
		want(t, "ping", resp, body, 200)
		if body != "OK" {
			t.Errorf("ping: %q", body)
		}
		noPrivileged(t, d.Client)
	})

	t.Run("chunked create", func(t *testing.T) {
		rc := dialRaw(t, sock)
		rc.write("POST /v1.41/containers/create?name=chunked-priv HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(priv, 7))
		resp, body, _ := rc.final()
		want(t, "chunked privileged create", resp, body, 403)
		if !strings.Contains(body, "DG330") {
			t.Errorf("chunked privileged create: judged on something else: %s", body)
		}
		rc.write("POST /v1.41/containers/create?name=chunked-ok HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(harmless, 100))
		resp, body, _ = rc.final()
		want(t, "chunked harmless create", resp, body, 201)
		exists(t, "chunked-ok")
		noPrivileged(t, d.Client)
	})

	t.Run("attach and exec stream", func(t *testing.T) {
		c, err := client.New(client.WithHost("unix://" + sock))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// attach before start: the output comes through the switched
		// connection.
		res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "attached", Config: &container.Config{Image: "dg-hardened:test", AttachStdout: true}, HostConfig: hardenedHost()})
		if err != nil {
			t.Fatal(err)
		}
		att, err := c.ContainerAttach(ctx, res.ID, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
		if err != nil {
			t.Fatalf("attach through the proxy: %v", err)
		}
		_ = att.Conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(att.Reader)
		att.Close()
		if !strings.Contains(string(out), "uid=10001") {
			t.Errorf("attach output through the proxy: %q", out)
		}
		// exec -i: input, then a half-close the daemon must see (cat
		// ends at EOF), then all of the output.
		sleeper, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "sleeper", Config: &container.Config{Image: "dg-hardened:test", Cmd: []string{"sleep", "0"}}, HostConfig: hardenedHost()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ContainerStart(ctx, sleeper.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		ex, err := c.ExecCreate(ctx, sleeper.ID, client.ExecCreateOptions{Cmd: []string{"/busybox", "cat"}, AttachStdin: true, AttachStdout: true, AttachStderr: true})
		if err != nil {
			t.Fatal(err)
		}
		ea, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
		if err != nil {
			t.Fatalf("exec start through the proxy: %v", err)
		}
		defer ea.Close()
		_ = ea.Conn.SetDeadline(time.Now().Add(30 * time.Second))
		line := strings.Repeat("through the proxy and back ", 1000)
		if _, err := io.WriteString(ea.Conn, line); err != nil {
			t.Fatal(err)
		}
		if err := ea.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr strings.Builder
		if _, err := stdcopy.StdCopy(&stdout, &stderr, ea.Reader); err != nil {
			t.Errorf("exec output: %v", err)
		}
		if stdout.String() != line {
			t.Errorf("exec -i through the proxy: %d bytes back of %d (stderr %q)", stdout.Len(), len(line), stderr.String())
		}
		// A stream without Upgrade is refused: the daemon would take the
		// connection over behind a plain 200.
		rc := dialRaw(t, sock)
		rc.write(fmt.Sprintf("POST /v1.41/containers/%s/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: d\r\n\r\n", sleeper.ID))
		resp, body, _ := rc.final()
		want(t, "attach without Upgrade", resp, body, 403)
	})

	t.Run("close ends switched connections", func(t *testing.T) {
		l, err := net.Listen("unix", filepath.Join(t.TempDir(), "dg.sock"))
		if err != nil {
			t.Fatal(err)
		}
		p := &Proxy{Plugin: NewPlugin(New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), nil), Dial: func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", upstream)
		}}
		served := make(chan error, 1)
		go func() { served <- p.Serve(l) }()
		c, err := client.New(client.WithHost("unix://" + l.Addr().String()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		att, err := c.ContainerAttach(actx, "sleeper", client.ContainerAttachOptions{Stream: true, Stdout: true})
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		defer att.Close()
		_ = att.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		p.Close()
		if _, err := io.ReadAll(att.Reader); err != nil {
			t.Errorf("the attach stream outlived Close: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve after Close: %v", err)
			}
		case <-time.After(10 * time.Second): // a liveness guard
			t.Errorf("Serve did not return after Close")
		}
		l.Close()
	})
}

// BenchmarkProxyContainersList measures what the proxy adds to GET
// /containers/json against a private daemon: each iteration sends one
// request directly and one through the proxy (interleaved, so both see the
// same machine), on kept-alive connections, and the medians are reported
// as direct-ns/op and proxy-ns/op (ns/op is the pair).
func BenchmarkProxyContainersList(b *testing.B) {
	d := testenv.Start(b, testenv.Options{})
	upstream := strings.TrimPrefix(d.Host, "unix://")
	sock := startProxy(b, New(Settings{}, &EngineImages{Client: d.Client}), upstream)
	hc := func(path string) *http.Client {
		return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}}}
	}
	direct, proxied := hc(upstream), hc(sock)
	defer direct.CloseIdleConnections()
	defer proxied.CloseIdleConnections()
	get := func(c *http.Client) time.Duration {
		t0 := time.Now()
		resp, err := c.Get("http://d/v1.41/containers/json")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		el := time.Since(t0)
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return el
	}
	get(direct) // connections up before timing
	get(proxied)
	var dl, pl []time.Duration
	for b.Loop() {
		dl = append(dl, get(direct))
		pl = append(pl, get(proxied))
	}
	median := func(l []time.Duration) float64 {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return float64(l[len(l)/2].Nanoseconds())
	}
	dm, pm := median(dl), median(pl)
	b.ReportMetric(dm, "direct-ns/op")
	b.ReportMetric(pm, "proxy-ns/op")
	b.ReportMetric(pm-dm, "added-ns/op")
}

// TestProxyForwardsWhatItJudged: the daemon (a stand-in that records what
// it gets) receives the request the proxy judged: the judged body's bytes
// with their length (a chunked body included), the path decoded and
// escaped again, the query as sent, the client's Host, and nothing the
// proxy adds (X-Forwarded-For, Accept-Encoding).
func TestProxyForwardsWhatItJudged(t *testing.T) {
	upstream := filepath.Join(t.TempDir(), "daemon.sock")
	ul, err := net.Listen("unix", upstream)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		uri, host, body string
		length          int64
		te              []string
		header          http.Header
	}
	gotc := make(chan got, 10)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotc <- got{r.RequestURI, r.Host, string(b), r.ContentLength, r.TransferEncoding, r.Header.Clone()}
		w.WriteHeader(201)
	})}
	go func() { _ = srv.Serve(ul) }()
	defer srv.Close()
	sock := startProxy(t, New(Settings{Self: "dockguard"}, testImages), upstream)
	body := `{"Name":"judged","Labels":{"a":"b"}}`
	for _, tc := range []struct{ name, raw string }{
		{"chunked", "POST /v1.41/volume%73/create?x=a%2Fb&y=1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 5)},
		{"length", fmt.Sprintf("POST /v1.41/volume%%73/create?x=a%%2Fb&y=1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)},
		{"expect", fmt.Sprintf("POST /v1.41/volume%%73/create?x=a%%2Fb&y=1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n%s", len(body), body)},
	} {
		rc := dialRaw(t, sock)
		rc.write(tc.raw)
		resp, rb, _ := rc.final()
		if resp.StatusCode != 201 {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, rb)
			continue
		}
		g := <-gotc
		if g.uri != "/v1.41/volumes/create?x=a%2Fb&y=1" || g.host != "d" {
			t.Errorf("%s: forwarded %q to host %q", tc.name, g.uri, g.host)
		}
		if g.body != body || g.length != int64(len(body)) || len(g.te) != 0 {
			t.Errorf("%s: forwarded %q, Content-Length %d, Transfer-Encoding %v", tc.name, g.body, g.length, g.te)
		}
		for _, h := range []string{"X-Forwarded-For", "Forwarded", "Accept-Encoding", "Expect", "User-Agent"} {
			if v, ok := g.header[h]; ok {
				t.Errorf("%s: forwarded %s: %v", tc.name, h, v)
			}
		}
	}
}

// A judged body that stalls is answered with an error once the body
// timeout passes, so slow clients cannot hold the proxy's memory; nothing
// reaches the upstream (there is none here).
func TestProxyStalledBody(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dg.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	dialed := make(chan struct{}, 1)
	p := &Proxy{Plugin: NewPlugin(newDecider(config.Enforce{}), slog.New(slog.DiscardHandler)), BodyTimeout: 300 * time.Millisecond,
		Dial: func(context.Context) (net.Conn, error) { dialed <- struct{}{}; return nil, errors.New("no upstream") }}
	go func() { _ = p.Serve(l) }()
	t.Cleanup(func() { l.Close(); p.Close() })
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"Image\":"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(line, " 400 ") {
		t.Fatalf("stalled body: got %q, %v; want a 400 once the body timeout passed", line, err)
	}
	select {
	case <-dialed:
		t.Fatal("a request whose body never arrived reached the upstream")
	default:
	}
}
