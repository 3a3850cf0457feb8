package enforce

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// Reloader reloads the policy when told (SIGHUP) and when its file
// changes. A configuration that does not load keeps the previous policy
// and logs why: enforcement never fails open and never stops.
type Reloader struct {
	// Path is the configuration file ("" for none: only Hup reloads).
	Path string
	// Load builds a decider from the file as it is now.
	Load func() (*Decider, error)
	// Set installs a decider.
	Set func(*Decider)
	// Log receives reload outcomes.
	Log *slog.Logger
	// Every is how often the file is looked at (default 2s).
	Every time.Duration
	// Hup delivers reload requests (SIGHUP).
	Hup <-chan os.Signal
	// Observe, when set, is told each reload's outcome (metrics).
	Observe func(ok bool)
}

type stamp struct {
	mod  time.Time
	size int64
	ok   bool
}

func stat(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size(), true}
}

// Run watches until ctx ends.
func (r *Reloader) Run(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := stat(r.Path)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.Hup:
			last = stat(r.Path)
			r.Reload("SIGHUP")
		case <-tick.C:
			if r.Path == "" {
				continue
			}
			if now := stat(r.Path); now != last {
				last = now
				r.Reload("file changed")
			}
		}
	}
}

// Reload loads the configuration now and installs it if it loads.
func (r *Reloader) Reload(why string) bool {
	d, err := r.Load()
	if err != nil {
		r.Log.Error("reload failed: keeping the previous policy", "why", why, "path", r.Path, "error", err.Error())
		if r.Observe != nil {
			r.Observe(false)
		}
		return false
	}
	r.Set(d)
	r.Log.Info("policy reloaded", "why", why, "path", r.Path, "mode", d.Mode())
	if r.Observe != nil {
		r.Observe(true)
	}
	return true
}
