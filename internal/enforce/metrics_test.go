package enforce

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
)

func TestMetrics(t *testing.T) {
	d := newDecider(config.Enforce{})
	p := NewPlugin(d, nil)
	m := NewMetrics()
	p.Observe = func(dec *Decision) { m.Observe(p.Decider(), dec) }
	for _, r := range []*Request{req("POST", "/containers/create", privBody), req("GET", "/_ping", "")} {
		dec := d.Decide(context.Background(), r)
		p.Observe(&dec)
	}
	m.Reloaded(true)
	m.Reloaded(false)
	srv := httptest.NewServer(m.Handler(p))
	defer srv.Close()
	get := func(path string) string {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
		return string(b)
	}
	body := get("/metrics")
	for _, want := range []string{
		`dockguard_enforce_decisions_total{outcome="deny",route="/containers/create"} 1`,
		`dockguard_enforce_decisions_total{outcome="allow",route="/_ping"} 1`,
		`dockguard_enforce_violations_total{denied="true",rule="DG330"} 1`,
		`dockguard_enforce_config_reloads_total{result="failed"} 1`,
		`dockguard_enforce_decision_seconds_count 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if h := get("/healthz"); !strings.HasPrefix(h, "ok mode=enforce") {
		t.Errorf("/healthz: %q", h)
	}
}
