package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dockguard/dockguard/internal/report"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics, /report (JSON, or SARIF with ?format=sarif) and
// /healthz.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.gatherer(), promhttp.HandlerOpts{
		ErrorLog: slogPrinter{a}, MaxRequestsInFlight: 4, Timeout: 10 * time.Second,
	}))
	mux.HandleFunc("GET /report", a.serveReport)
	mux.HandleFunc("GET /healthz", a.serveHealth)
	return mux
}

type slogPrinter struct{ a *Agent }

func (p slogPrinter) Println(v ...any) { p.a.log.Error("metrics", "err", fmt.Sprint(v...)) }

// serveHealth answers 200 only while the findings are current: the engine
// answers, its events are followed, and an audit completed since they were
// subscribed to, so no event fell in a gap.
func (a *Agent) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := a.Health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if h.OK {
		fmt.Fprintf(w, "ok: synced at %s\n", h.SyncedAt.UTC().Format(time.RFC3339))
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "unhealthy since %s: %s\n", h.Since.UTC().Format(time.RFC3339), h.Reason)
	if h.Stale {
		fmt.Fprintf(w, "stale: the findings served are from %s\n", h.SyncedAt.UTC().Format(time.RFC3339))
	}
}

// serveReport writes the current findings in the audit's own JSON or
// SARIF. Findings from before an outage are still served (they are the
// best knowledge there is) but marked: a note in the report, and the
// X-Dockguard-Stale header.
func (a *Agent) serveReport(w http.ResponseWriter, r *http.Request) {
	st := a.current()
	if st == nil {
		http.Error(w, "no audit has completed yet: "+a.Health().Reason, http.StatusServiceUnavailable)
		return
	}
	h := a.Health()
	doc := st.doc
	if len(a.opts.MissingHostFiles) > 0 {
		// A copy: the state's document is shared by every request.
		d := *doc
		d.Notes = make([]report.Problem, 0, len(doc.Notes)+len(a.opts.MissingHostFiles))
		for _, f := range a.opts.MissingHostFiles {
			d.Notes = append(d.Notes, report.Problem{Path: a.host(), Message: hostFileNote(f)})
		}
		d.Notes = append(d.Notes, doc.Notes...)
		doc = &d
	}
	if h.Stale {
		// A copy: the state's document is shared by every request.
		d := *doc
		d.Notes = append([]report.Problem{{
			Path:    a.host(),
			Message: fmt.Sprintf("stale: these findings are from the audit at %s; since %s the engine is not followed (%s)", st.syncedAt.UTC().Format(time.RFC3339), h.Since.UTC().Format(time.RFC3339), h.Reason),
		}}, doc.Notes...)
		doc = &d
	}
	var buf bytes.Buffer
	var err error
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		w.Header().Set("Content-Type", "application/json")
		err = report.JSON(&buf, doc)
	case "sarif":
		w.Header().Set("Content-Type", "application/sarif+json")
		err = report.SARIF(&buf, doc, report.SARIFOptions{Version: a.opts.Version})
	default:
		http.Error(w, fmt.Sprintf("format %q: want json or sarif", f), http.StatusBadRequest)
		return
	}
	if err != nil {
		a.log.Error("report", "err", err)
		http.Error(w, "cannot write the report", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Dockguard-Synced-At", st.syncedAt.UTC().Format(time.RFC3339Nano))
	w.Header().Set("X-Dockguard-Stale", fmt.Sprint(h.Stale))
	_, _ = w.Write(buf.Bytes())
}

// Serve runs the agent and its HTTP server on ln until ctx ends, then
// shuts the server down, letting requests in flight finish for up to
// five seconds.
func (a *Agent) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		// TLS handshake failures (a scraper without a client
		// certificate) go to the agent's log, not the standard logger.
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = a.Run(ctx)
	}()
	a.log.Info("serving", "addr", ln.Addr().String(), "engine", a.host())
	for _, f := range a.opts.MissingHostFiles {
		a.log.Warn(hostFileNote(f), "file", f.Path)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		cancel()
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	<-runDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.log.Info("stopped")
	return err
}
