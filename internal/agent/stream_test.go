package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// notices records what the agent tells its OnNotice callback.
type notices struct {
	mu   sync.Mutex
	list []agent.Notice
}

func (n *notices) add(x agent.Notice) {
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
}

func (n *notices) of(kind agent.NoticeKind) []agent.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []agent.Notice
	for _, x := range n.list {
		if x.Kind == kind {
			out = append(out, x)
		}
	}
	return out
}

// TestAgentSwarmServiceUpdate: on a Swarm manager, a service updated to add
// a capability is re-audited from its service event, with no interval
// audit to fall back on, and its removal too.
func TestAgentSwarmServiceUpdate(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	ctx := context.Background()
	if _, err := d.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	var syncs []*report.Document
	var mu sync.Mutex
	r := startAgent(t, d.Host, agent.Options{Resync: -1, OnSync: func(_, cur *report.Document) {
		mu.Lock()
		syncs = append(syncs, cur)
		mu.Unlock()
	}})
	waitSynced(t, r)

	// No replicas: the service's specification is what the audit judges,
	// and no task's container events stand in for the service's own.
	zero := uint64(0)
	spec := swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: "api"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: appImage, Args: []string{"sleep", "0"}}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}},
	}
	created, err := d.Client.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec})
	if err != nil {
		t.Fatalf("service create: %v", err)
	}
	isService := func(doc *report.Document, slug string) bool {
		if doc == nil {
			return false
		}
		for _, f := range doc.Findings {
			if f.Subject.Kind == facts.SubjectService && f.Subject.Name == "api" && (slug == "" || f.Slug == slug) {
				return true
			}
		}
		return false
	}
	poll(t, "the created service is not in /report", func() bool {
		doc, _ := r.report(t)
		return isService(doc, "")
	})
	if doc, _ := r.report(t); isService(doc, "dangerous-capability") {
		t.Fatalf("the service has a dangerous-capability finding before its update")
	}

	insp, err := d.Client.ServiceInspect(ctx, created.ID, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec = insp.Service.Spec
	spec.TaskTemplate.ContainerSpec.CapabilityAdd = []string{"CAP_SYS_ADMIN"}
	t0 := time.Now()
	if _, err := d.Client.ServiceUpdate(ctx, created.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err != nil {
		t.Fatalf("service update: %v", err)
	}
	poll(t, "the service's added capability is not in /report", func() bool {
		doc, _ := r.report(t)
		return isService(doc, "dangerous-capability")
	})
	t.Logf("service update → dangerous-capability in /report: %v", time.Since(t0).Round(time.Millisecond))
	if v, _ := r.metric(t, `dockguard_events_total{action="update",type="service"}`); v < 1 {
		t.Errorf("no service update event counted")
	}
	if v, ok := r.metric(t, `dockguard_container_findings{kind="service",name="api",rule="DG331"`); !ok || v < 1 {
		_, _, body := r.get(t, "/metrics")
		t.Errorf("no dangerous-capability (DG331) series for the service:\n%s", grep(body, "dockguard_container_findings"))
	}

	if _, err := d.Client.ServiceRemove(ctx, created.ID, client.ServiceRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the removed service is still in /report", func() bool {
		doc, _ := r.report(t)
		return doc != nil && !isService(doc, "")
	})
	if v, _ := r.metric(t, `dockguard_audits_total{reason="interval"}`); v != 0 {
		t.Errorf("%v interval audits with --resync off", v)
	}
	mu.Lock()
	n := len(syncs)
	mu.Unlock()
	if n < 3 {
		t.Errorf("OnSync called %d times, want one per audit (at least start, update, remove)", n)
	}
}

// forwarder relays a unix socket to a real daemon's, byte for byte, except
// for the answers to the agent's event stream (an /events request without
// until=), which it breaks as plan says, one plan per stream in order:
// "cut" forwards the first message only half and closes the connection;
// "flood" sends, in place of the first message, one of more than
// agent.MaxEventMessage bytes that never ends; "" relays. It is not a
// mock: every answer but those is the daemon's.
type forwarder struct {
	path, target string

	mu      sync.Mutex
	plan    []string
	streams int
}

func newForwarder(t *testing.T, target string, plan ...string) *forwarder {
	t.Helper()
	f := &forwarder{path: filepath.Join(t.TempDir(), "fwd.sock"), target: strings.TrimPrefix(target, "unix://"), plan: plan}
	ln, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.relay(c) })
		}
	})
	return f
}

func (f *forwarder) next() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.streams++
	if len(f.plan) == 0 {
		return ""
	}
	p := f.plan[0]
	f.plan = f.plan[1:]
	return p
}

func (f *forwarder) relay(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("unix", f.target)
	if err != nil {
		return
	}
	defer up.Close()
	// The request side names the plan before the request reaches the
	// daemon, so its answer cannot come first.
	plans := make(chan string, 4)
	go func() {
		defer up.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				// A request line fits in one read from the client's
				// single write of its headers.
				if line, _, _ := bytes.Cut(buf[:n], []byte("\r\n")); bytes.HasPrefix(line, []byte("GET ")) &&
					bytes.Contains(line, []byte("/events")) && !bytes.Contains(line, []byte("until=")) {
					plans <- f.next()
				}
				if _, err := up.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	var (
		plan    string
		pending []byte
		sent    bool // the answer's headers, relayed at once
		chunked bool
	)
	buf := make([]byte, 32<<10)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			data := buf[:n]
			if plan == "" {
				select {
				case plan = <-plans:
				default:
				}
			}
			if plan == "" {
				if _, werr := c.Write(data); werr != nil {
					return
				}
			} else {
				pending = append(pending, data...)
				if !sent {
					if i := bytes.Index(pending, []byte("\r\n\r\n")); i >= 0 {
						chunked = bytes.Contains(bytes.ToLower(pending[:i]), []byte("transfer-encoding: chunked"))
						if _, werr := c.Write(pending[:i+4]); werr != nil {
							return
						}
						pending, sent = pending[i+4:], true
					}
				}
				if sent {
					if at := bytes.IndexByte(pending, '{'); at >= 0 {
						switch plan {
						case "cut":
							if len(pending) >= at+20 {
								_, _ = c.Write(pending[:at+10])
								return
							}
						case "flood":
							_, _ = c.Write(flood(chunked))
							return
						}
					}
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// flood is one JSON message of 2 MiB with no end, framed as one HTTP chunk
// when the answer is chunked.
func flood(chunked bool) []byte {
	body := append([]byte(`{"Type":"container","Action":"create","Actor":{"Attributes":{"x":"`), bytes.Repeat([]byte("a"), 2<<20)...)
	if !chunked {
		return body
	}
	return append(fmt.Appendf(nil, "%x\r\n", len(body)), append(body, "\r\n"...)...)
}

// TestAgentBrokenEventStream: between the agent and a real daemon, a
// forwarder first cuts the event stream in the middle of a message, then
// sends a message larger than the agent accepts. Each time the agent says
// the engine is lost, with its findings stale, reconnects, audits again,
// and serves what the daemon holds.
func TestAgentBrokenEventStream(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	fwd := newForwarder(t, d.Host, "cut", "flood")
	var (
		got      notices
		self     atomic.Pointer[agent.Agent]
		healthMu sync.Mutex
		atLost   []agent.Health
	)
	r := startAgent(t, "unix://"+fwd.path, agent.Options{Resync: -1, OnNotice: func(n agent.Notice) {
		if n.Kind == agent.NoticeEngineLost {
			// The health the agent serves at the moment it says so.
			if a := self.Load(); a != nil {
				healthMu.Lock()
				atLost = append(atLost, a.Health())
				healthMu.Unlock()
			}
		}
		got.add(n)
	}})
	self.Store(r.a)
	waitSynced(t, r)

	for i, tc := range []struct{ name, reason string }{
		{"cut", "event stream: unexpected EOF"},
		{"flood", fmt.Sprintf("an event message exceeds %d KiB", agent.MaxEventMessage>>10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "priv-" + tc.name
			create(t, d.Client, name, &container.Config{Image: appImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{Privileged: true}, false)
			poll(t, "the broken stream is not noticed", func() bool { return len(got.of(agent.NoticeEngineLost)) > i })
			lost := got.of(agent.NoticeEngineLost)[i]
			if !strings.Contains(lost.Reason, tc.reason) {
				t.Errorf("engine lost because %q, want %q", lost.Reason, tc.reason)
			}
			healthMu.Lock()
			h := atLost[i]
			healthMu.Unlock()
			if h.OK || !h.Stale {
				t.Errorf("health when the stream broke: %+v, want not OK and stale", h)
			}
			poll(t, "the agent did not come back", func() bool { return len(got.of(agent.NoticeEngineBack)) > i })
			doc, hdr := r.report(t)
			if !hasFinding(doc, name, "privileged") {
				t.Errorf("after the resync, %s (created as the stream broke) is not in /report", name)
			}
			if hdr.Get("X-Dockguard-Stale") != "false" {
				t.Errorf("X-Dockguard-Stale = %q after the resync", hdr.Get("X-Dockguard-Stale"))
			}
		})
	}
	if v, _ := r.metric(t, `dockguard_audits_total{reason="connect"}`); v != 3 {
		t.Errorf("audits on connect = %v, want 3 (start, after the cut, after the flood)", v)
	}
	fwd.mu.Lock()
	if fwd.streams != 3 {
		t.Errorf("%d event streams opened, want 3", fwd.streams)
	}
	fwd.mu.Unlock()
}
