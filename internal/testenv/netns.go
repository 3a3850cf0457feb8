package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"testing"

	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// Listen listens on addr ("127.0.0.1:0" for any port) inside the daemon's
// network namespace, so that the daemon can reach a server the test runs
// (a registry to pull from): the daemon's 127.0.0.1 is not the test's.
func (d *Daemon) Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The thread enters the daemon's namespace and goes back; if it
		// cannot go back it stays locked and ends with the goroutine.
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer self.Close()
		target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", d.Pid))
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: err}
			return
		}
		ln, err := net.Listen("tcp", addr)
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{ln, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("listening on %s in the daemon's network namespace: %v", addr, r.err)
	}
	return r.ln
}

// Pull pulls ref into the daemon and fails the test on any error the
// pull stream reports (the API call itself succeeds for a failed pull).
func (d *Daemon) Pull(t testing.TB, ref string) {
	t.Helper()
	pull, err := d.Client.ImagePull(context.Background(), ref, client.ImagePullOptions{})
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	defer pull.Close()
	dec := json.NewDecoder(pull)
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		if m.Error != "" {
			t.Fatalf("pull %s: %s", ref, m.Error)
		}
	}
}
