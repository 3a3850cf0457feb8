package agent

import (
	"sync"
	"time"
)

// storms tells restart storms from the die events: a container that died
// n times within the window is in one. Memory is bounded by the containers
// that died within the window, each holding at most n times, whatever the
// number of events.
type storms struct {
	n      int
	window time.Duration

	mu   sync.Mutex
	byID map[string]*deaths
}

type deaths struct {
	name string
	// at holds the last n death times, oldest first once full.
	at       []time.Time
	next     int
	storming bool
}

func newStorms(n int, window time.Duration) *storms {
	return &storms{n: n, window: window, byID: map[string]*deaths{}}
}

// die records a death and reports whether it starts a storm.
func (s *storms) die(id, name string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.byID[id]
	if d == nil {
		d = &deaths{at: make([]time.Time, 0, s.n)}
		s.byID[id] = d
	}
	if name != "" {
		d.name = name
	}
	if len(d.at) < s.n {
		d.at = append(d.at, now)
	} else {
		d.at[d.next] = now
		d.next = (d.next + 1) % s.n
	}
	in := s.inStorm(d, now)
	started := in && !d.storming
	d.storming = in
	return started
}

// inStorm: the oldest of the last n deaths is within the window.
func (s *storms) inStorm(d *deaths, now time.Time) bool {
	if len(d.at) < s.n {
		return false
	}
	return now.Sub(d.at[d.next]) <= s.window
}

// current returns the names of the containers in a storm now, and drops
// the containers whose last death left the window.
func (s *storms) current(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, d := range s.byID {
		last := d.at[(d.next+len(d.at)-1)%len(d.at)]
		if now.Sub(last) > s.window {
			delete(s.byID, id)
			continue
		}
		d.storming = s.inStorm(d, now)
		if d.storming {
			out = append(out, d.name)
		}
	}
	return out
}

// forget drops a removed container.
func (s *storms) forget(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// keep drops the containers an audit started at began no longer saw
// (removed while the agent was away) and names the ones it did. A death
// after began may be of a container created after the audit listed them.
func (s *storms) keep(names map[string]string, began time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, d := range s.byID {
		name, ok := names[id]
		if !ok {
			if d.at[(d.next+len(d.at)-1)%len(d.at)].Before(began) {
				delete(s.byID, id)
			}
			continue
		}
		d.name = name
	}
}
