package cli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/cli"
)

func TestAgentFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics-min-severity", "severe"}, "--metrics-min-severity"},
		{[]string{"--storm-restarts", "1"}, "--storm-restarts must be at least 2"},
		{[]string{"--storm-window", "0s"}, "--storm-window must be positive"},
		{[]string{"--resync", "-1s"}, "--resync must not be negative"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--listen", "256.0.0.1:1"}, "--listen"},
		{[]string{"extra"}, "unknown command"},
	} {
		r := run(t, append([]string{"agent", "-H", "unix:///nonexistent.sock"}, tc.args...)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, tc.want) {
			t.Errorf("agent %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// lockedBuffer is written by the agent's goroutines and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitServing waits until the agent logs that it serves, which is also
// when its signal handler is in place; it fails the test if the agent
// exits first or is not serving within 20 s.
func waitServing(t *testing.T, errb *lockedBuffer, done <-chan int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), `"msg":"serving"`) {
		select {
		case code := <-done:
			t.Fatalf("agent exited with %d:\n%s", code, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent not serving after 20s:\n%s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAgentCommand runs the command against an engine that is not there:
// it serves, says why it is unhealthy, and stops cleanly on SIGTERM.
func TestAgentCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(context.Background(), []string{"agent", "--listen", addr, "-H", "unix://" + filepath.Join(t.TempDir(), "none.sock"), "--log-format", "json"},
			cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb})
	}()
	waitServing(t, &errb, done)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot reach the engine") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, _ := get("/report"); code != http.StatusServiceUnavailable {
		t.Errorf("/report before any audit: %d, want 503", code)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "dockguard_engine_up 0") {
		t.Errorf("/metrics: %d, no dockguard_engine_up 0", code)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Errorf("exit %d after SIGTERM, want 0:\n%s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("agent still running 20s after SIGTERM")
	}
	if !strings.Contains(errb.String(), `"msg":"stopped"`) {
		t.Errorf("no stop logged:\n%s", errb.String())
	}
}
