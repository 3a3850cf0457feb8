package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
)

// engineFlags are the live-audit flags of `dockguard audit`: which Docker
// engines to read and how, named as the Docker CLI names them.
type engineFlags struct {
	engine    bool
	hosts     []string
	tlsVerify bool
	tlsCACert string
	tlsCert   string
	tlsKey    string
	timeout   time.Duration
	all       bool
}

func (e *engineFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&e.engine, "engine", false, "audit the Docker engine live: DOCKER_HOST, else the current docker context, else unix:///var/run/docker.sock")
	f.StringArrayVarP(&e.hosts, "host", "H", nil, "a Docker engine to audit live (unix://, tcp://, ssh://); repeatable; implies --engine")
	f.BoolVar(&e.tlsVerify, "tlsverify", false, "use TLS and verify the engine's certificate")
	f.StringVar(&e.tlsCACert, "tlscacert", "", "trust certificates signed by this CA (PEM)")
	f.StringVar(&e.tlsCert, "tlscert", "", "TLS client certificate (PEM)")
	f.StringVar(&e.tlsKey, "tlskey", "", "TLS client key (PEM)")
	f.DurationVar(&e.timeout, "timeout", 0, "stop the whole audit after this long (e.g. 30s); 0: no limit")
	f.BoolVar(&e.all, "all", true, "live audit: stopped containers too (--all=false: running ones only)")
}

// enabled reports whether a live audit was asked for.
func (e *engineFlags) enabled() bool { return e.engine || len(e.hosts) > 0 }

// endpoints are the engines to read; one default engine for --engine
// alone.
func (e *engineFlags) endpoints() []engine.Endpoint {
	if !e.enabled() {
		return nil
	}
	tls := engine.TLS{Verify: e.tlsVerify, CACert: e.tlsCACert, Cert: e.tlsCert, Key: e.tlsKey}
	if len(e.hosts) == 0 {
		return []engine.Endpoint{{TLS: tls}}
	}
	out := make([]engine.Endpoint, 0, len(e.hosts))
	seen := map[string]bool{}
	for _, h := range e.hosts {
		if seen[h] {
			continue
		}
		seen[h] = true
		out = append(out, engine.Endpoint{Host: h, TLS: tls})
	}
	return out
}

// context bounds the audit by --timeout.
func (e *engineFlags) context(ctx context.Context) (context.Context, context.CancelFunc, error) {
	switch {
	case e.timeout < 0:
		return nil, nil, fmt.Errorf("--timeout must not be negative")
	case e.timeout == 0:
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	return ctx, cancel, nil
}

// options are the live-read options, with a progress bar on standard
// error when it is a terminal; stop clears the bar.
func (e *engineFlags) options(errOut io.Writer) (opts engine.Options, stop func()) {
	opts = engine.Options{All: e.all}
	stop = func() {}
	if !e.enabled() || !isTTY(errOut) {
		return opts, stop
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(errOut),
		progressbar.OptionSetDescription("inspecting"),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
	opts.Progress = func(done, total int) {
		if bar.GetMax() != total {
			bar.ChangeMax(total)
		}
		_ = bar.Set(done)
	}
	return opts, func() { _ = bar.Clear() }
}

// isTTY reports whether w is a terminal, whatever NO_COLOR says.
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
