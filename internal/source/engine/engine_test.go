package engine_test

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// Test images, built FROM scratch on the private daemon.
const (
	rootImage     = "dgtest/root:1"     // no USER: runs as root
	hardenedImage = "dgtest/hardened:1" // USER 10001, a health check
)

func buildImages(t testing.TB, d *testenv.Daemon) {
	t.Helper()
	files := testenv.Files{"app": testenv.App(t), "busybox": testenv.Busybox(t)}
	d.BuildImage(t, rootImage, "FROM scratch\nCOPY app busybox /\nENTRYPOINT [\"/app\"]\n", files)
	d.BuildImage(t, hardenedImage, "FROM scratch\nCOPY app /\nUSER 10001:10001\nEXPOSE 8080\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
}

// create makes a container and starts it when start is set.
func create(t testing.TB, d *testenv.Daemon, name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig, start bool) string {
	t.Helper()
	ctx := context.Background()
	if hc == nil {
		hc = &container.HostConfig{}
	}
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc, NetworkingConfig: nc})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if start {
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
	}
	return res.ID
}

func load(t testing.TB, d *testenv.Daemon, opts engine.Options) *engine.Snapshot {
	t.Helper()
	snap, err := engine.Load(context.Background(), engine.Endpoint{Host: d.Host}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range snap.Errors {
		t.Errorf("engine error: %s", e)
	}
	return snap
}

// judge runs the default policy over a snapshot.
func judge(s *engine.Snapshot) []rules.Finding {
	pol := policy.New(rules.Config{})
	var out []rules.Finding
	for _, o := range append(append([]*engine.Object{}, s.Containers...), s.Services...) {
		out = append(out, pol.Container(o.Fact)...)
	}
	out = append(out, pol.Project(s.Project)...)
	return out
}

// bySubject indexes findings: subject name → slug → findings.
func bySubject(fs []rules.Finding) map[string]map[string][]rules.Finding {
	out := map[string]map[string][]rules.Finding{}
	for _, f := range fs {
		if out[f.Subject.Name] == nil {
			out[f.Subject.Name] = map[string][]rules.Finding{}
		}
		out[f.Subject.Name][f.Rule.Slug] = append(out[f.Subject.Name][f.Rule.Slug], f)
	}
	return out
}

func slugs(m map[string][]rules.Finding) []string {
	var out []string
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func object(s *engine.Snapshot, name string) *engine.Object {
	for _, o := range append(append([]*engine.Object{}, s.Containers...), s.Services...) {
		if o.Fact.Subject.Name == name {
			return o
		}
	}
	return nil
}

// TestContainers audits insecure and hardened containers on a private
// daemon: the findings, where they point, and what only a live engine
// shows.
func TestContainers(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	sock := strings.TrimPrefix(d.Host, "unix://")
	pids := int64(64)

	create(t, d, "insecure", &container.Config{
		Image: rootImage, Cmd: []string{"sleep", "0"},
		Env: []string{"GITHUB_TOKEN=ghp_R2d4Xk9mQp7Lw3Zt8Vb6Nc1Hs5Jy0Fg4Ae2D"},
	}, &container.HostConfig{
		Privileged: true, NetworkMode: "host", CapAdd: []string{"SYS_ADMIN"},
		Binds: []string{sock + ":/var/run/docker.sock", "/etc:/host/etc:ro"},
	}, nil, true)
	create(t, d, "hardened", &container.Config{Image: hardenedImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{
		ReadonlyRootfs: true, CapDrop: []string{"ALL"}, SecurityOpt: []string{"no-new-privileges"},
		Resources: container.Resources{
			Memory: 64 << 20, MemorySwap: 64 << 20, NanoCPUs: 5e8, PidsLimit: &pids,
			Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}, {Name: "nproc", Soft: 64, Hard: 64}},
		},
		RestartPolicy: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3},
		PortBindings:  network.PortMap{network.MustParsePort("8080/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "18080"}}},
	}, nil, true)
	// No --user: the image's USER 10001 decides; not running.
	create(t, d, "imageuser", &container.Config{Image: hardenedImage}, nil, nil, false)
	// No --user, an image without USER: root.
	create(t, d, "rootuser", &container.Config{Image: rootImage, Cmd: []string{"sleep", "0"}}, nil, nil, true)
	// Starts as root and switches to 10001 itself, as gosu does.
	create(t, d, "dropper", &container.Config{Image: rootImage, Entrypoint: []string{"/app", "setuid", "10001", "/app", "sleep", "0"}}, nil, nil, true)
	// Memory without a swap limit: the engine stores twice the memory.
	create(t, d, "swapper", &container.Config{Image: hardenedImage}, &container.HostConfig{Resources: container.Resources{Memory: 32 << 20}}, nil, false)
	// Root with a writable bind: baseline's writable-bind-root.
	create(t, d, "rootbind", &container.Config{Image: rootImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{Binds: []string{t.TempDir() + ":/data"}}, nil, false)
	// Dies at once and is restarted forever.
	create(t, d, "looper", &container.Config{Image: rootImage, Cmd: []string{"exit", "1"}}, &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "always"}}, nil, true)

	// Let the loop go round.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ins, err := d.Client.ContainerInspect(context.Background(), "looper", client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ins.Container.RestartCount >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	snap := load(t, d, engine.Options{All: true})
	fs := judge(snap)
	got := bySubject(fs)
	for _, name := range []string{"insecure", "hardened", "imageuser", "rootuser", "dropper", "swapper", "looper"} {
		t.Logf("%s: %v", name, slugs(got[name]))
	}

	want := func(name string, slugList ...string) {
		t.Helper()
		for _, s := range slugList {
			if len(got[name][s]) == 0 {
				t.Errorf("%s: no %s finding; got %v", name, s, slugs(got[name]))
			}
		}
	}
	none := func(name string, slugList ...string) {
		t.Helper()
		for _, s := range slugList {
			if len(got[name][s]) > 0 {
				t.Errorf("%s: unexpected %s: %s", name, s, got[name][s][0].Message)
			}
		}
	}
	want("insecure", "privileged", "runtime-socket-mount", "host-path-mount", "host-network", "dangerous-capability",
		"memory-limit", "cpu-limit", "pids-limit", "root-user", "read-only-rootfs", "secret-in-env")
	// The hardened container has nothing to report but what no test
	// setting can fix: its image is local, not pinned by digest.
	for s := range got["hardened"] {
		if s != "image-unpinned" {
			t.Errorf("hardened: unexpected %s: %s", s, got["hardened"][s][0].Message)
		}
	}
	none("imageuser", "root-user")
	want("rootuser", "root-user")
	none("dropper", "root-user")
	want("dropper", "root-start-drop")
	want("swapper", "memory-swap")
	want("looper", "restart-policy")

	// What each profile would deny, marked on the live findings.
	for _, tc := range []struct {
		prof       rules.Profile
		name       string
		deny, keep []string // marked, and found but not marked
	}{
		{rules.Baseline, "insecure", []string{"privileged", "runtime-socket-mount", "host-path-mount", "host-network", "dangerous-capability"}, []string{"root-user", "memory-limit", "secret-in-env"}},
		{rules.Baseline, "rootbind", []string{"writable-bind-root"}, []string{"root-user"}},
		{rules.Baseline, "rootuser", nil, []string{"root-user", "memory-limit"}},
		{rules.Restricted, "rootuser", []string{"root-user", "memory-limit", "read-only-rootfs"}, []string{"image-unpinned"}},
		{rules.Restricted, "hardened", nil, []string{"image-unpinned"}},
	} {
		pol := policy.WithProfile(rules.Config{}, tc.prof, nil)
		marked := map[string]bool{}
		found := map[string]bool{}
		for _, o := range snap.Containers {
			if o.Fact.Subject.Name != tc.name {
				continue
			}
			for _, f := range pol.Container(o.Fact) {
				found[f.Rule.Slug] = true
				if f.DeniedBy == tc.prof.String() {
					marked[f.Rule.Slug] = true
				} else if f.DeniedBy != "" {
					t.Errorf("%s %s: marked %q", tc.name, f.Rule.Slug, f.DeniedBy)
				}
			}
		}
		for _, s := range tc.deny {
			if !marked[s] {
				t.Errorf("%s at %s: %s not marked as denied (found: %v)", tc.name, tc.prof, s, found[s])
			}
		}
		for _, s := range tc.keep {
			if !found[s] || marked[s] {
				t.Errorf("%s at %s: %s found %v, marked %v; want found and not marked", tc.name, tc.prof, s, found[s], marked[s])
			}
		}
		if tc.deny == nil && len(marked) > 0 {
			t.Errorf("%s at %s: marked %v, want nothing denied", tc.name, tc.prof, marked)
		}
	}

	// Locations name the engine, the container and the field.
	at := func(name, slug string) facts.Location {
		t.Helper()
		if fs := got[name][slug]; len(fs) > 0 {
			return fs[0].At
		}
		return facts.Location{}
	}
	checks := []struct {
		name, slug string
		want       facts.Location
	}{
		{"insecure", "privileged", facts.Location{Engine: d.Host, Object: "container insecure", Field: "HostConfig.Privileged"}},
		{"insecure", "runtime-socket-mount", facts.Location{Engine: d.Host, Object: "container insecure", Field: "HostConfig.Binds[0]"}},
		{"insecure", "dangerous-capability", facts.Location{Engine: d.Host, Object: "container insecure", Field: "HostConfig.CapAdd"}},
		{"insecure", "host-network", facts.Location{Engine: d.Host, Object: "container insecure", Field: "HostConfig.NetworkMode"}},
		{"insecure", "secret-in-env", facts.Location{Engine: d.Host, Object: "container insecure", Field: "Config.Env[0]"}},
		{"insecure", "memory-limit", facts.Location{Engine: d.Host, Object: "container insecure"}},
		{"looper", "restart-policy", facts.Location{Engine: d.Host, Object: "container looper", Field: "HostConfig.RestartPolicy"}},
	}
	for _, c := range checks {
		if g := at(c.name, c.slug); g != c.want {
			t.Errorf("%s %s at %+v, want %+v", c.name, c.slug, g, c.want)
		}
	}
	for _, f := range fs {
		if f.Subject.Kind != facts.SubjectContainer || f.Subject.Host != d.Host || strings.HasPrefix(f.Subject.Name, "/") {
			t.Errorf("subject %+v: want a container named without a slash on %s", f.Subject, d.Host)
		}
		if f.Rule.Slug == "secret-in-env" && strings.Contains(f.Message, "ghp_R2d4Xk9mQp7Lw3Zt8Vb6Nc1Hs5Jy0Fg4Ae2D") {
			t.Errorf("secret printed whole: %s", f.Message)
		}
	}

	// The image's user, and where it comes from.
	iu := object(snap, "imageuser").Fact
	if !iu.User.IsSet() || iu.User.V != "10001:10001" || iu.User.At.Object != "image "+hardenedImage {
		t.Errorf("imageuser user = %+v, want 10001:10001 from the image", iu.User)
	}
	if !iu.Healthcheck.IsSet() || !iu.Healthcheck.V {
		t.Errorf("imageuser health check = %+v, want the image's", iu.Healthcheck)
	}

	// Live-only facts.
	dr := object(snap, "dropper").Fact
	if dr.Live == nil || dr.Live.ProcessUID.V != "10001" {
		t.Errorf("dropper PID 1 user = %+v, want 10001", dr.Live)
	}
	ru := object(snap, "rootuser").Fact
	if ru.Live == nil || ru.Live.ProcessUID.V != "0" {
		t.Errorf("rootuser PID 1 user = %+v, want 0", ru.Live)
	}
	lp := object(snap, "looper").Fact.Live
	if lp == nil || lp.RestartCount.V < 2 || !lp.RecentDies.IsSet() || lp.RecentDies.V < 2 || lp.EventsWindow == "" {
		t.Errorf("looper live state = %+v, want restarts and recent dies", lp)
	}
	if hl := object(snap, "hardened").Fact.Live; hl == nil || hl.Status != "running" || hl.RestartCount.V != 0 {
		t.Errorf("hardened live state = %+v", hl)
	}

	// Running containers only.
	running := load(t, d, engine.Options{All: false})
	if object(running, "imageuser") != nil || object(running, "hardened") == nil {
		t.Errorf("--all=false: want running containers only")
	}
	if snap.HostFacts == nil || !snap.HostFacts.EngineVersion.IsSet() || !snap.HostFacts.KernelVersion.IsSet() {
		t.Errorf("host facts = %+v", snap.HostFacts)
	}
}

// TestNetworks audits which containers share which networks, with
// inter-container communication on and off.
func TestNetworks(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	ctx := context.Background()
	for name, opts := range map[string]map[string]string{
		"front": nil,
		"back":  {"com.docker.network.bridge.enable_icc": "false"},
	} {
		if _, err := d.Client.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Options: opts}); err != nil {
			t.Fatal(err)
		}
	}
	create(t, d, "web", &container.Config{Image: hardenedImage, Cmd: []string{"serve", ":8080"}, ExposedPorts: network.PortSet{network.MustParsePort("8080/tcp"): {}}},
		&container.HostConfig{NetworkMode: "front", PortBindings: network.PortMap{network.MustParsePort("8080/tcp"): {{HostPort: "8080"}}}}, nil, true)
	create(t, d, "cache", &container.Config{Image: hardenedImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{NetworkMode: "front"}, nil, true)
	create(t, d, "db", &container.Config{Image: hardenedImage, Cmd: []string{"sleep", "0"}}, &container.HostConfig{NetworkMode: "back"}, nil, true)
	create(t, d, "api", &container.Config{Image: hardenedImage, Cmd: []string{"serve", ":8081"}},
		&container.HostConfig{NetworkMode: "back", PortBindings: network.PortMap{network.MustParsePort("8081/tcp"): {{HostPort: "8081"}}}}, nil, true)
	// Connected to a second network after creation.
	if _, err := d.Client.NetworkConnect(ctx, "front", client.NetworkConnectOptions{Container: "db"}); err != nil {
		t.Fatal(err)
	}

	snap := load(t, d, engine.Options{All: true})
	if n := snap.Project.Networks["back"]; n == nil || !n.ICC.IsSet() || n.ICC.V {
		t.Errorf("network back: icc = %+v, want off", n)
	}
	if n := snap.Project.Networks["front"]; n == nil || n.ICC.IsSet() && !n.ICC.V {
		t.Errorf("network front: icc = %+v, want on", n)
	}
	if db := object(snap, "db").Fact; strings.Join(db.Networks, ",") != "back,front" {
		t.Errorf("db networks = %v, want back and front", db.Networks)
	}
	got := bySubject(judge(snap))
	for _, name := range []string{"cache", "db"} {
		fs := got[name]["exposed-beside-internal"]
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "network front") {
			t.Errorf("%s: exposed-beside-internal = %v, want one on network front", name, fs)
		}
	}
	// back has icc off: api and db are not reported together there.
	for _, f := range got["db"]["exposed-beside-internal"] {
		if strings.Contains(f.Message, "back") {
			t.Errorf("db reported on back, where icc is off: %s", f.Message)
		}
	}
	var shared []string
	for _, m := range got {
		for _, f := range m["shared-network"] {
			shared = append(shared, f.Message)
			if f.At.Engine != d.Host || !strings.HasPrefix(f.At.Object, "network ") {
				t.Errorf("shared-network at %+v, want the network on the engine", f.At)
			}
		}
	}
	if len(shared) != 1 || !strings.Contains(shared[0], "network front") {
		t.Errorf("shared-network findings %q, want one on front", shared)
	}
}

// TestICCOff: a daemon started with --icc=false turns inter-container
// communication off on the default bridge, and the containers there are
// not reported as sharing it.
func TestICCOff(t *testing.T) {
	t.Parallel()
	for _, icc := range []bool{true, false} {
		t.Run(fmt.Sprint("icc=", icc), func(t *testing.T) {
			t.Parallel()
			d := testenv.Start(t, testenv.Options{ICC: testenv.Bool(icc)})
			buildImages(t, d)
			create(t, d, "one", &container.Config{Image: hardenedImage}, nil, nil, false)
			create(t, d, "two", &container.Config{Image: hardenedImage}, nil, nil, false)
			snap := load(t, d, engine.Options{All: true})
			if h := snap.HostFacts; !h.ICC.IsSet() || h.ICC.V != icc {
				t.Errorf("host icc = %+v, want %v", h.ICC, icc)
			}
			n := 0
			for _, f := range judge(snap) {
				if f.Rule.Slug == "shared-network" {
					n++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[icc]; n != want {
				t.Errorf("%d shared-network findings, want %d", n, want)
			}
		})
	}
}

// TestFaults: an engine that is not there, a container that is gone by
// the time it is inspected, responses over the cap.
func TestFaults(t *testing.T) {
	t.Parallel()
	_, err := engine.Load(context.Background(), engine.Endpoint{Host: "unix://" + filepath.Join(t.TempDir(), "none.sock")}, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the engine") {
		t.Errorf("missing socket: %v, want cannot reach", err)
	}
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	// The environment is in the inspect, not in the list: the list is
	// read, each inspect is over the cap.
	big := "BLOB=" + strings.Repeat("x", 64<<10)
	for i := 0; i < 3; i++ {
		create(t, d, fmt.Sprintf("big%d", i), &container.Config{Image: hardenedImage, Env: []string{big}}, nil, nil, false)
	}
	create(t, d, "small", &container.Config{Image: hardenedImage}, nil, nil, false)
	snap, err := engine.Load(context.Background(), engine.Endpoint{Host: d.Host}, engine.Options{All: true, MaxResponse: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Errors) != 3 || !strings.Contains(snap.Errors[0], "container big0: response exceeds the size cap (32 KiB)") {
		t.Errorf("errors %q, want one per container over the cap", snap.Errors)
	}
	if len(snap.Containers) != 1 || snap.Containers[0].Fact.Subject.Name != "small" {
		t.Errorf("the container under the cap was not read")
	}
	// A container removed between the list and its inspect.
	if msg := engine.InspectGone(context.Background(), d.Host, "gone"); !strings.Contains(msg, "removed during the audit") {
		t.Errorf("gone container: note %q", msg)
	}
	// --timeout: an audit whose time is up says so and names no finding.
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := engine.Load(ctx, engine.Endpoint{Host: d.Host}, engine.Options{}); err == nil {
		t.Errorf("expired context: no error")
	}
}

// TestSwarm turns the private daemon into a Swarm manager through the API
// and audits services created through the API: their task templates are
// judged like containers, and Swarm secrets count as the right practice.
func TestSwarm(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	ctx := context.Background()
	if _, err := d.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: testenv.SwarmAddr}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	sec, err := d.Client.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: "dbpass"}, Data: []byte("s3cret-value")}})
	if err != nil {
		t.Fatal(err)
	}
	three := uint64(3)
	specs := []swarm.ServiceSpec{
		{
			Annotations: swarm.Annotations{Name: "risky"},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
				Image: rootImage, Args: []string{"sleep", "0"},
				CapabilityAdd: []string{"CAP_SYS_ADMIN"},
				Env:           []string{"AWS_SECRET_ACCESS_KEY=q8Xv2LmN4pR7tY1wZ5bC9dF3gH6jK0sA2eU4iO7u"},
				Mounts:        []mount.Mount{{Type: mount.TypeBind, Source: "/etc", Target: "/host/etc"}},
			}},
			EndpointSpec: &swarm.EndpointSpec{Ports: []swarm.PortConfig{{TargetPort: 22, PublishedPort: 2222, Protocol: network.TCP}}},
		},
		{
			Annotations: swarm.Annotations{Name: "careful"},
			TaskTemplate: swarm.TaskSpec{
				ContainerSpec: &swarm.ContainerSpec{
					Image: hardenedImage, User: "10001:10001", ReadOnly: true, Args: []string{"sleep", "0"},
					CapabilityDrop: []string{"ALL"},
					Ulimits:        []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}, {Name: "nproc", Soft: 64, Hard: 64}},
					Secrets: []*swarm.SecretReference{{SecretID: sec.ID, SecretName: "dbpass",
						File: &swarm.SecretReferenceFileTarget{Name: "dbpass", UID: "10001", GID: "10001", Mode: 0o400}}},
				},
				Resources:     &swarm.ResourceRequirements{Limits: &swarm.Limit{MemoryBytes: 64 << 20, NanoCPUs: 5e8, Pids: 64}},
				RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure, MaxAttempts: &three},
			},
		},
	}
	for _, s := range specs {
		if _, err := d.Client.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: s}); err != nil {
			t.Fatalf("service create %s: %v", s.Name, err)
		}
	}
	snap := load(t, d, engine.Options{All: true})
	if len(snap.Services) != 2 {
		t.Fatalf("%d services, want 2", len(snap.Services))
	}
	got := bySubject(judge(snap))
	t.Logf("risky: %v", slugs(got["risky"]))
	t.Logf("careful: %v", slugs(got["careful"]))
	for _, s := range []string{"dangerous-capability", "secret-in-env", "host-path-mount", "root-user", "expose-ssh", "port-all-interfaces", "memory-limit", "read-only-rootfs", "restart-policy"} {
		if len(got["risky"][s]) == 0 {
			t.Errorf("risky: no %s finding; got %v", s, slugs(got["risky"]))
		}
	}
	for s, fs := range got["careful"] {
		if s != "image-unpinned" && s != "no-new-privileges-missing" && s != "memory-swap" {
			t.Errorf("careful: unexpected %s: %s", s, fs[0].Message)
		}
	}
	f := got["risky"]["dangerous-capability"][0]
	if f.Subject.Kind != facts.SubjectService || f.Subject.Host != d.Host {
		t.Errorf("subject %+v, want a service on %s", f.Subject, d.Host)
	}
	if want := (facts.Location{Engine: d.Host, Object: "service risky", Field: "Spec.TaskTemplate.ContainerSpec.CapabilityAdd"}); f.At != want {
		t.Errorf("dangerous-capability at %+v, want %+v", f.At, want)
	}
	if c := object(snap, "careful").Fact; !c.UsesSecrets {
		t.Errorf("careful: Swarm secrets not recognized")
	}
	for _, o := range snap.Containers {
		if strings.HasPrefix(o.Fact.Subject.Name, "risky.") || strings.HasPrefix(o.Fact.Subject.Name, "careful.") {
			t.Errorf("task container %s judged beside its service", o.Fact.Subject.Name)
		}
	}
}
