package harden

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Floors and units of limits computed from observed usage: a sample taken
// while the app idles must not give a limit it cannot start under.
const (
	MinObservedMemory = 64 << 20
	MinObservedPids   = 32
	memoryUnit        = 64 << 20
	pidsUnit          = 32
)

// Usage is what one running container was seen using.
type Usage struct {
	// Name is the container name; Project and Service its compose labels
	// (com.docker.compose.project / .service), "" when it has none.
	Name, Project, Service, Image string
	// Memory is the largest memory use seen, in bytes, without the page
	// cache the kernel can drop (as docker stats shows it); Pids the
	// largest number of tasks.
	Memory, Pids int64
	// Samples is how many stats samples were read.
	Samples int
}

// Observed is the usage of the running containers of an engine.
type Observed []Usage

// MemoryLimit is the memory limit the usage suggests: the peak times
// headroom, rounded up to 64 MiB, at least 64 MiB; 0 without a sample.
func (u Usage) MemoryLimit(headroom float64) int64 {
	if u.Samples == 0 || u.Memory <= 0 {
		return 0
	}
	return roundUp(int64(math.Ceil(float64(u.Memory)*headroom)), memoryUnit, MinObservedMemory)
}

// PidsLimit is the PIDs limit the usage suggests: the peak times
// headroom, rounded up to 32, at least 32; 0 without a sample.
func (u Usage) PidsLimit(headroom float64) int64 {
	if u.Samples == 0 || u.Pids <= 0 {
		return 0
	}
	return roundUp(int64(math.Ceil(float64(u.Pids)*headroom)), pidsUnit, MinObservedPids)
}

func roundUp(n, unit, floor int64) int64 {
	n = (n + unit - 1) / unit * unit
	if n < floor {
		return floor
	}
	return n
}

// lookup finds the usage of a compose service (of project, when not "")
// or, failing that, of the container with that name.
func (obs Observed) lookup(name, project string) (Usage, bool) {
	if name == "" {
		return Usage{}, false
	}
	var best Usage
	found := false
	for _, u := range obs {
		if u.Service == name && (project == "" || u.Project == project) {
			// Several replicas: the largest of them.
			best.Memory = max(best.Memory, u.Memory)
			best.Pids = max(best.Pids, u.Pids)
			best.Samples += u.Samples
			best.Name, best.Service, best.Project = u.Name, u.Service, u.Project
			found = true
		}
	}
	if found {
		return best, true
	}
	for _, u := range obs {
		if u.Name == name {
			return u, true
		}
	}
	return Usage{}, false
}

// ObserveOptions say how long to watch.
type ObserveOptions struct {
	// For is how long to sample each container; 0 reads one sample.
	For time.Duration
	// Every is the time between samples (0: 1s).
	Every time.Duration
}

// Observe reads the memory and PIDs use of every running container of an
// engine through the stats endpoint: one sample (stream=false) each, or
// samples over opt.For keeping the peak. A container whose stats cannot
// be read is left out and named in the returned notes.
func Observe(ctx context.Context, c *client.Client, opt ObserveOptions) (Observed, []Note, error) {
	list, err := c.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return nil, nil, err
	}
	every := opt.Every
	if every <= 0 {
		every = time.Second
	}
	var obs Observed
	var notes []Note
	idx := map[string]int{}
	for _, s := range list.Items {
		u := Usage{Image: s.Image, Project: s.Labels["com.docker.compose.project"], Service: s.Labels["com.docker.compose.service"]}
		if len(s.Names) > 0 {
			u.Name = strings.TrimPrefix(s.Names[0], "/")
		}
		idx[s.ID] = len(obs)
		obs = append(obs, u)
	}
	deadline := time.Now().Add(opt.For)
	failed := map[string]bool{}
	// With a duration: samples every opt.Every until it has passed, and
	// at least two (the first and one at the end), however slow the
	// engine answers.
	for round := 1; ; round++ {
		for _, s := range list.Items {
			if failed[s.ID] {
				continue
			}
			u := &obs[idx[s.ID]]
			mem, pids, err := statsSample(ctx, c, s.ID)
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				failed[s.ID] = true
				notes = append(notes, Note{Message: fmt.Sprintf("container %s: usage not read: %v", u.Name, err)})
				continue
			}
			u.Memory, u.Pids = max(u.Memory, mem), max(u.Pids, pids)
			u.Samples++
		}
		left := time.Until(deadline)
		if opt.For <= 0 || (left <= 0 && round >= 2) {
			break
		}
		wait := min(every, max(left, 0))
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	var out Observed
	for _, u := range obs {
		if u.Samples > 0 {
			out = append(out, u)
		}
	}
	return out, notes, nil
}

// statsSample reads one stats sample: memory in use without the inactive
// page cache (cgroup v2 "inactive_file", v1 "total_inactive_file"), as
// docker stats computes it, and the number of tasks.
func statsSample(ctx context.Context, c *client.Client, id string) (mem, pids int64, err error) {
	res, err := c.ContainerStats(ctx, id, client.ContainerStatsOptions{})
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	var st api.StatsResponse
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&st); err != nil {
		return 0, 0, fmt.Errorf("stats: %v", err)
	}
	m := st.MemoryStats
	used := m.Usage
	for _, k := range []string{"inactive_file", "total_inactive_file"} {
		if v, ok := m.Stats[k]; ok && v < used {
			used -= v
			break
		}
	}
	if used > math.MaxInt64 {
		used = math.MaxInt64
	}
	return int64(used), int64(st.PidsStats.Current), nil
}
