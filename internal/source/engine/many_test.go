package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// manyContainers is the size of the busy host of the tests and the
// benchmark.
const manyContainers = 200

// populate creates n containers of mixed configurations, every fourth one
// running, with a bounded number of API calls in flight.
func populate(t testing.TB, d *testenv.Daemon, n int) {
	t.Helper()
	buildImages(t, d)
	ctx := context.Background()
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			cfg := &container.Config{Image: hardenedImage, Cmd: []string{"sleep", "0"}, Labels: map[string]string{"app": fmt.Sprint("svc", i%10)}, Env: []string{"MODE=test", fmt.Sprintf("INDEX=%d", i)}}
			hc := &container.HostConfig{}
			switch i % 5 {
			case 0:
				cfg.Image = rootImage
			case 1:
				hc.CapAdd = []string{"NET_ADMIN"}
			case 2:
				hc.ReadonlyRootfs, hc.CapDrop, hc.Memory = true, []string{"ALL"}, 64<<20
			case 3:
				hc.Privileged = true
			}
			res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: fmt.Sprintf("c%03d", i), Config: cfg, HostConfig: hc})
			if err != nil {
				errs <- err
				return
			}
			if i%4 == 0 {
				// Under heavy load Debian's 20.10 engine has been seen to
				// fail a start once in its network setup hook: say so and
				// try again before failing.
				for try := 0; ; try++ {
					_, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{})
					if err == nil {
						break
					}
					if try == 2 {
						errs <- err
						break
					}
					t.Logf("start c%03d (try %d): %v", i, try+1, err)
					time.Sleep(200 * time.Millisecond)
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestManyContainers audits a host with 200 containers, 50 of them
// running.
func TestManyContainers(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	populate(t, d, manyContainers)
	snap := load(t, d, engine.Options{All: true})
	if len(snap.Containers) != manyContainers {
		t.Fatalf("%d containers read, want %d", len(snap.Containers), manyContainers)
	}
	counts := map[string]int{}
	for _, f := range judge(snap) {
		counts[f.Rule.Slug]++
	}
	// Every fifth container is privileged, every fifth runs as root.
	if counts["privileged"] != manyContainers/5 || counts["root-user"] != manyContainers/5 {
		t.Errorf("privileged %d, root-user %d; want %d each", counts["privileged"], counts["root-user"], manyContainers/5)
	}
	running := load(t, d, engine.Options{All: false})
	if len(running.Containers) != manyContainers/4 {
		t.Errorf("%d running containers read, want %d", len(running.Containers), manyContainers/4)
	}
}

// BenchmarkEngineAudit measures a live audit of a host with 200 containers
// (reading and judging everything, as `dockguard audit --engine` does)
// against what the issue compares it with: one `docker inspect` of all of
// them, done through the API in one process (the CLI inspects one
// container after the other), and the same inspects made concurrently.
//
//	go test -run '^$' -bench BenchmarkEngineAudit -benchtime 20x ./internal/source/engine/
func BenchmarkEngineAudit(b *testing.B) {
	d := testenv.Start(b, testenv.Options{})
	populate(b, d, manyContainers)
	ctx := context.Background()
	b.Run("audit", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			snap, err := engine.Load(ctx, engine.Endpoint{Host: d.Host}, engine.Options{All: true})
			if err != nil {
				b.Fatal(err)
			}
			if len(snap.Containers) != manyContainers {
				b.Fatalf("%d containers", len(snap.Containers))
			}
			_ = judge(snap)
		}
	})
	inspectAll := func(b *testing.B, workers int) {
		for i := 0; i < b.N; i++ {
			cli, err := client.New(client.WithHost(d.Host))
			if err != nil {
				b.Fatal(err)
			}
			list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true})
			if err != nil {
				b.Fatal(err)
			}
			sem := make(chan struct{}, workers)
			var wg sync.WaitGroup
			for _, c := range list.Items {
				sem <- struct{}{}
				wg.Add(1)
				go func(id string) {
					defer wg.Done()
					defer func() { <-sem }()
					if _, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err != nil {
						b.Error(err)
					}
				}(c.ID)
			}
			wg.Wait()
			cli.Close()
		}
	}
	b.Run("inspect-all", func(b *testing.B) { inspectAll(b, 1) })
	b.Run("inspect-all-concurrent", func(b *testing.B) { inspectAll(b, 8) })
}
