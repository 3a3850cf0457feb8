package cli_test

import (
	"context"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/cli"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func TestWatchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--min-severity", "severe"}, "--min-severity"},
		{[]string{"--storm-restarts", "1"}, "--storm-restarts must be at least 2"},
		{[]string{"--storm-window", "0s"}, "--storm-window must be positive"},
		{[]string{"--debounce", "0s"}, "--debounce must be positive"},
		{[]string{"extra"}, "unknown command"},
	} {
		r := run(t, append([]string{"watch", "-H", "unix:///nonexistent.sock"}, tc.args...)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, tc.want) {
			t.Errorf("watch %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// TestWatch runs `dockguard watch` in the test process against a private
// daemon: it prints the engine's findings, then a "+" line when a
// privileged container is created and a "-" line when it is removed, a
// restart storm as it happens, and exits 0 on SIGINT.
func TestWatch(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	const img = "dg-watch-app:1"
	d.BuildImage(t, img, "FROM scratch\nCOPY app /\nUSER 10001:10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})

	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(context.Background(), []string{"watch", "-H", d.Host, "--debounce", "50ms", "--storm-restarts", "2", "--storm-window", "1m"},
			cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	}()
	wait := func(what string, cond func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond(out.String()) {
			select {
			case code := <-done:
				t.Fatalf("watch exited with %d before %s:\n%s\n%s", code, what, out.String(), errb.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 60s, %s:\n%s", what, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The first audit ends with its count (or "no findings"); the header
	// before it is printed once the signal handler is in place.
	first := regexp.MustCompile(`(?m)^(no findings|\d+ findings?: .*)$`)
	wait("no first audit printed", first.MatchString)

	ctx := context.Background()
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "web",
		Config: &container.Config{Image: img, Cmd: []string{"sleep", "0"}}, HostConfig: &container.HostConfig{Privileged: true}})
	if err != nil {
		t.Fatal(err)
	}
	added := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d \+ critical privileged web: `)
	wait(`no "+ critical privileged web" line`, added.MatchString)
	if _, err := d.Client.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	removed := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d - critical privileged web: `)
	wait(`no "- critical privileged web" line`, removed.MatchString)

	res, err = d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "crashy",
		Config:     &container.Config{Image: img, Cmd: []string{"exit", "1"}},
		HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	wait(`no restart storm line`, func(s string) bool { return strings.Contains(s, "! restart storm crashy: died 2 times within 1m0s") })

	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("colours written to a buffer, not a terminal:\n%q", out.String())
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Errorf("exit %d after SIGINT, want 0:\n%s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("watch still running 20s after SIGINT")
	}
	t.Logf("output:\n%s", out.String())
}
