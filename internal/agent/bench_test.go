package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// benchContainers is the size of the host of BenchmarkEngineEvents;
// DOCKGUARD_BENCH_CONTAINERS changes it.
func benchContainers() int {
	if n, err := strconv.Atoi(os.Getenv("DOCKGUARD_BENCH_CONTAINERS")); err == nil && n > 0 {
		return n
	}
	return 200
}

// populate creates n containers: every fifth privileged (so it has series
// of its own), every fourth running.
func populate(tb testing.TB, cli *client.Client, n int) []string {
	ids := make([]string, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			hc := &container.HostConfig{Privileged: i%5 == 0}
			ids[i] = create(tb, cli, fmt.Sprintf("c%04d", i), &container.Config{Image: appImage, Cmd: []string{"sleep", "0"}, Env: []string{fmt.Sprintf("INDEX=%d", i)}}, hc, i%4 == 0)
		})
	}
	wg.Wait()
	return ids
}

// burst makes 1,000 update events on the daemon (an update that changes
// nothing is still an event), 8 requests at a time.
func burst(tb testing.TB, cli *client.Client, ids []string) {
	const events = 1000
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range events {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := cli.ContainerUpdate(context.Background(), ids[i%len(ids)], client.ContainerUpdateOptions{}); err != nil {
				tb.Errorf("update: %v", err)
			}
		})
	}
	wg.Wait()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkEngineEvents measures, on a private daemon with many
// containers, what the agent holds (heap after its first audit, beside the
// heap before it started) and what 1,000 events cost it: the test
// process's CPU time during a burst with the agent following, less the
// same burst made before the agent started (the client's own share). Each
// iteration is one burst of 1,000 events.
//
//	go test -run '^$' -bench BenchmarkEngineEvents -benchtime 3x ./internal/agent/
func BenchmarkEngineEvents(b *testing.B) {
	n := benchContainers()
	d := testenv.Start(b, testenv.Options{})
	buildImages(b, d)
	t0 := time.Now()
	ids := populate(b, d.Client, n)
	b.Logf("%d containers created in %v", n, time.Since(t0).Round(time.Millisecond))

	c0 := cpuTime()
	burst(b, d.Client, ids)
	base := cpuTime() - c0

	heap0 := heapInUse()
	r := startAgent(b, d.Host, agent.Options{Logger: slog.New(slog.DiscardHandler)})
	waitSynced(b, r)
	heap1 := heapInUse()
	sum, _ := r.metric(b, "dockguard_audit_duration_seconds_sum")
	b.Logf("first audit of %d containers: %v; heap %d KiB before the agent, %d KiB holding the state (%d bytes a container)",
		n, time.Duration(sum*float64(time.Second)).Round(time.Millisecond), heap0>>10, heap1>>10, int64(heap1-heap0)/int64(n))
	series := 0
	_, _, body := r.get(b, "/metrics")
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "dockguard_container_") || strings.HasPrefix(l, "dockguard_findings") {
			series++
		}
	}
	b.Logf("/metrics: %d bytes, %d dockguard_findings and per-container series", len(body), series)

	var agentCPU time.Duration
	var audits float64
	events := 0.0
	for b.Loop() {
		a0, _ := r.metric(b, "dockguard_audits_total")
		c0 := cpuTime()
		burst(b, d.Client, ids)
		events += 1000
		poll(b, "events not all seen", func() bool {
			v, _ := r.metric(b, `dockguard_events_total{action="update"`)
			return v >= events
		})
		// Caught up: no audit for a second after the last event.
		last, _ := r.metric(b, "dockguard_audits_total")
		for {
			time.Sleep(time.Second)
			v, _ := r.metric(b, "dockguard_audits_total")
			if v == last {
				break
			}
			last = v
		}
		agentCPU += cpuTime() - c0 - base
		audits += last - a0
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.Logf("peak RSS of the test process (agent, client and test together): %d MB", ru.Maxrss>>10)
	iters := events / 1000
	b.ReportMetric(float64(agentCPU.Microseconds())/events, "agent-cpu-µs/event")
	b.ReportMetric(audits/iters, "audits/1000-events")
	b.ReportMetric(float64(base.Microseconds())/1000, "client-cpu-µs/event")
}
