package enforce

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/config"
)

func TestReloader(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".dockguard.yaml")
	write := func(s string) {
		// Written as editors do, by rename: a half-written file is a
		// valid (empty) configuration.
		if err := os.WriteFile(path+".tmp", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write("enforce:\n  mode: enforce\n")
	load := func() (*Decider, error) {
		c, err := config.Load(path)
		if err != nil {
			return nil, err
		}
		return New(Settings{Config: c.Enforce, Rules: c.Rules}, nil), nil
	}
	d0, err := load()
	if err != nil {
		t.Fatal(err)
	}
	var cur atomic.Pointer[Decider]
	cur.Store(d0)
	hup := make(chan os.Signal, 1)
	var fails atomic.Int32
	r := &Reloader{Path: path, Load: load, Set: cur.Store, Log: slog.New(slog.DiscardHandler), Every: 10 * time.Millisecond, Hup: hup,
		Observe: func(ok bool) {
			if !ok {
				fails.Add(1)
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	time.Sleep(50 * time.Millisecond) // Run takes the file's first stamp
	wait := func(cond func() bool, what string) {
		t.Helper()
		for i := 0; i < 300 && !cond(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if !cond() {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	write("enforce:\n  mode: warn\n")
	wait(func() bool { return cur.Load().Mode() == "warn" }, "file change to warn")
	write("enforce:\n  mode: sometimes\n")
	wait(func() bool { return fails.Load() >= 1 }, "a failed reload")
	if cur.Load().Mode() != "warn" {
		t.Errorf("a broken file replaced the policy")
	}
	write("enforce:\n  mode: audit\n  profile: restricted@v1\n")
	hup <- os.Interrupt
	wait(func() bool { return cur.Load().Mode() == "audit" }, "SIGHUP reload")
}
