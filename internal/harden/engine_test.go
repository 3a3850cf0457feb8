package harden_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/testenv"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestEngineApply hardens a running container on a private daemon with
// `docker update` through the API: inspect shows the new limits and
// restart policy.
func TestEngineApply(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	d.BuildImage(t, "dg-sleep:1", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "loose",
		Config:     &api.Config{Image: "dg-sleep:1", Cmd: []string{"sleep", "0"}},
		HostConfig: &api.HostConfig{RestartPolicy: api.RestartPolicy{Name: "always"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	ups, err := harden.Engine(ctx, d.Client, harden.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || !ups[0].Applied {
		t.Fatalf("updates: %+v", ups)
	}
	want := "docker update --memory 512m --memory-swap 512m --cpus 1 --pids-limit 256 --restart on-failure:5 loose"
	if ups[0].Command != want {
		t.Errorf("command %q, want %q", ups[0].Command, want)
	}
	if !strings.Contains(strings.Join(ups[0].Recreate, " "), "read-only-rootfs") {
		t.Errorf("recreate: %v", ups[0].Recreate)
	}
	in, err := d.Client.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := in.Container.HostConfig
	if h.Memory != 512<<20 || h.MemorySwap != 512<<20 || h.NanoCPUs != 1e9 || h.PidsLimit == nil || *h.PidsLimit != 256 ||
		h.RestartPolicy.Name != "on-failure" || h.RestartPolicy.MaximumRetryCount != 5 {
		t.Errorf("not updated: memory %d swap %d cpus %d pids %v restart %+v", h.Memory, h.MemorySwap, h.NanoCPUs, h.PidsLimit, h.RestartPolicy)
	}
	again, err := harden.Engine(ctx, d.Client, harden.Options{}, false)
	if err != nil || len(again) != 1 || again[0].Command != "" {
		t.Errorf("second pass: %v %+v", err, again)
	}
}

// TestEngineLimitsFor: --engine takes its limits where harden --run does,
// with the container's name as the service key: a service entry before an
// image entry before the defaults.
func TestEngineLimitsFor(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	d.BuildImage(t, "dg-sleep:1", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	for _, name := range []string{"tuned", "byimage"} {
		res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name,
			Config:     &api.Config{Image: "dg-sleep:1", Cmd: []string{"sleep", "0"}},
			HostConfig: &api.HostConfig{RestartPolicy: api.RestartPolicy{Name: "always"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	opt := harden.Options{Harden: config.Harden{
		Services: map[string]config.HardenLimits{"tuned": {Memory: 128 << 20, CPUs: "0.5", Pids: 64, RestartRetries: 2}},
		Images:   map[string]config.HardenLimits{"dg-sleep": {Memory: 64 << 20, Pids: 32}},
	}}
	ups, err := harden.Engine(ctx, d.Client, opt, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"tuned":   "docker update --memory 128m --memory-swap 128m --cpus 0.5 --pids-limit 64 --restart on-failure:2 tuned",
		"byimage": "docker update --memory 64m --memory-swap 64m --cpus 1 --pids-limit 32 --restart on-failure:5 byimage",
	}
	if len(ups) != 2 {
		t.Fatalf("updates: %+v", ups)
	}
	for _, u := range ups {
		if u.Command != want[u.Name] {
			t.Errorf("%s: %q, want %q", u.Name, u.Command, want[u.Name])
		}
		// The hardened run line of the re-create has the same limits.
		if u.Recreation == nil {
			t.Fatalf("%s: no re-create line (%v)", u.Name, u.RecreateErr)
		}
		mem := strings.Fields(want[u.Name])[3]
		if !strings.Contains(u.Recreation.Hardened.Line, "--memory "+mem+" ") {
			t.Errorf("%s: hardened line %s lacks --memory %s", u.Name, u.Recreation.Hardened.Line, mem)
		}
	}
}
