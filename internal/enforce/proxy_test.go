package enforce

import (
	"bufio"
	"context"
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

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/testenv"
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
		{"CL and TE together", "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"},
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
	sock := startProxy(t, New(Settings{Config: config.Enforce{MinSeverity: "medium"}, Self: "dockguard"}, testImages), upstream)
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
