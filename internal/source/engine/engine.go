// Package engine reads a running Docker engine through the Engine API and
// turns what it finds into facts: every container (inspected, joined with
// its image's config, plus what only a live system shows), its networks as
// a project, its Swarm services when it is a manager, and the host and
// daemon it reports.
//
// Everything goes through the API (no docker CLI), with a bound on
// concurrent requests, the API version negotiated (Debian's 20.10 engines
// speak 1.41), and every response capped. Faults stay local: a container
// removed between list and inspect is skipped with a note, an unreadable
// image leaves the container judged without it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/dockguard/dockguard/internal/hostview"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// Options tune a live read.
type Options struct {
	// All includes stopped containers (docker ps -a).
	All bool
	// Concurrency bounds the API requests in flight per engine; 0 means 8.
	Concurrency int
	// EventsWindow is how far back die events are counted; 0 means one
	// hour, negative skips events.
	EventsWindow time.Duration
	// MaxResponse caps one API response in bytes; 0 means 16 MiB.
	MaxResponse int64
	// Progress, when set, is told how many objects are read of how many;
	// calls are serialized.
	Progress func(done, total int)
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.EventsWindow == 0 {
		o.EventsWindow = time.Hour
	}
	if o.MaxResponse == 0 {
		o.MaxResponse = 16 << 20
	}
}

// Object is one container or Swarm service: its Engine API configuration
// with where each value was read, and the fact the mapper made of it.
type Object struct {
	ID   string
	Spec *container.Spec
	Fact *facts.Container
}

// Snapshot is what one engine showed.
type Snapshot struct {
	// Host is the engine's address, as findings name it.
	Host    string
	Info    system.Info
	Version client.ServerVersionResult
	// HostFacts is the host and daemon as the API reports them.
	HostFacts *facts.Host
	// Containers are every container (running only, without All); Swarm
	// task containers are left to their service when the engine is a
	// manager.
	Containers []*Object
	// Services are the Swarm services, when the engine is a manager.
	Services []*Object
	// Project holds the containers and services with the networks they
	// share, for the segregation and icc rules.
	Project *facts.Project
	// Notes and Errors are about objects of this engine that could not be
	// read completely; the rest was.
	Notes  []string
	Errors []string
}

// ErrUnreachable wraps every failure to reach an engine at all.
var ErrUnreachable = errors.New("cannot reach the engine")

// Load reads one engine. An error means the engine could not be read at
// all; problems with single objects are in the snapshot's notes and
// errors.
func Load(ctx context.Context, ep Endpoint, opts Options) (*Snapshot, error) {
	opts.defaults()
	ep, err := Resolve(ep)
	if err != nil {
		return nil, err
	}
	cli, tr, err := connect(ep, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer tr.CloseIdleConnections()
	defer cli.Close()
	r := &reader{cli: cli, ep: ep, opts: opts, snap: &Snapshot{Host: ep.Host}, sem: make(chan struct{}, opts.Concurrency)}
	return r.load(ctx)
}

type reader struct {
	cli  *client.Client
	ep   Endpoint
	opts Options
	snap *Snapshot
	sem  chan struct{}

	mu       sync.Mutex
	done     int
	total    int
	images   map[string]*imageEntry
	dies     map[string]int
	eventsOK bool
	// userns and cgroupnsPrivate are daemon defaults (docker info's
	// security options): user namespace remapping, private cgroup
	// namespaces.
	userns          bool
	defaultRuntime  string
	cgroupnsPrivate bool
	// host shows the daemon's host when it is reached through a local
	// unix socket: its own sockets, by inode (nil otherwise).
	host *hostview.View
}

func (r *reader) note(format string, args ...any) {
	r.mu.Lock()
	r.snap.Notes = append(r.snap.Notes, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *reader) fail(format string, args ...any) {
	r.mu.Lock()
	r.snap.Errors = append(r.snap.Errors, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *reader) progress(n int) {
	if r.opts.Progress == nil {
		return
	}
	r.mu.Lock()
	r.done += n
	r.opts.Progress(r.done, r.total)
	r.mu.Unlock()
}

// acquire takes a request slot, or fails when the audit's time is up.
func (r *reader) acquire(ctx context.Context) error {
	select {
	case r.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *reader) release() { <-r.sem }

func (r *reader) load(ctx context.Context) (*Snapshot, error) {
	s := r.snap
	if _, err := r.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, describe(err))
	}
	var (
		wg                      sync.WaitGroup
		infoErr, verErr, netErr error
		list                    client.ContainerListResult
		listErr                 error
		nets                    client.NetworkListResult
	)
	wg.Add(4)
	go func() {
		defer wg.Done()
		res, err := r.cli.Info(ctx, client.InfoOptions{})
		s.Info, infoErr = res.Info, err
	}()
	go func() {
		defer wg.Done()
		s.Version, verErr = r.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	}()
	go func() {
		defer wg.Done()
		list, listErr = r.cli.ContainerList(ctx, client.ContainerListOptions{All: r.opts.All})
	}()
	go func() {
		defer wg.Done()
		nets, netErr = r.cli.NetworkList(ctx, client.NetworkListOptions{})
	}()
	// Events stream while containers are inspected; their counts are
	// joined at the end.
	var events sync.WaitGroup
	if r.opts.EventsWindow > 0 {
		events.Go(func() { r.readEvents(ctx) })
	}
	wg.Wait()
	if infoErr != nil {
		return nil, fmt.Errorf("%w: info: %v", ErrUnreachable, describe(infoErr))
	}
	if verErr != nil {
		r.fail("version: %v", describe(verErr))
	}
	if listErr != nil {
		return nil, fmt.Errorf("listing containers: %v", describe(listErr))
	}
	if netErr != nil {
		r.fail("listing networks: %v", describe(netErr))
	}
	for _, o := range s.Info.SecurityOptions {
		if strings.Contains(o, "name=userns") {
			r.userns = true
		}
		if strings.Contains(o, "name=cgroupns") {
			r.cgroupnsPrivate = true
		}
		if strings.Contains(o, "name=rootless") {
			r.userns = true // container root is the daemon's unprivileged user
		}
	}
	r.defaultRuntime = s.Info.DefaultRuntime
	manager := s.Info.Swarm.ControlAvailable
	if sock, ok := strings.CutPrefix(r.ep.Host, "unix://"); ok {
		// The engine's own socket, and its -H listeners and
		// containerd's: mounted under any name they are the engine.
		r.host = hostview.Discover(sock, s.Info.DockerRootDir, nil)
	}

	networkNames := map[string]string{}
	for _, n := range nets.Items {
		networkNames[n.ID] = n.Name
	}
	var ids []string
	names := map[string]string{}
	tasks := 0
	for _, c := range list.Items {
		if manager && c.Labels["com.docker.swarm.service.id"] != "" {
			tasks++
			continue
		}
		ids = append(ids, c.ID)
		if len(c.Names) > 0 {
			names[c.ID] = strings.TrimPrefix(c.Names[0], "/")
		}
	}
	if tasks > 0 {
		r.note("%d containers are tasks of Swarm services and are judged through their services", tasks)
	}

	var services []swarmService
	if manager {
		services = r.listServices(ctx)
	}
	r.total = len(ids) + len(services)
	r.images = map[string]*imageEntry{}

	s.Containers = make([]*Object, len(ids))
	for i := range ids {
		if err := r.acquire(ctx); err != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s.Containers[i] = r.readContainer(ctx, ids[i], names[ids[i]])
			r.progress(1)
		}(i)
	}
	s.Services = make([]*Object, len(services))
	for i := range services {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s.Services[i] = r.serviceObject(ctx, services[i], networkNames)
			r.progress(1)
		}(i)
	}
	wg.Wait()
	events.Wait()
	s.Containers = compact(s.Containers)
	if r.eventsOK {
		for _, o := range s.Containers {
			at := o.Fact.Live.RestartCount.At
			at.Field = "events"
			o.Fact.Live.RecentDies = facts.SetAt(r.dies[o.ID], at)
			o.Fact.Live.EventsWindow = window(r.opts.EventsWindow)
		}
	}
	s.Services = compact(s.Services)
	if err := ctx.Err(); err != nil {
		r.fail("stopped before every container was read: %v", err)
	}

	s.Project = r.project(nets)
	s.HostFacts = hostFacts(s, nets, r.ep)
	sort.Strings(s.Notes)
	sort.Strings(s.Errors)
	return s, nil
}

func compact(objs []*Object) []*Object {
	out := objs[:0]
	for _, o := range objs {
		if o != nil {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fact.Subject.Name < out[j].Fact.Subject.Name })
	return out
}

// readEvents counts die events per container within the window: a
// container that keeps dying is in a restart loop even when its restart
// count was reset by a re-create.
func (r *reader) readEvents(ctx context.Context) {
	now := time.Now()
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := r.cli.Events(ectx, client.EventsListOptions{
		Since:   fmt.Sprint(now.Add(-r.opts.EventsWindow).Unix()),
		Until:   fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond()),
		Filters: make(client.Filters).Add("type", "container").Add("event", "die"),
	})
	dies := map[string]int{}
	for {
		select {
		case m := <-res.Messages:
			dies[m.Actor.ID]++
		case err := <-res.Err:
			r.mu.Lock()
			defer r.mu.Unlock()
			if err == nil || errors.Is(err, io.EOF) {
				r.dies, r.eventsOK = dies, true
				return
			}
			r.snap.Notes = append(r.snap.Notes, "events could not be read, so recent restarts are not counted: "+describe(err))
			return
		}
	}
}

// describe shortens API errors for reports.
func describe(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if errors.Is(err, errTooLarge) {
		return msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out (--timeout)"
	}
	if i := strings.Index(msg, "\n"); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// isNotFound reports an object that is gone.
func isNotFound(err error) bool {
	return cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "No such container") || strings.Contains(err.Error(), "No such image")
}
