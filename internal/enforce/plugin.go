package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// ContentType is what the daemon sends and expects from plugins.
const ContentType = "application/vnd.docker.plugins.v1.2+json"

// decideTimeout bounds one decision (the image lookup); dockerd has no
// timeout of its own for legacy plugins.
const decideTimeout = 5 * time.Second

// Plugin serves the authorization plugin protocol: /Plugin.Activate,
// /AuthZPlugin.AuthZReq (the decision) and /AuthZPlugin.AuthZRes (always
// allowed: the side effect has already happened).
type Plugin struct {
	dec atomic.Pointer[Decider]
	log *slog.Logger
	// Observe, when set, is called with every decision (metrics).
	Observe func(*Decision)
	// source is where the policy comes from and why the file, as it is
	// now, does not load (PolicyState).
	source atomic.Pointer[policySource]
}

type policySource struct{ path, err string }

// ProbeHeader marks the plugin calls `dockguard enforce check` makes to
// see the plugin answer. It is a header of the plugin call itself, which
// only a process that can open the plugin's socket sets: dockerd sends
// its own headers there, and a requester's headers travel inside the
// AuthZReq (RequestHeaders), so no requester can mark a request of
// theirs. A call so marked is still decided; it is kept out of the
// decision log and the metrics only when its AuthZReq is exactly one of
// ProbeRequests.
const ProbeHeader = "Dockguard-Probe"

// ProbeRequests are the requests `dockguard enforce check` has the plugin
// decide: a ping, which must be allowed, and a privileged create, which
// the policy must deny (unless in warn or audit mode).
func ProbeRequests() []Request {
	body := []byte(`{"Image":"dockguard-check","User":"1000","HostConfig":{"Privileged":true}}`)
	return []Request{
		{RequestMethod: "GET", RequestURI: "/_ping"},
		{RequestMethod: "POST", RequestURI: "/v1.41/containers/create", RequestBody: body,
			RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(body))}},
	}
}

// isProbe reports whether a request is exactly one of ProbeRequests.
func isProbe(r *Request) bool {
	for _, p := range ProbeRequests() {
		if r.User == p.User && r.UserAuthNMethod == p.UserAuthNMethod && r.RequestMethod == p.RequestMethod &&
			r.RequestURI == p.RequestURI && bytes.Equal(r.RequestBody, p.RequestBody) && maps.Equal(r.RequestHeaders, p.RequestHeaders) {
			return true
		}
	}
	return false
}

// PolicyState is what the plugin tells `dockguard enforce check` of its
// policy (POST /DockGuard.Policy on its socket).
type PolicyState struct {
	Profile string `json:"Profile"`
	Mode    string `json:"Mode"`
	// Config is the configuration file ("" for none).
	Config string `json:"Config,omitempty"`
	// ConfigError is why Config does not load as it is now: the plugin
	// keeps the policy it had (at start: the baseline profile with the
	// default settings) until the file loads.
	ConfigError string `json:"ConfigError,omitempty"`
}

// SetSource records the configuration file and the outcome of its last
// load (nil: it loaded).
func (p *Plugin) SetSource(path string, err error) {
	src := &policySource{path: path}
	if err != nil {
		src.err = err.Error()
	}
	p.source.Store(src)
}

// State is the policy in force and the state of its file.
func (p *Plugin) State() PolicyState {
	d := p.dec.Load()
	st := PolicyState{Profile: d.Profile().String(), Mode: d.Mode()}
	if src := p.source.Load(); src != nil {
		st.Config, st.ConfigError = src.path, src.err
	}
	return st
}

// NewPlugin returns a plugin deciding with d, logging decisions to log.
func NewPlugin(d *Decider, log *slog.Logger) *Plugin {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Plugin{log: log}
	p.dec.Store(d)
	return p
}

// Set replaces the decider (a reload); requests in flight finish with the
// previous one.
func (p *Plugin) Set(d *Decider) { p.dec.Store(d) }

// Decider returns the current decider.
func (p *Plugin) Decider() *Decider { return p.dec.Load() }

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP implements the protocol.
func (p *Plugin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, Response{Err: "plugin calls are POST"})
		return
	}
	switch r.URL.Path {
	case "/Plugin.Activate":
		reply(w, http.StatusOK, map[string][]string{"Implements": {"authz"}})
	case "/AuthZPlugin.AuthZRes":
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		reply(w, http.StatusOK, Response{Allow: true})
	case "/AuthZPlugin.AuthZReq":
		d := p.dec.Load()
		// The body is base64 inside JSON: 4/3 of the cap, plus headers.
		limit := d.maxBody*4/3 + 1<<20
		var req Request
		if err := json.NewDecoder(io.LimitReader(r.Body, limit)).Decode(&req); err != nil {
			p.log.Warn("decision", "decision", "deny", "reason", "AuthZReq not readable: "+err.Error())
			reply(w, http.StatusOK, Response{Allow: false, Msg: "dockguard: the authorization request could not be read"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), decideTimeout)
		defer cancel()
		dec := d.Decide(ctx, &req)
		if r.Header.Get(ProbeHeader) != "" && isProbe(&req) {
			// enforce check asking, not a user: no decision to log or count.
			p.log.Debug("enforce check probe", "method", req.RequestMethod, "route", dec.Route, "decision", d.Outcome(&dec))
		} else {
			p.logDecision(d, &dec)
			if p.Observe != nil {
				p.Observe(&dec)
			}
		}
		reply(w, http.StatusOK, Response{Allow: dec.Allow, Msg: dec.Msg})
	case "/DockGuard.Policy":
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		reply(w, http.StatusOK, p.State())
	default:
		reply(w, http.StatusNotFound, Response{Err: "unknown plugin call " + r.URL.Path})
	}
}

// Outcome names a decision for logs and metrics: allow, deny, warn
// (warn mode let a violation through) or audit.
func (d *Decider) Outcome(dec *Decision) string {
	switch {
	case !dec.Allow:
		return "deny"
	case dec.Msg != "":
		return d.mode // warn or audit: it would have been denied
	default:
		return "allow"
	}
}

// logDecision writes the structured decision log. Bodies are never
// logged, so environment values and other secrets in them never are.
func (p *Plugin) logDecision(d *Decider, dec *Decision) {
	LogDecision(p.log, d, dec)
}

// LogDecision writes one decision: time, route, subject, decision, rules,
// latency.
func LogDecision(log *slog.Logger, d *Decider, dec *Decision) {
	outcome := d.Outcome(dec)
	level := slog.LevelInfo
	switch outcome {
	case "deny", "warn":
		level = slog.LevelWarn
	case "allow":
		if len(dec.Violations) == 0 && dec.Reason == "" {
			level = slog.LevelDebug
		}
	}
	attrs := []slog.Attr{
		slog.String("method", dec.Method), slog.String("route", dec.Route), slog.String("decision", outcome),
		slog.Duration("latency", dec.Latency),
	}
	if dec.Subject != "" {
		attrs = append(attrs, slog.String("subject", dec.Subject))
	}
	if len(dec.Violations) > 0 {
		attrs = append(attrs, slog.Any("rules", dec.Rules()))
	}
	if dec.Reason != "" {
		attrs = append(attrs, slog.String("reason", dec.Reason))
	}
	if dec.Msg != "" {
		attrs = append(attrs, slog.String("message", dec.Msg))
	}
	log.LogAttrs(context.Background(), level, "decision", attrs...)
}
