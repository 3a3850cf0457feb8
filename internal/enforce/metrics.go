package enforce

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series of the plugin and the proxy.
type Metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	rules     *prometheus.CounterVec
	latency   prometheus.Histogram
	reloads   *prometheus.CounterVec
	started   time.Time
	// daemon is the daemon's version (DaemonCheck), bypasses the known
	// authorization bypasses in its range.
	daemon   *prometheus.GaugeVec
	bypasses *prometheus.GaugeVec
}

// NewMetrics registers dockguard's series on a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), started: time.Now()}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dockguard_enforce_decisions_total", Help: "Requests decided, by outcome (allow, deny, warn, audit) and route.",
	}, []string{"outcome", "route"})
	m.rules = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dockguard_enforce_violations_total", Help: "Violations found, by rule and whether they denied.",
	}, []string{"rule", "denied"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "dockguard_enforce_decision_seconds", Help: "Time to decide a request (decode, image lookup, rules).",
		Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3, 100e-3, 1},
	})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dockguard_enforce_config_reloads_total", Help: "Configuration reloads, by result (ok, failed).",
	}, []string{"result"})
	m.daemon = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dockguard_enforce_daemon_info", Help: "The daemon's version and API version, read at start (1).",
	}, []string{"version", "api_version"})
	m.bypasses = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dockguard_enforce_daemon_known_bypass", Help: "1 for each known Docker Engine authorization-bypass CVE whose range holds the daemon's version (a distribution build may carry the fix).",
	}, []string{"cve"})
	m.reg.MustRegister(m.decisions, m.rules, m.latency, m.reloads, m.daemon, m.bypasses)
	return m
}

// Gatherer gathers the enforcement series alone, without the Go runtime's
// and the process's (Handler adds those), for a process that serves them
// beside its own registry, which has them already.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Observe records a decision (Plugin.Observe).
func (m *Metrics) Observe(d *Decider, dec *Decision) {
	m.decisions.WithLabelValues(d.Outcome(dec), routeLabel(dec.Route)).Inc()
	for _, v := range dec.Violations {
		denied := "false"
		if v.Deny && d.mode == "enforce" {
			denied = "true"
		}
		m.rules.WithLabelValues(v.Rule, denied).Inc()
	}
	m.latency.Observe(dec.Latency.Seconds())
}

// unknownRoute is the one route label of every request that names no
// route of the allow-list.
const unknownRoute = "unknown"

// routePatterns are the allow-list's route templates: the only route
// labels besides unknownRoute.
var routePatterns = func() map[string]bool {
	m := make(map[string]bool, len(routes))
	for _, r := range routes {
		m[r.pattern] = true
	}
	return m
}()

// routeLabel bounds the route label: a decision names its route template,
// or the path it was sent, which the client chooses; one label per path
// sent would grow the series without bound.
func routeLabel(route string) string {
	if routePatterns[route] {
		return route
	}
	return unknownRoute
}

// Reloaded records a reload (Reloader.Observe).
func (m *Metrics) Reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
	} else {
		m.reloads.WithLabelValues("failed").Inc()
	}
}

// Daemon records the daemon's version and the known bypasses in its range
// (DaemonCheck). A nil Metrics records nothing.
func (m *Metrics) Daemon(version, apiVersion string, bypasses []Advisory) {
	if m == nil {
		return
	}
	m.daemon.Reset()
	m.bypasses.Reset()
	m.daemon.WithLabelValues(version, apiVersion).Set(1)
	for _, a := range bypasses {
		m.bypasses.WithLabelValues(a.CVE).Set(1)
	}
}

// Handler serves /metrics and /healthz (200 while a policy is loaded).
func (m *Metrics) Handler(p *Plugin) http.Handler {
	mux := http.NewServeMux()
	proc := prometheus.NewRegistry()
	proc.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux.Handle("/metrics", promhttp.HandlerFor(prometheus.Gatherers{m.reg, proc}, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if p.Decider() == nil {
			http.Error(w, "no policy loaded", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok mode=" + p.Decider().Mode() + "\n"))
	})
	return mux
}
