// Package agent keeps one Docker engine audited continuously: a full live
// audit at start, another after the engine's events say something changed,
// and the current findings served as Prometheus metrics, a JSON or SARIF
// report and a health check. Fleets are aggregated by Prometheus, not here:
// the agent holds only its own host's current state.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// Options configure an agent; zero durations take the defaults below.
type Options struct {
	// Endpoint is the engine to follow.
	Endpoint engine.Endpoint
	// Config is the policy, as `dockguard audit` reads it.
	Config rules.Config
	// MetricsMinSeverity is the lowest severity that earns a container its
	// own metric series; containers without such a finding are only
	// counted in the totals, so the series stay bounded.
	MetricsMinSeverity rules.Severity
	// StormRestarts deaths of one container within StormWindow are a
	// restart storm.
	StormRestarts int
	StormWindow   time.Duration
	// Resync is the interval of full audits made whatever the events say,
	// for what the event stream does not show (an image re-tagged, a
	// daemon setting); negative turns it off.
	Resync time.Duration
	// Debounce is how long events are gathered before the audit they call
	// for starts: a burst (a compose project coming up) costs one audit.
	Debounce time.Duration
	// PingInterval and PingTimeout check that the engine still answers
	// while no events come: a hung daemon keeps its event stream open.
	PingInterval, PingTimeout time.Duration
	// SyncTimeout bounds one audit.
	SyncTimeout time.Duration
	// MaxBackoff bounds the wait between attempts to reach the engine.
	MaxBackoff time.Duration
	// Version names dockguard in SARIF reports.
	Version string
	// MissingHostFiles are the host files the live audit could not read
	// (an agent in a container without them mounted; see hostfiles.go):
	// logged at start and named in every /report's notes.
	MissingHostFiles []HostFile
	// Logger receives the agent's logs; nil discards them.
	Logger *slog.Logger
	// OnSync, when set, is called after every completed audit with the
	// previous audit's document (nil after the first) and the new one, so
	// a caller can tell what changed without a loop of its own. Calls are
	// serialized and made from the audit's goroutine, so a slow callback
	// delays the next audit; the documents are shared and must not be
	// changed.
	OnSync func(prev, cur *report.Document)
	// OnNotice, when set, is told at once of what the event stream shows
	// before any audit (restart storms, OOM kills) and of the engine lost
	// and found again. It is called from the agent's loop: it must return
	// quickly.
	OnNotice func(Notice)
}

// NoticeKind is what a Notice reports.
type NoticeKind int

const (
	// NoticeStorm: a container began a restart storm.
	NoticeStorm NoticeKind = iota + 1
	// NoticeOOM: the out-of-memory killer killed a container.
	NoticeOOM
	// NoticeEngineLost: the engine stopped answering or its event stream
	// broke; the findings are stale until NoticeEngineBack. Told once an
	// outage, not on every failed reconnect.
	NoticeEngineLost
	// NoticeEngineBack: the agent reconnected and a full audit completed.
	NoticeEngineBack
)

// Notice is one thing an OnNotice callback is told.
type Notice struct {
	Kind NoticeKind
	Time time.Time
	// Container is the container's name, for storms and OOM kills.
	Container string
	// Deaths within Window made the storm.
	Deaths int
	Window time.Duration
	// Reason is why the engine was lost.
	Reason string
}

// Defaults for Options.
const (
	DefaultStormRestarts = 5
	DefaultStormWindow   = 5 * time.Minute
	DefaultResync        = 10 * time.Minute
	DefaultDebounce      = 200 * time.Millisecond
	defaultPingInterval  = 15 * time.Second
	defaultPingTimeout   = 5 * time.Second
	defaultSyncTimeout   = 2 * time.Minute
	defaultMaxBackoff    = 30 * time.Second
	minBackoff           = 250 * time.Millisecond
)

func (o *Options) defaults() {
	if o.MetricsMinSeverity == "" {
		o.MetricsMinSeverity = rules.High
	}
	if o.StormRestarts <= 0 {
		o.StormRestarts = DefaultStormRestarts
	}
	if o.StormWindow <= 0 {
		o.StormWindow = DefaultStormWindow
	}
	if o.Resync == 0 {
		o.Resync = DefaultResync
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.PingInterval <= 0 {
		o.PingInterval = defaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = defaultPingTimeout
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = defaultSyncTimeout
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Agent follows one engine. Its zero value is not usable: call New.
type Agent struct {
	opts    Options
	pol     *policy.Policy
	log     *slog.Logger
	metrics *metrics

	mu    sync.RWMutex
	state *state
	// up: the engine answers and its events are followed; synced: an
	// audit completed since the agent (re)subscribed, so no event was
	// missed and each one seen is reflected within a debounce and an
	// audit. Down is why not, for /healthz.
	up, synced bool
	down       string
	downSince  time.Time
	// toldDown: OnNotice was told of the current outage.
	toldDown bool
	storms   *storms
}

// state is what the last complete audit found, with what the metrics need
// computed once per audit rather than per scrape.
type state struct {
	doc      *report.Document
	syncedAt time.Time
	// names maps container IDs to names, for events that name only IDs.
	names      map[string]string
	containers int
	oomKilled  int
	bySevRule  map[sevRule]int
	// watched are the containers and services with a finding at or above
	// MetricsMinSeverity: only they get series of their own.
	watched map[string]*watchedObject
	// restarts are every container's restart count by name; restartNames
	// the watched containers among them.
	restarts     map[string]int
	restartNames []string
}

type sevRule struct{ severity, rule, slug string }

type watchedObject struct {
	kind, name string
	findings   map[sevRule]int
}

// New builds an agent; Run starts it.
func New(opts Options) (*Agent, error) {
	opts.defaults()
	if opts.StormRestarts < 2 {
		return nil, fmt.Errorf("storm restarts must be at least 2")
	}
	if _, err := rules.ParseSeverity(string(opts.MetricsMinSeverity)); err != nil {
		return nil, fmt.Errorf("metrics minimum severity: %w", err)
	}
	a := &Agent{
		opts:   opts,
		pol:    policy.New(opts.Config),
		log:    opts.Logger,
		storms: newStorms(opts.StormRestarts, opts.StormWindow),
		down:   "not connected yet",
	}
	a.downSince = time.Now()
	a.metrics = newMetrics(a)
	return a, nil
}

// Run follows the engine until ctx ends: connect, subscribe to events,
// audit, then audit again after events; on any error it marks the state
// stale, waits (with a growing backoff) and starts over with a full audit,
// since events missed while away are lost. It returns nil once ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	backoff := minBackoff
	for {
		start := time.Now()
		err := a.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		a.setDown(err)
		if time.Since(start) > a.opts.MaxBackoff {
			// It ran a good while: this is a new outage, not the same one.
			backoff = minBackoff
		}
		a.log.Warn("engine lost; reconnecting", "engine", a.host(), "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, a.opts.MaxBackoff)
	}
}

func (a *Agent) host() string {
	if a.opts.Endpoint.Host != "" {
		return a.opts.Endpoint.Host
	}
	return "default engine"
}

// followedActions are the event actions that call for an audit.
var followedActions = []events.Action{
	events.ActionCreate, events.ActionStart, events.ActionUpdate, events.ActionDie, events.ActionOOM,
	events.ActionDestroy, events.ActionRename, events.ActionConnect, events.ActionDisconnect, events.ActionReload,
	events.ActionRemove,
}

// eventFilters are the events that change what the rules judge: a
// container's configuration or state, which networks it is on, a Swarm
// service's specification (create, update, remove: a manager's audit
// judges services), the daemon's configuration. Everything else (exec,
// attach, health status, image pulls) is left on the engine's side of the
// socket.
func eventFilters() client.Filters {
	f := make(client.Filters)
	f.Add("type", string(events.ContainerEventType), string(events.NetworkEventType), string(events.ServiceEventType), string(events.DaemonEventType))
	for _, e := range followedActions {
		f.Add("event", string(e))
	}
	return f
}

// session is one connection to the engine: it returns why it ended.
func (a *Agent) session(ctx context.Context) error {
	ep, err := engine.Resolve(a.opts.Endpoint)
	if err != nil {
		return err
	}
	cli, err := eventsClient(ep)
	if err != nil {
		return fmt.Errorf("%w: %v", engine.ErrUnreachable, err)
	}
	defer cli.Close()
	if err := a.ping(ctx, cli); err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Subscribe before the audit: Events returns once the engine has
	// answered, so whatever changes during the audit is still seen, and
	// nothing falls between the audit and the stream.
	ev := cli.Events(sctx, client.EventsListOptions{Filters: eventFilters()})

	var (
		syncing  bool
		syncDone = make(chan syncResult, 1)
		dirty    bool
		// pending is when the oldest event the state does not reflect yet
		// arrived, for the event-to-findings latency.
		pending  time.Time
		debounce <-chan time.Time
	)
	startSync := func(reason string, since time.Time) {
		syncing, dirty = true, false
		go func() { syncDone <- a.sync(sctx, ep, reason, since) }()
	}
	startSync("connect", time.Time{})
	var resync <-chan time.Time
	if a.opts.Resync > 0 {
		t := time.NewTicker(a.opts.Resync)
		defer t.Stop()
		resync = t.C
	}
	pingT := time.NewTicker(a.opts.PingInterval)
	defer pingT.Stop()
	// On the way out, wait for an audit in flight, so it cannot publish a
	// state after the agent has said it is down.
	defer func() {
		if syncing {
			cancel()
			<-syncDone
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-ev.Messages:
			if !ok {
				return errors.New("event stream closed")
			}
			now := time.Now()
			a.observe(m, now)
			if pending.IsZero() {
				pending = now
			}
			dirty = true
			if !syncing && debounce == nil {
				debounce = time.After(a.opts.Debounce)
			}
		case err := <-ev.Err:
			if err == nil {
				err = errors.New("event stream ended")
			}
			return fmt.Errorf("event stream: %w", err)
		case <-debounce:
			debounce = nil
			if !syncing {
				startSync("events", pending)
				pending = time.Time{}
			}
		case r := <-syncDone:
			syncing = false
			if r.err != nil {
				return r.err
			}
			a.setUp()
			if dirty && debounce == nil {
				// Events came during the audit: audit again, once.
				debounce = time.After(a.opts.Debounce)
			}
		case <-resync:
			if !syncing {
				startSync("interval", pending)
				pending = time.Time{}
			}
		case <-pingT.C:
			if err := a.ping(ctx, cli); err != nil {
				return err
			}
		}
	}
}

type syncResult struct{ err error }

func (a *Agent) ping(ctx context.Context, cli *client.Client) error {
	pctx, cancel := context.WithTimeout(ctx, a.opts.PingTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return fmt.Errorf("%w: ping: %v", engine.ErrUnreachable, err)
	}
	return nil
}

// sync audits the whole engine and replaces the state. since is when the
// oldest event it answers arrived (zero when no event called for it).
func (a *Agent) sync(ctx context.Context, ep engine.Endpoint, reason string, since time.Time) syncResult {
	ctx, cancel := context.WithTimeout(ctx, a.opts.SyncTimeout)
	defer cancel()
	t0 := time.Now()
	// The restart-loop rule counts the last hour's die events, as
	// `audit --engine` does; the storm metrics come from the live stream.
	snap, res, err := audit.Engine(ctx, ep, engine.Options{All: true, EventsWindow: time.Hour}, a.pol)
	took := time.Since(t0)
	a.metrics.audits.WithLabelValues(reason).Inc()
	if err != nil {
		a.metrics.auditErrors.Inc()
		return syncResult{err: fmt.Errorf("audit: %w", err)}
	}
	st := a.newState(snap, report.Build(res))
	a.mu.Lock()
	prev := a.state
	a.state = st
	a.mu.Unlock()
	if a.opts.OnSync != nil {
		var pd *report.Document
		if prev != nil {
			pd = prev.doc
		}
		a.opts.OnSync(pd, st.doc)
	}
	a.storms.keep(st.names, t0)
	a.metrics.auditDuration.Observe(took.Seconds())
	attrs := []any{"reason", reason, "took", took.Round(time.Millisecond), "containers", st.containers, "findings", len(st.doc.Findings)}
	if !since.IsZero() {
		lat := time.Since(since)
		a.metrics.eventToFindings.Observe(lat.Seconds())
		attrs = append(attrs, "since_event", lat.Round(time.Millisecond))
	}
	a.log.Info("audited", attrs...)
	return syncResult{}
}

// newState sums up an audit for the metrics; the snapshot itself is
// dropped, so memory follows the findings, not the engine's objects.
func (a *Agent) newState(snap *engine.Snapshot, doc *report.Document) *state {
	st := &state{
		doc: doc, syncedAt: time.Now(),
		names:     make(map[string]string, len(snap.Containers)),
		bySevRule: map[sevRule]int{},
		watched:   map[string]*watchedObject{},
		restarts:  map[string]int{},
	}
	restarts := st.restarts
	for _, o := range snap.Containers {
		name := o.Fact.Subject.Name
		st.names[o.ID] = name
		st.containers++
		if l := o.Fact.Live; l != nil {
			if l.RestartCount.IsSet() {
				restarts[name] = l.RestartCount.V
			}
			if l.OOMKilled.IsSet() && l.OOMKilled.V {
				st.oomKilled++
			}
		}
	}
	min := a.opts.MetricsMinSeverity.Rank()
	for _, f := range doc.Findings {
		k := sevRule{string(f.Severity), f.Rule, f.Slug}
		st.bySevRule[k]++
		if f.Severity.Rank() < min {
			continue
		}
		if f.Subject.Kind != facts.SubjectContainer && f.Subject.Kind != facts.SubjectService {
			continue
		}
		key := f.Subject.Kind + "/" + f.Subject.Name
		w := st.watched[key]
		if w == nil {
			w = &watchedObject{kind: f.Subject.Kind, name: f.Subject.Name, findings: map[sevRule]int{}}
			st.watched[key] = w
			if f.Subject.Kind == facts.SubjectContainer {
				st.restartNames = append(st.restartNames, f.Subject.Name)
			}
		}
		w.findings[k]++
	}
	return st
}

// observe counts what an event says at once, before any audit: deaths
// (restart storms), OOM kills, lag.
func (a *Agent) observe(m events.Message, now time.Time) {
	a.metrics.events.WithLabelValues(string(m.Type), eventAction(m.Action)).Inc()
	if m.TimeNano > 0 {
		lag := now.Sub(time.Unix(0, m.TimeNano))
		a.metrics.eventLag.Observe(max(lag, 0).Seconds())
	}
	if m.Type != events.ContainerEventType {
		return
	}
	name := m.Actor.Attributes["name"]
	switch m.Action {
	case events.ActionDie:
		a.metrics.dies.Inc()
		if a.storms.die(m.Actor.ID, name, now) {
			a.metrics.stormsTotal.Inc()
			a.log.Warn("restart storm", "container", name, "deaths", a.opts.StormRestarts, "window", a.opts.StormWindow)
			a.notice(Notice{Kind: NoticeStorm, Time: now, Container: name, Deaths: a.opts.StormRestarts, Window: a.opts.StormWindow})
		}
	case events.ActionOOM:
		a.metrics.ooms.Inc()
		a.log.Warn("container OOM-killed", "container", name)
		a.notice(Notice{Kind: NoticeOOM, Time: now, Container: name})
	case events.ActionDestroy:
		a.storms.forget(m.Actor.ID)
	}
}

// eventAction keeps the action label to the actions asked for, so a daemon
// that sends more cannot grow the series.
func eventAction(a events.Action) string {
	if slices.Contains(followedActions, a) {
		return string(a)
	}
	return "other"
}

func (a *Agent) notice(n Notice) {
	if a.opts.OnNotice != nil {
		a.opts.OnNotice(n)
	}
}

func (a *Agent) setUp() {
	a.mu.Lock()
	was := a.up && a.synced
	told := a.toldDown
	a.up, a.synced, a.down, a.toldDown = true, true, "", false
	a.mu.Unlock()
	if !was {
		a.log.Info("engine synced", "engine", a.host())
	}
	if told {
		a.notice(Notice{Kind: NoticeEngineBack, Time: time.Now()})
	}
}

func (a *Agent) setDown(err error) {
	a.mu.Lock()
	if a.up || a.down == "" {
		a.downSince = time.Now()
	}
	a.up, a.synced = false, false
	a.down = err.Error()
	tell := !a.toldDown
	a.toldDown = true
	since := a.downSince
	a.mu.Unlock()
	if tell {
		a.notice(Notice{Kind: NoticeEngineLost, Time: since, Reason: err.Error()})
	}
}

// Health is the agent's view of its engine, for /healthz and tests.
type Health struct {
	// OK: the engine answers, its events are followed and an audit
	// completed since they were subscribed to (no gap).
	OK bool
	// Reason is why not.
	Reason string
	// Stale: the findings served are from before an outage.
	Stale    bool
	SyncedAt time.Time
	Since    time.Time
}

// Health reports whether the findings are current.
func (a *Agent) Health() Health {
	a.mu.RLock()
	defer a.mu.RUnlock()
	h := Health{OK: a.up && a.synced && a.state != nil, Reason: a.down, Since: a.downSince}
	if a.state != nil {
		h.SyncedAt = a.state.syncedAt
		h.Stale = !h.OK
	}
	if !h.OK && h.Reason == "" {
		h.Reason = "not synced yet"
	}
	return h
}

func (a *Agent) current() *state {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.state
}
