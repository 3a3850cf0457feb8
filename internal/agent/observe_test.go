package agent

import (
	"fmt"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
)

// BenchmarkObserve is what the agent does with each event as it arrives,
// before any audit: counters, lag, restart storms. One iteration is 1,000
// events over 100 containers.
//
//	go test -run '^$' -bench BenchmarkObserve ./internal/agent/
func BenchmarkObserve(b *testing.B) {
	a, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	actions := []events.Action{events.ActionCreate, events.ActionStart, events.ActionDie, events.ActionUpdate, events.ActionDie, events.ActionOOM, events.ActionDestroy, events.ActionConnect}
	msgs := make([]events.Message, 1000)
	for i := range msgs {
		typ := events.ContainerEventType
		if actions[i%len(actions)] == events.ActionConnect {
			typ = events.NetworkEventType
		}
		id := fmt.Sprintf("%064d", i%100)
		msgs[i] = events.Message{Type: typ, Action: actions[i%len(actions)], Actor: events.Actor{ID: id, Attributes: map[string]string{"name": "c" + id[60:]}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		for i := range msgs {
			msgs[i].TimeNano = now.UnixNano()
			a.observe(msgs[i], now)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/event")
}
