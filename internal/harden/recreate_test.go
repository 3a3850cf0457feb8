package harden_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/testenv"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// TestRunLineUnit checks the rebuilt line's words for settings that need no
// daemon: image defaults left out, values of the environment never
// printed, compose's labels left out with a note, IPv6 host addresses in
// brackets, --mount specs in CSV, a new entrypoint with several words.
func TestRunLineUnit(t *testing.T) {
	port := func(s string) network.Port { p, _ := network.ParsePort(s); return p }
	img := &image.InspectResponse{}
	if err := json.Unmarshal([]byte(`{"Config": {"Env": ["PATH=/bin", "MODE=prod"], "Entrypoint": ["/app"], "Cmd": ["serve", ":8080"],
		"Labels": {"org.opencontainers.image.title": "x"}, "ExposedPorts": {"8080/tcp": {}}}}`), img); err != nil {
		t.Fatal(err)
	}
	ct := &api.InspectResponse{
		ID: "0123456789abcdef0123", Name: "/web", Image: "sha256:abc",
		Config: &api.Config{Image: "example/web:1", Hostname: "0123456789ab",
			Env:        []string{"PATH=/bin", "MODE=prod", "TOKEN=hunter2", "MODE2=x"},
			Entrypoint: []string{"/app"}, Cmd: []string{"serve", ":8080"},
			Labels: map[string]string{"org.opencontainers.image.title": "x", "team": "a b",
				"com.docker.compose.project": "shop", "com.docker.compose.service": "web"},
			ExposedPorts: network.PortSet{port("8080/tcp"): {}, port("9000/udp"): {}},
		},
		HostConfig: &api.HostConfig{
			NetworkMode: "bridge",
			PortBindings: network.PortMap{
				port("8080/tcp"): {{HostIP: netip.MustParseAddr("::1"), HostPort: "80"}, {HostPort: "8080"}},
			},
			Mounts:        []mount.Mount{{Type: mount.TypeVolume, Source: "v", Target: "/v", VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Options: map[string]string{"o": "addr=1,rw"}}}}},
			RestartPolicy: api.RestartPolicy{Name: "on-failure"},
			Resources:     api.Resources{Memory: 256 << 20, MemorySwap: 512 << 20, NanoCPUs: 1500000000},
			ShmSize:       64 << 20,
			LogConfig:     api.LogConfig{Type: "json-file"},
		},
	}
	line, notes, err := harden.RunLine(ct, img, harden.EngineDefaults{LogDriver: "json-file", Runtime: "runc"}, harden.Live{})
	if err != nil {
		t.Fatal(err)
	}
	want := `docker run -d --name web -e TOKEN -e MODE2 --label 'team=a b' --memory 256m --cpus 1.5 --restart on-failure ` +
		`--mount 'type=volume,source=v,target=/v,"volume-opt=o=addr=1,rw"' -p '[::1]:80:8080' -p 8080:8080 --expose 9000/udp example/web:1`
	if line != want {
		t.Errorf("line\n got %s\nwant %s", line, want)
	}
	all := fmt.Sprint(notes)
	if strings.Contains(all+line, "hunter2") || !strings.Contains(all, "TOKEN, MODE2") || !strings.Contains(all, "compose project shop") {
		t.Errorf("notes: %v", notes)
	}
	if _, err := runcmd.ParseLine(line, 1); err != nil {
		t.Errorf("rebuilt line does not parse: %v", err)
	}

	// A new entrypoint of several words, no command.
	ct.Config.Entrypoint, ct.Config.Cmd = []string{"/bin/sh", "-c", "exec /app"}, nil
	ct.Config.Labels, ct.Config.Env, ct.HostConfig = nil, nil, &api.HostConfig{}
	line, _, err = harden.RunLine(ct, img, harden.EngineDefaults{}, harden.Live{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `docker run -d --name web --expose 9000/udp --entrypoint /bin/sh example/web:1 -c 'exec /app'`; line != want {
		t.Errorf("line\n got %s\nwant %s", line, want)
	}
	// An image entrypoint that switches user is written out, so that the
	// hardener sees the switch; one that switches in a script is noted
	// when PID 1 is seen running as another user.
	img.Config.Entrypoint, img.Config.Cmd = []string{"/usr/local/bin/gosu", "app", "/app"}, []string{"serve"}
	ct.Config.Entrypoint, ct.Config.Cmd = img.Config.Entrypoint, img.Config.Cmd
	line, _, _ = harden.RunLine(ct, img, harden.EngineDefaults{}, harden.Live{ProcessUID: "999"})
	if !strings.HasSuffix(line, "--entrypoint /usr/local/bin/gosu example/web:1 app /app serve") {
		t.Errorf("gosu entrypoint: %s", line)
	}
	img.Config.Entrypoint = []string{"/docker-entrypoint.sh"}
	ct.Config.Entrypoint = img.Config.Entrypoint
	line, notes, _ = harden.RunLine(ct, img, harden.EngineDefaults{}, harden.Live{ProcessUID: "999"})
	if !strings.HasSuffix(line, "--entrypoint /docker-entrypoint.sh example/web:1 serve") || !strings.Contains(fmt.Sprint(notes), "PID 1 runs as uid 999") {
		t.Errorf("script entrypoint: %s %v", line, notes)
	}
	line, notes, _ = harden.RunLine(ct, img, harden.EngineDefaults{}, harden.Live{ProcessUID: "0"})
	if !strings.HasSuffix(line, " example/web:1") || len(notes) != 0 {
		t.Errorf("no switch: %s %v", line, notes)
	}
	img.Config.Entrypoint, img.Config.Cmd = []string{"/app"}, []string{"serve", ":8080"}

	// The image's entrypoint cleared.
	ct.Config.Entrypoint, ct.Config.Cmd = nil, []string{"/other"}
	line, _, _ = harden.RunLine(ct, img, harden.EngineDefaults{}, harden.Live{})
	if !strings.HasSuffix(line, "--entrypoint '' example/web:1 /other") {
		t.Errorf("cleared entrypoint: %s", line)
	}
}

// TestRecreateOnDaemon creates containers with many settings through the
// Engine API on a private daemon, rebuilds their run lines with harden
// --engine, and proves the lines faithful: the line parsed by the run-line
// parser and mapped by the container mapper gives the same facts as the
// engine's own reading of the container. The hardened lines re-audit
// without the findings they fix, and containers created from them run,
// answer HTTP and need no further re-create.
func TestRecreateOnDaemon(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	bb := testenv.Busybox(t)
	d.BuildImage(t, "dg-rec:1", "FROM scratch\nCOPY app /app\nENV MODE=prod\nLABEL org.example.kind=test\nEXPOSE 9000\nVOLUME /data\nENTRYPOINT [\"/app\"]\nCMD [\"serve\", \":8080\"]\n",
		testenv.Files{"app": testenv.App(t)})
	d.BuildImage(t, "dg-client:1", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\n", testenv.Files{"busybox": bb})
	if _, err := d.Client.NetworkCreate(ctx, "recnet", client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.NetworkCreate(ctx, "backnet", client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	hostDir := t.TempDir()
	port := func(s string) network.Port { p, _ := network.ParsePort(s); return p }
	pids := int64(100)
	// The values a user would export before running the printed line.
	exported := map[string]string{"SECRET": "s3cr3t", "MODE": "debug"}

	type spec struct {
		name string
		cfg  *api.Config
		hc   *api.HostConfig
		nets *network.NetworkingConfig
		// port the rebuilt container answers HTTP on ("" when it does not serve).
		port string
	}
	cases := []spec{
		{name: "full", port: "9090",
			cfg: &api.Config{Image: "dg-rec:1", User: "1234:1234", Env: []string{"SECRET=s3cr3t", "MODE=debug"},
				Hostname: "myhost", WorkingDir: "/srv", Cmd: []string{"serve", ":9090"}, StopSignal: "SIGINT",
				Labels:       map[string]string{"team": "payments"},
				ExposedPorts: network.PortSet{port("7000/tcp"): {}},
				Healthcheck:  &api.HealthConfig{Test: []string{"CMD-SHELL", "/app"}, Interval: 30 * time.Second, Retries: 3}},
			hc: &api.HostConfig{
				NetworkMode: "recnet",
				Binds:       []string{hostDir + ":/host:ro", "recvol:/vol"},
				Mounts: []mount.Mount{
					{Type: mount.TypeTmpfs, Target: "/scratch", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
					{Type: mount.TypeVolume, Source: "recvol2", Target: "/vol2", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
				},
				Tmpfs: map[string]string{"/run": "rw,size=65536k"},
				PortBindings: network.PortMap{
					port("9090/tcp"): {{HostPort: "19090"}},
					port("53/udp"):   {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "15353"}},
				},
				RestartPolicy: api.RestartPolicy{Name: "unless-stopped"},
				CapAdd:        []string{"NET_ADMIN"}, CapDrop: []string{"MKNOD"},
				SecurityOpt: []string{"label=disable"},
				Resources: api.Resources{Memory: 256 << 20, NanoCPUs: 1500000000, PidsLimit: &pids, CPUShares: 512,
					Ulimits: []*api.Ulimit{{Name: "nofile", Soft: 1000, Hard: 2000}},
					Devices: []api.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"}}},
				ShmSize:    128 << 20,
				Sysctls:    map[string]string{"net.ipv4.ip_unprivileged_port_start": "0"},
				ExtraHosts: []string{"db:10.0.0.5"},
				LogConfig:  api.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m"}},
			},
			nets: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"recnet": {Aliases: []string{"payments"}}}},
		},
		{name: "composed", port: "8081",
			cfg: &api.Config{Image: "dg-rec:1", Entrypoint: []string{"/app", "serve"}, Cmd: []string{":8081"},
				Labels: map[string]string{"com.docker.compose.project": "shop", "com.docker.compose.service": "api", "tier": "back"}},
			hc: &api.HostConfig{NetworkMode: "backnet", RestartPolicy: api.RestartPolicy{Name: "on-failure", MaximumRetryCount: 2},
				PortBindings: network.PortMap{port("8081/tcp"): {{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "18081"}}}},
		},
		{name: "plain", port: "8080",
			cfg: &api.Config{Image: "dg-rec:1"},
			hc:  &api.HostConfig{PortBindings: network.PortMap{port("8080/tcp"): {{}}}},
		},
	}
	for _, c := range cases {
		res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: c.name, Config: c.cfg, HostConfig: c.hc, NetworkingConfig: c.nets})
		if err != nil {
			t.Fatalf("create %s: %v", c.name, err)
		}
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", c.name, err)
		}
	}
	// A container on two networks: the second joined after creation.
	if _, err := d.Client.NetworkConnect(ctx, "backnet", client.NetworkConnectOptions{Container: "full",
		EndpointConfig: &network.EndpointSettings{Aliases: []string{"pay-back"}}}); err != nil {
		t.Fatal(err)
	}

	ups, err := harden.Engine(ctx, d.Client, harden.Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := engine.Load(ctx, engine.Endpoint{Host: d.Host}, engine.Options{EventsWindow: -1})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]*engine.Object{}
	for _, o := range snap.Containers {
		live[o.Fact.Subject.Name] = o
	}
	imgRes, err := d.Client.ImageInspect(ctx, "dg-rec:1")
	if err != nil {
		t.Fatal(err)
	}
	ic := imgRes.Config
	byName := map[string]harden.EngineUpdate{}
	for _, u := range ups {
		byName[u.Name] = u
	}
	for _, c := range cases {
		u, ok := byName[c.name]
		if !ok || u.RecreateErr != nil || u.Recreation == nil {
			t.Fatalf("%s: no re-create: %+v", c.name, u)
		}
		r := u.Recreation
		t.Logf("%s: %v\n  line:     %s\n  hardened: %s\n  notes: %v", c.name, u.Recreate, r.Line, r.Hardened.Line, r.Notes)
		if strings.Contains(r.Line, "s3cr3t") || strings.Contains(r.Hardened.Line, "s3cr3t") {
			t.Errorf("%s: an environment value is printed", c.name)
		}
		again, err := harden.Run(r.Line, harden.Options{})
		if err != nil || again.Line != r.Hardened.Line {
			t.Errorf("%s: harden --run of the line gives %q (%v), not %q", c.name, again.Line, err, r.Hardened.Line)
		}

		// Faithful: the same facts as the engine's reading.
		parsed, err := runcmd.ParseLine(r.Line, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sp := parsed[0].Spec
		got := summary(container.Map(sp), ic.Env, ic.Labels, ic.Entrypoint, ic.Cmd, false)
		obj := live[c.name]
		if obj == nil {
			t.Fatalf("%s: not read by the engine source", c.name)
		}
		want := summary(obj.Fact, ic.Env, ic.Labels, ic.Entrypoint, ic.Cmd, true)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the rebuilt line's facts differ from the container's:\n got %s\nwant %s", c.name, got, want)
		}
		// What the facts do not hold, from the Engine API types.
		ins, err := d.Client.ContainerInspect(ctx, c.name, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pc, ph, h := sp.Config, sp.HostConfig, ins.Container.HostConfig
		wantHost := c.cfg.Hostname
		for _, cmp := range []struct {
			what      string
			got, want any
		}{
			{"hostname", pc.Hostname, wantHost},
			{"workdir", pc.WorkingDir, c.cfg.WorkingDir},
			{"stop signal", pc.StopSignal, c.cfg.StopSignal},
			{"log options", ph.LogConfig.Config, nonEmpty(h.LogConfig.Config)},
			{"extra hosts", ph.ExtraHosts, h.ExtraHosts},
			{"sysctls", ph.Sysctls, nonEmpty(h.Sysctls)},
			{"shm", ph.ShmSize, c.hc.ShmSize},
			{"tmpfs", ph.Tmpfs, h.Tmpfs},
		} {
			if !reflect.DeepEqual(cmp.got, cmp.want) {
				t.Errorf("%s: %s %v, want %v", c.name, cmp.what, cmp.got, cmp.want)
			}
		}

		// The hardened line re-audits without what it fixes.
		rep := audit.Run(ctx, audit.Options{RunLines: []string{r.Hardened.Line}})
		fixed := map[string]bool{}
		for _, f := range r.Hardened.Fixed {
			fixed[f] = true
		}
		for _, f := range rep.Findings {
			if fixed[f.Rule.Slug] {
				t.Errorf("%s: hardened line still has %s: %s", c.name, f.Rule.Slug, f.Message)
			}
		}
	}
	if n := fmt.Sprint(byName["full"].Recreation.Notes); !strings.Contains(n, "SECRET, MODE") || !strings.Contains(n, "anonymous volume(s) at /data") {
		t.Errorf("full: notes %s", n)
	}
	if n := fmt.Sprint(byName["composed"].Recreation.Notes); !strings.Contains(n, "compose project shop (service api)") {
		t.Errorf("composed: notes %s", n)
	}

	// Re-create each container from its hardened line, the way a user
	// would: remove the old one, then create the new one from the line
	// (the parsed configuration, with the exported environment values).
	ips := map[string]string{}
	for _, c := range cases {
		r := byName[c.name].Recreation
		parsed, err := runcmd.ParseLine(r.Hardened.Line, 1)
		if err != nil {
			t.Fatal(err)
		}
		sp := parsed[0].Spec
		container.Map(sp)
		for i, e := range sp.Config.Env {
			if !strings.Contains(e, "=") {
				sp.Config.Env[i] = e + "=" + exported[e]
			}
		}
		if _, err := d.Client.ContainerRemove(ctx, c.name, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		var nc *network.NetworkingConfig
		if len(sp.Networks) > 0 || c.nets != nil {
			nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
		}
		res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: sp.Subject.Name, Config: sp.Config, HostConfig: sp.HostConfig, NetworkingConfig: nc})
		if err != nil {
			t.Fatalf("%s: create from the hardened line: %v", c.name, err)
		}
		for _, n := range sp.Networks {
			if _, err := d.Client.NetworkConnect(ctx, n, client.NetworkConnectOptions{Container: res.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("%s: start from the hardened line: %v", c.name, err)
		}
		ins, err := d.Client.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c.name == "full" && !contains(ins.Container.Config.Env, "SECRET=s3cr3t") {
			t.Errorf("full: env %v", ins.Container.Config.Env)
		}
		for n, ep := range ins.Container.NetworkSettings.Networks {
			if ep.IPAddress.IsValid() {
				ips[c.name] = ep.IPAddress.String()
				if n == "recnet" || n == "backnet" || n == "bridge" {
					ips[c.name+"/net"] = n
				}
			}
		}
	}
	for _, c := range cases {
		netName := ips[c.name+"/net"]
		if !answersOn(t, d, netName, ips[c.name]+" "+c.port) {
			t.Errorf("%s: the hardened container does not answer on %s", c.name, c.port)
		}
	}
	// The re-created containers need nothing more.
	ups, err = harden.Engine(ctx, d.Client, harden.Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if len(u.Recreate) > 0 || u.Command != "" {
			t.Errorf("%s: still to harden after the re-create: %q %v", u.Name, u.Command, u.Recreate)
		}
	}
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// answersOn runs the busybox client on a network and asks addr ("IP PORT")
// for HTTP; it retries while the server starts.
func answersOn(t *testing.T, d *testenv.Daemon, netName, addr string) bool {
	t.Helper()
	ctx := context.Background()
	for try := 0; try <= 20; try++ {
		res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:     &api.Config{Image: "dg-client:1", Cmd: []string{"/bin/sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + addr + " | grep -q '^ok'"}},
			HostConfig: &api.HostConfig{NetworkMode: api.NetworkMode(netName)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		w := d.Client.ContainerWait(ctx, res.ID, client.ContainerWaitOptions{})
		select {
		case r := <-w.Result:
			if r.StatusCode == 0 {
				return true
			}
		case err := <-w.Error:
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false
}

// summary is what a container fact says, in a form two readings of one
// container can be compared in: values from the image (environment and
// labels equal to the image's) and compose's labels left out, the program
// run as entrypoint and command joined with the image's, networks as one
// sorted set without the default bridge alone.
func summary(c *facts.Container, imgEnv []string, imgLabels map[string]string, imgEP, imgCmd []string, live bool) string {
	var b strings.Builder
	val := func(name string, v any) { fmt.Fprintf(&b, "%s=%v\n", name, v) }
	state := func(s facts.State) string {
		if s == facts.Set {
			return "set"
		}
		return "unset"
	}
	val("image", c.Image.V)
	val("user", state(c.User.State)+":"+c.User.V)
	val("privileged", c.Privileged.V)
	val("capadd", c.CapAdd.V)
	val("capdrop", c.CapDrop.V)
	val("nnp", c.SecurityOpt.NoNewPrivileges.V)
	val("selinux-off", c.SecurityOpt.SELinuxDisabled.V)
	val("readonly", c.ReadOnlyRootfs.V)
	val("memory", c.Memory.V)
	val("swap", c.MemorySwap.V)
	val("cpus", c.NanoCPUs.V)
	val("shares", c.CPUShares.V)
	val("pids", c.PidsLimit.V)
	val("restart", c.Restart.V)
	val("health", state(c.Healthcheck.State)+fmt.Sprint(c.Healthcheck.V))
	var ul []string
	for _, u := range c.Ulimits {
		ul = append(ul, fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
	}
	val("ulimits", ul)
	var ns []string
	for k, v := range c.Namespaces {
		if k == facts.NSNetwork || k == facts.NSIPC && (v.V == "private" || v.V == "shareable") {
			continue
		}
		ns = append(ns, fmt.Sprintf("%v=%s", k, v.V))
	}
	sort.Strings(ns)
	val("namespaces", ns)
	nets := map[string]bool{}
	if m := c.Namespaces[facts.NSNetwork].V; m != "" && m != "default" {
		nets[m] = true
	}
	for _, n := range c.Networks {
		nets[n] = true
	}
	if len(nets) == 1 && nets["bridge"] {
		delete(nets, "bridge")
	}
	val("networks", sortedSet(nets))
	var mounts []string
	for _, m := range c.Mounts {
		mounts = append(mounts, fmt.Sprintf("%s:%s:%s:ro=%v", m.Type, m.Source, m.Target, m.ReadOnly))
	}
	sort.Strings(mounts)
	val("mounts", mounts)
	var devs []string
	for _, dv := range c.Devices {
		devs = append(devs, dv.Host+":"+dv.Container+":"+dv.Permissions)
	}
	val("devices", devs)
	var ports []string
	for _, p := range c.Published {
		ports = append(ports, fmt.Sprintf("%s:%d-%d:%d/%s", p.HostIP, p.HostPort, p.HostPortEnd, p.ContainerPort, p.Proto))
	}
	sort.Strings(ports)
	val("ports", ports)
	fromImage := map[string]bool{}
	for _, e := range imgEnv {
		fromImage[e] = true
	}
	var env []string
	for _, e := range c.Env {
		if live && fromImage[e.Name+"="+e.Value] {
			continue
		}
		env = append(env, e.Name)
	}
	val("env", env)
	var labels []string
	for k, v := range c.Labels {
		if strings.HasPrefix(k, "com.docker.compose.") || imgLabels[k] == v.V {
			continue
		}
		labels = append(labels, k+"="+v.V)
	}
	sort.Strings(labels)
	val("labels", labels)
	ep, cmd := c.Entrypoint.V, c.Cmd.V
	if !live {
		// The engine merges the image's entrypoint and command in at
		// create; a line leaves them to the image.
		if c.Entrypoint.State != facts.Set {
			ep = imgEP
			if c.Cmd.State != facts.Set {
				cmd = imgCmd
			}
		} else if len(ep) == 1 && ep[0] == "" {
			ep = nil
		}
	}
	val("argv", append(append([]string{}, ep...), cmd...))
	return b.String()
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
