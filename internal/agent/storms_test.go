package agent

import (
	"fmt"
	"testing"
	"time"
)

func TestStorms(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	s := newStorms(3, time.Minute)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	steps := []struct {
		sec       int
		wantStart bool
	}{
		{0, false}, {10, false}, {20, true}, // three within a minute
		{30, false},                // still in the same storm: not a new one
		{200, false}, {300, false}, // calm: one death every 100 s
		{301, false}, {302, true}, // a new storm
	}
	for _, st := range steps {
		if got := s.die("c1", "web", at(st.sec)); got != st.wantStart {
			t.Errorf("death at %ds: storm started = %v, want %v", st.sec, got, st.wantStart)
		}
	}
	if got := s.current(at(303)); len(got) != 1 || got[0] != "web" {
		t.Errorf("current at 303s = %v, want [web]", got)
	}
	if got := s.current(at(400)); len(got) != 0 {
		t.Errorf("current at 400s = %v, want none", got)
	}
	if len(s.byID) != 0 {
		t.Errorf("a container whose deaths left the window is still held")
	}
}

// TestStormsBounded: memory follows the containers, not the events.
func TestStormsBounded(t *testing.T) {
	s := newStorms(5, time.Hour)
	now := time.Now()
	for i := 0; i < 100_000; i++ {
		s.die(fmt.Sprint("c", i%10), "", now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(s.byID) != 10 {
		t.Fatalf("%d containers held, want 10", len(s.byID))
	}
	for id, d := range s.byID {
		if len(d.at) != 5 || cap(d.at) != 5 {
			t.Errorf("%s holds %d deaths (cap %d), want 5", id, len(d.at), cap(d.at))
		}
	}
	s.keep(map[string]string{"c1": "one"}, now.Add(time.Hour))
	if len(s.byID) != 1 || s.byID["c1"].name != "one" {
		t.Errorf("keep left %d containers", len(s.byID))
	}
}
