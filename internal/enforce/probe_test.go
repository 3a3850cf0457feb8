package enforce

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/moby/moby/client"
)

// call posts one AuthZReq to a plugin server, marked as enforce check's
// probe or not.
func probeCall(t *testing.T, url string, r *Request, marked bool) Response {
	t.Helper()
	b, _ := json.Marshal(r)
	hr, _ := http.NewRequest(http.MethodPost, url+"/AuthZPlugin.AuthZReq", bytes.NewReader(b))
	hr.Header.Set("Content-Type", ContentType)
	if marked {
		hr.Header.Set(ProbeHeader, "enforce-check")
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out Response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProbeNotLogged: enforce check's probe is decided but neither logged
// as a decision nor counted; the same request unmarked, or a marked
// request that is not exactly the probe, is.
func TestProbeNotLogged(t *testing.T) {
	var log syncBuffer
	p := NewPlugin(newDecider(config.Enforce{}), slog.New(slog.NewJSONHandler(&log, nil)))
	m := NewMetrics()
	p.Observe = func(dec *Decision) { m.Observe(p.Decider(), dec) }
	srv := httptest.NewServer(p)
	defer srv.Close()
	decisions := func() int { return strings.Count(log.String(), `"msg":"decision"`) }
	counted := func() int {
		w := httptest.NewRecorder()
		m.Handler(p).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		return strings.Count(w.Body.String(), "\ndockguard_enforce_decisions_total{")
	}

	probes := ProbeRequests()
	if res := probeCall(t, srv.URL, &probes[0], true); !res.Allow {
		t.Errorf("probe ping denied: %+v", res)
	}
	if res := probeCall(t, srv.URL, &probes[1], true); res.Allow || !strings.Contains(res.Msg, "privileged (DG330)") {
		t.Errorf("probe create not denied as a create is: %+v", res)
	}
	if n := decisions(); n != 0 {
		t.Errorf("the probe was logged as %d decisions: %s", n, log.String())
	}
	if n := counted(); n != 0 {
		t.Errorf("the probe was counted in %d series", n)
	}

	// The same requests unmarked, and marked requests that differ from
	// the probe in any part, are decisions.
	notProbe := []*Request{&probes[1]}
	for _, change := range []func(r *Request){
		func(r *Request) { r.User = "alice" },
		func(r *Request) { r.RequestURI = "/v1.41/containers/create?name=x" },
		func(r *Request) { r.RequestBody = bytes.Replace(r.RequestBody, []byte("1000"), []byte("0000"), 1) },
		func(r *Request) { r.RequestHeaders["X-Registry-Auth"] = "e30=" },
	} {
		r := ProbeRequests()[1]
		change(&r)
		notProbe = append(notProbe, &r)
	}
	for i, r := range notProbe {
		probeCall(t, srv.URL, r, i > 0)
		if n := decisions(); n != i+1 {
			t.Errorf("request %d (%s %s) not logged: %d decisions", i, r.RequestMethod, r.RequestURI, n)
		}
	}
	if n := counted(); n == 0 {
		t.Errorf("requests that are not the probe were not counted")
	}
}

// TestProbeThroughDaemon: a requester cannot mark a request of theirs as
// the probe. Sent through a guarded dockerd with the probe's exact shape,
// with or without the marker header, it reaches the plugin unmarked (the
// daemon's plugin call carries its own headers) and is logged, and the
// daemon has no container afterwards.
func TestProbeThroughDaemon(t *testing.T) {
	var log syncBuffer
	d, _, _ := guarded(t, slog.New(slog.NewJSONHandler(&log, nil)))
	sock := strings.TrimPrefix(d.Host, "unix://")
	body := string(ProbeRequests()[1].RequestBody)
	for i, extra := range []string{"", ProbeHeader + ": enforce-check\r\n"} {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		// Only the headers the probe carries (Host is not a header to
		// the daemon), so the AuthZReq is the probe's.
		fmt.Fprintf(c, "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", extra, len(body), body)
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		c.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("request %d: %d %s", i, res.StatusCode, b)
		}
		if n := strings.Count(log.String(), `"msg":"decision","method":"POST","route":"/containers/create"`); n != i+1 {
			t.Errorf("request %d through the daemon: %d create decisions logged: %s", i, n, log.String())
		}
	}
	list, err := d.Client.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("the daemon has containers: %+v", list.Items)
	}
}
