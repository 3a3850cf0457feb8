package agent

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the agent's own registry: nothing registered globally, so two
// agents (or a test and an agent) never share a series.
type metrics struct {
	reg *prometheus.Registry
	// more are further series served on /metrics (Gather).
	more prometheus.Gatherers

	audits          *prometheus.CounterVec
	auditErrors     prometheus.Counter
	auditDuration   prometheus.Histogram
	eventToFindings prometheus.Histogram
	eventLag        prometheus.Histogram
	events          *prometheus.CounterVec
	dies            prometheus.Counter
	ooms            prometheus.Counter
	stormsTotal     prometheus.Counter
}

func newMetrics(a *Agent) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.audits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dockguard_audits_total", Help: "Full audits of the engine, by what called for them (connect, events, interval).",
	}, []string{"reason"})
	m.auditErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dockguard_audit_errors_total", Help: "Audits that could not read the engine.",
	})
	m.auditDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "dockguard_audit_duration_seconds", Help: "Time one full audit of the engine took.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.eventToFindings = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "dockguard_event_to_findings_seconds", Help: "Time from the agent receiving an event to the findings reflecting it.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.eventLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "dockguard_event_lag_seconds", Help: "Time from the engine stamping an event to the agent receiving it.",
		Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 30},
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dockguard_events_total", Help: "Engine events received, by type and action.",
	}, []string{"type", "action"})
	m.dies = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dockguard_container_dies_total", Help: "Container die events (exits, crashes and kills, restarts included).",
	})
	m.ooms = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dockguard_oom_kills_total", Help: "Containers killed by the out-of-memory killer (oom events).",
	})
	m.stormsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dockguard_restart_storms_total", Help: "Restart storms begun: a container dying the storm count of times within the storm window.",
	})
	m.reg.MustRegister(m.audits, m.auditErrors, m.auditDuration, m.eventToFindings, m.eventLag, m.events, m.dies, m.ooms, m.stormsTotal,
		&stateCollector{a: a},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Gather serves g's series on /metrics beside the agent's own: those of
// an enforcement proxy running in the same process. g must hold no Go or
// process collector (the agent's registry has them: the scrape would fail
// on the duplicates). Call it before Handler or Serve.
func (a *Agent) Gather(g prometheus.Gatherer) {
	a.metrics.more = append(a.metrics.more, g)
}

// gatherer is the agent's registry and what Gather added.
func (m *metrics) gatherer() prometheus.Gatherer {
	if len(m.more) == 0 {
		return m.reg
	}
	return append(prometheus.Gatherers{m.reg}, m.more...)
}

// stateCollector turns the current state into series at scrape time, so a
// container that is gone, or a finding that was fixed, leaves no series
// behind.
type stateCollector struct{ a *Agent }

var (
	descUp = prometheus.NewDesc("dockguard_engine_up",
		"1 when the engine answers and its events are followed.", nil, nil)
	descSynced = prometheus.NewDesc("dockguard_synced",
		"1 when the findings reflect every event seen; 0 means they are stale or missing.", nil, nil)
	descLastSync = prometheus.NewDesc("dockguard_last_sync_timestamp_seconds",
		"When the last full audit finished (Unix time).", nil, nil)
	descFindings = prometheus.NewDesc("dockguard_findings",
		"Current findings on this host, by severity and rule.", []string{"severity", "rule", "slug"}, nil)
	descContainers = prometheus.NewDesc("dockguard_containers",
		"Containers on the engine.", nil, nil)
	descObjectFindings = prometheus.NewDesc("dockguard_container_findings",
		"Current findings of one container or Swarm service, for those with a finding at or above the metrics minimum severity only.",
		[]string{"kind", "name", "severity", "rule", "slug"}, nil)
	descRestarts = prometheus.NewDesc("dockguard_container_restarts",
		"The engine's restart count of a container, for containers with a finding at or above the metrics minimum severity or in a restart storm.",
		[]string{"name"}, nil)
	descStorm = prometheus.NewDesc("dockguard_container_restart_storm",
		"1 for each container in a restart storm now.", []string{"name"}, nil)
	descStorms = prometheus.NewDesc("dockguard_restart_storms",
		"Containers in a restart storm now.", nil, nil)
	descOOMKilled = prometheus.NewDesc("dockguard_containers_oom_killed",
		"Containers whose last exit was an OOM kill, as the last audit saw them.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descSynced, descLastSync, descFindings, descContainers, descObjectFindings, descRestarts, descStorm, descStorms, descOOMKilled} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	a.mu.RLock()
	up, synced, st := a.up, a.synced, a.state
	a.mu.RUnlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descUp, b2f(up))
	gauge(descSynced, b2f(up && synced && st != nil))
	storming := a.storms.current(time.Now())
	gauge(descStorms, float64(len(storming)))
	for _, name := range storming {
		gauge(descStorm, 1, name)
	}
	if st == nil {
		return
	}
	gauge(descLastSync, float64(st.syncedAt.UnixNano())/1e9)
	gauge(descContainers, float64(st.containers))
	gauge(descOOMKilled, float64(st.oomKilled))
	for k, n := range st.bySevRule {
		gauge(descFindings, float64(n), k.severity, k.rule, k.slug)
	}
	for _, w := range st.watched {
		for k, n := range w.findings {
			gauge(descObjectFindings, float64(n), w.kind, w.name, k.severity, k.rule, k.slug)
		}
	}
	// Restart counts are what the engine said at the last audit, which may
	// lag a storm by one audit.
	seen := map[string]bool{}
	for _, name := range append(st.restartNames, storming...) {
		if n, ok := st.restarts[name]; ok && !seen[name] {
			seen[name] = true
			gauge(descRestarts, float64(n), name)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
