package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	apicontainer "github.com/moby/moby/api/types/container"
)

// FuzzDecide: a decision never panics, and a body that does not decode
// as the daemon would decode it is never allowed on a route that judges
// it.
func FuzzDecide(f *testing.F) {
	f.Add("POST", "/v1.41/containers/create", []byte(hardened))
	f.Add("POST", "/v1.41/containers/create", []byte(privBody))
	f.Add("POST", "/containers/c1/exec", []byte(`{"User":"0"}`))
	f.Add("POST", "/containers/c1/update", []byte(`{"PidsLimit":-1}`))
	f.Add("POST", "/volumes/create", []byte(`{"DriverOpts":{"o":"bind"}}`))
	f.Add("POST", "/services/create", []byte(`{"TaskTemplate":{"ContainerSpec":{"Image":"x"}}}`))
	f.Add("GET", "/v1.41/%63ontainers/json", []byte(nil))
	d := newDecider(config.Enforce{})
	f.Fuzz(func(t *testing.T, method, uri string, body []byte) {
		r := &Request{RequestMethod: method, RequestURI: uri, RequestBody: body,
			RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(body))}}
		dec := d.Decide(context.Background(), r)
		if !dec.Allow {
			return
		}
		t0, err := parseTarget(method, uri)
		if err != nil || t0.route == nil {
			t.Fatalf("allowed a request that does not route: %s %q", method, uri)
		}
		if t0.route.kind == kindCreate && dec.Reason == "" {
			var c apicontainer.CreateRequest
			dj := json.NewDecoder(bytes.NewReader(body))
			if err := dj.Decode(&c); err != nil || c.Config == nil {
				t.Fatalf("allowed a create body that does not decode: %q", body)
			}
			if _, err := dj.Token(); err != io.EOF {
				t.Fatalf("allowed a create body with trailing data: %q", body)
			}
		}
		if ReadsBody(t0) && t0.route.kind != kindAllow && t0.route.kind != kindExecStart && len(bytes.TrimSpace(body)) == 0 {
			t.Fatalf("allowed %s with no body", uri)
		}
	})
}

// FuzzDecideCreate builds create bodies from structure: the input is a
// program for buildCreateBody (differential_test.go), whose bytes choose
// keys in exact, case-changed and Unicode-folded spellings, values,
// duplicates, nulls, HostConfig objects (repeated, nested, null) and
// HostConfig fields at the top level. A create Decide allows on its
// merits (no exemption, image present) decodes, as the daemon reads it,
// to one HostConfig that is not privileged, joins none of the host's
// PID, IPC or network namespaces, adds neither ALL nor SYS_ADMIN and
// mounts no host /.
func FuzzDecideCreate(f *testing.F) {
	for _, p := range trickyPrograms() {
		f.Add(p)
	}
	r := rand.New(rand.NewSource(1))
	for range 32 {
		f.Add(randomProgram(r))
	}
	d := newDecider(config.Enforce{})
	f.Fuzz(func(t *testing.T, prog []byte) {
		body := buildCreateBody(prog, `"app:1"`)
		dec := d.Decide(context.Background(), req("POST", "/v1.41/containers/create", body))
		if !dec.Allow || dec.Reason != "" {
			return
		}
		c, err := DecodeCreate([]byte(body))
		if err != nil {
			t.Fatalf("allowed a create body DecodeCreate cannot read (%v): %s", err, body)
		}
		if c.Mixed {
			t.Fatalf("allowed a create body with HostConfig fields beside a HostConfig object: %s", body)
		}
		if c.HostConfig == nil {
			return
		}
		h := &c.HostConfig.HostConfig
		if h.Privileged {
			t.Fatalf("allowed a privileged container: %s", body)
		}
		for name, mode := range map[string]string{"PidMode": string(h.PidMode), "IpcMode": string(h.IpcMode), "NetworkMode": string(h.NetworkMode)} {
			if strings.EqualFold(strings.TrimSpace(mode), "host") {
				t.Fatalf("allowed %s %q: %s", name, mode, body)
			}
		}
		for _, cp := range slices.Concat(h.CapAdd, c.HostConfig.Capabilities) {
			if n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(cp)), "CAP_"); n == "ALL" || n == "SYS_ADMIN" {
				t.Fatalf("allowed capability %q: %s", cp, body)
			}
		}
		for _, b := range h.Binds {
			if src, _, _ := strings.Cut(b, ":"); path.Clean(src) == "/" {
				t.Fatalf("allowed bind %q of the host's /: %s", b, body)
			}
		}
		for _, m := range h.Mounts {
			if m.Type == "bind" && path.Clean(m.Source) == "/" {
				t.Fatalf("allowed a bind mount of the host's / at %q: %s", m.Target, body)
			}
		}
	})
}

// BenchmarkDecide decides a typical create body (a hardened container
// with its image's user asked through the Images interface).
func BenchmarkDecide(b *testing.B) {
	d := newDecider(config.Enforce{})
	r := req("POST", "/v1.41/containers/create?name=web", hardened)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if dec := d.Decide(ctx, r); !dec.Allow {
			b.Fatal(dec.Msg)
		}
	}
}

// BenchmarkDecideInsecure decides a create that many rules deny.
func BenchmarkDecideInsecure(b *testing.B) {
	d := newDecider(config.Enforce{})
	r := req("POST", "/v1.41/containers/create", `{"Image":"alpine","HostConfig":{"Privileged":true,"Binds":["/:/host","/var/run/docker.sock:/var/run/docker.sock"],"PidMode":"host","NetworkMode":"host"}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if dec := d.Decide(ctx, r); dec.Allow {
			b.Fatal("allowed")
		}
	}
}

// TestDecideLatencyP99 measures the p50 and p99 of single decisions for
// the report, at Go's default GC pace and at the pace the enforce
// commands set (GCPercent); no timed assertion: speed is proven by the
// benchmark.
func TestDecideLatencyP99(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	d := newDecider(config.Enforce{})
	r := req("POST", "/v1.41/containers/create?name=web", hardened)
	for _, gc := range []int{100, GCPercent} {
		old := debug.SetGCPercent(gc)
		for range 2000 { // warm up
			d.Decide(context.Background(), r)
		}
		lat := make([]int64, 20000)
		for i := range lat {
			lat[i] = int64(d.Decide(context.Background(), r).Latency)
		}
		debug.SetGCPercent(old)
		sortInts(lat)
		t.Logf("GOGC=%d: decision latency over %d creates: p50 %dns p99 %dns", gc, len(lat), lat[len(lat)/2], lat[len(lat)*99/100])
	}
}

func sortInts(a []int64) { slices.Sort(a) }
