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
	// From is the file's stamp taken before the policy in force was
	// loaded from it, so that a change between that load and Run is
	// seen; nil: the file as Run first finds it.
	From *Stamp
	// Observe, when set, is told each reload's outcome (metrics).
	Observe func(ok bool)
	// Status, when set, is told each reload's error (nil: the file
	// loaded), so that `enforce check` can say the file on disk is not
	// the policy in force.
	Status func(err error)
}

// Stamp is what the reloader compares to see a file change: its time and
// size.
type Stamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// StampOf stamps a file as it is now (the zero-like stamp of a missing
// file).
func StampOf(path string) Stamp { return stat(path) }

func stat(path string) Stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}
	}
	return Stamp{fi.ModTime(), fi.Size(), true}
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
	if r.From != nil {
		last = *r.From
	}
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
		if r.Status != nil {
			r.Status(err)
		}
		return false
	}
	r.Set(d)
	if r.Status != nil {
		r.Status(nil)
	}
	r.Log.Info("policy reloaded", "why", why, "path", r.Path, "mode", d.Mode())
	if r.Observe != nil {
		r.Observe(true)
	}
	return true
}
