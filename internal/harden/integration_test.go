package harden_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/source/compose"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/testenv"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// TestHardenedAppsStillWork hardens a busybox httpd and a Go HTTP server
// built FROM scratch, once as docker run lines and once as compose
// services, starts them on a private daemon through the Engine API (the
// specs the run-line parser and the compose loader give the container
// mapper), and checks that each still answers HTTP from a client
// container on the same network.
func TestHardenedAppsStillWork(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	bb := testenv.Busybox(t)
	d.BuildImage(t, "dg-httpd:1", "FROM scratch\nCOPY busybox /bin/busybox\nCOPY index.html /www/index.html\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
		testenv.Files{"busybox": bb, "index.html": []byte("ok\n")})
	d.BuildImage(t, "dg-goapp:1", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\", \"serve\", \":8080\"]\n", testenv.Files{"app": testenv.App(t)})
	d.BuildImage(t, "dg-client:1", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\n", testenv.Files{"busybox": bb})
	if _, err := d.Client.NetworkCreate(ctx, "hnet", client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}

	start := func(name string, spec *container.Spec) string {
		t.Helper()
		_, ip := startOn(t, d, "hnet", name, spec)
		if ip == "" {
			t.Fatalf("%s has no address on hnet", name)
		}
		return ip
	}
	answers := func(url string) {
		t.Helper()
		for try := 0; ; try++ {
			res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
				Config:     &api.Config{Image: "dg-client:1", Cmd: []string{"/bin/sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + url + " | grep -q '^ok'"}},
				HostConfig: &api.HostConfig{NetworkMode: "hnet", AutoRemove: false},
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
				t.Fatal(err)
			}
			w := d.Client.ContainerWait(ctx, res.ID, client.ContainerWaitOptions{})
			var code int64 = -1
			select {
			case r := <-w.Result:
				code = r.StatusCode
			case err := <-w.Error:
				t.Fatal(err)
			}
			if code == 0 {
				return
			}
			if try == 20 {
				t.Fatalf("%s does not answer (exit %d)", url, code)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	// docker run lines.
	for _, c := range []struct{ name, line, url string }{
		{"run-httpd", "docker run -d --restart always -p 80 dg-httpd:1", "80"},
		{"run-goapp", "docker run -d -p 8080:8080 dg-goapp:1", "8080"},
	} {
		res, err := harden.Run(c.line, harden.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s\n  → %s", c.line, res.Line)
		parsed, err := runcmd.ParseLine(res.Line, 1)
		if err != nil {
			t.Fatal(err)
		}
		spec := parsed[0].Spec
		if spec.HostConfig.ReadonlyRootfs != true || spec.Config.User != harden.User || spec.HostConfig.Memory == 0 {
			t.Fatalf("%s: not hardened: %+v", res.Line, spec.HostConfig)
		}
		ip := start(c.name, spec)
		answers(ip + " " + c.url)
	}

	// Compose services.
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	src := "services:\n  httpd:\n    image: dg-httpd:1\n    ports:\n      - \"80\"\n    restart: unless-stopped\n  goapp:\n    image: dg-goapp:1\n    ports:\n      - \"8081:8080\"\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := harden.Compose(ctx, path, harden.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(res.New), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("hardened compose file:\n%s", res.New)
	proj, err := compose.Load(ctx, compose.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range proj.Services {
		if !s.Spec.HostConfig.ReadonlyRootfs || s.Spec.Config.User != harden.User {
			t.Fatalf("service %s not hardened", s.Name)
		}
		name := "compose-" + s.Name
		ip := start(name, s.Spec)
		port := "8080"
		if s.Name == "httpd" {
			port = "80"
		}
		answers(ip + " " + port)
	}
}

// gosuBinary builds the gosu stand-in (testdata/gosu), static so that it
// runs FROM scratch.
func gosuBinary(t *testing.T) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "gosu")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, "./testdata/gosu")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/gosu: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// procStatus returns the Uid and CapEff lines of a process's status.
func procStatus(t *testing.T, pid int) (uid, capEff string) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ":")
		switch k {
		case "Uid":
			uid = strings.Join(strings.Fields(v), " ")
		case "CapEff":
			capEff = strings.TrimSpace(v)
		}
	}
	return uid, capEff
}

// TestHardenedGosuServiceStillWorks hardens a service whose entrypoint
// starts as root and drops privileges with a gosu-like step (chown of its
// /tmp, setgroups, setgid, setuid, exec), as a docker run line that shows
// the entrypoint, as one that does not, and as a compose service built
// from a Dockerfile. Where harden sees the drop it keeps the root start
// and adds back only CHOWN, SETUID and SETGID after cap-drop ALL; where it
// cannot see it, it sets a user and the step runs the server at once.
// Each hardened service is started on a private daemon, answers HTTP, and
// its server runs as uid 10001 with no effective capability.
func TestHardenedGosuServiceStillWorks(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	dockerfile := "FROM scratch\nCOPY gosu /usr/local/bin/gosu\nCOPY app /app\nCOPY tmp /tmp\nENTRYPOINT [\"/usr/local/bin/gosu\", \"10001:10001\", \"/app\"]\nCMD [\"serve\", \":8080\"]\n"
	d.BuildImage(t, "dg-gosu:1", dockerfile, testenv.Files{"gosu": gosuBinary(t), "app": testenv.App(t), "tmp/.keep": nil})
	d.BuildImage(t, "dg-client:1", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\n", testenv.Files{"busybox": testenv.Busybox(t)})
	if _, err := d.Client.NetworkCreate(ctx, "gnet", client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	drops := func(spec *container.Spec) bool {
		return spec.Config.User == "" && len(spec.HostConfig.CapDrop) == 1 && spec.HostConfig.CapDrop[0] == "ALL" &&
			reflect.DeepEqual(spec.HostConfig.CapAdd, []string{"CHOWN", "SETUID", "SETGID"})
	}
	check := func(name string, spec *container.Spec) {
		t.Helper()
		if !spec.HostConfig.ReadonlyRootfs {
			t.Fatalf("%s: not hardened", name)
		}
		id, ip := startOn(t, d, "gnet", name, spec)
		logs := func() string {
			r, err := d.Client.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
			if err != nil {
				return err.Error()
			}
			defer r.Close()
			var b strings.Builder
			_, _ = io.Copy(&b, r)
			return b.String()
		}
		if ip == "" {
			t.Fatalf("%s: not running (no address on gnet); logs: %q", name, logs())
		}
		if !answersOn(t, d, "gnet", ip+" 8080") {
			t.Fatalf("%s: the hardened service does not answer; logs: %q", name, logs())
		}
		in, err := d.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uid, capEff := procStatus(t, in.Container.State.Pid)
		if uid != "10001 10001 10001 10001" || capEff != "0000000000000000" {
			t.Errorf("%s: the server runs with Uid %q and CapEff %q, want uid 10001 and no capability", name, uid, capEff)
		}
	}

	for _, c := range []struct {
		name, line string
		drop       bool
	}{
		// The entrypoint on the line: harden sees the drop.
		{"run-gosu-drop", "docker run -d -p 8080:8080 --entrypoint /usr/local/bin/gosu dg-gosu:1 10001:10001 /app serve :8080", true},
		// The image's entrypoint, unseen: harden sets a user.
		{"run-gosu-user", "docker run -d -p 8081:8080 dg-gosu:1", false},
	} {
		res, err := harden.Run(c.line, harden.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s\n  → %s\n  notes: %v", c.line, res.Line, res.Notes)
		parsed, err := runcmd.ParseLine(res.Line, 1)
		if err != nil {
			t.Fatal(err)
		}
		spec := parsed[0].Spec
		if got := drops(spec); got != c.drop {
			t.Fatalf("%s: root start kept with CHOWN, SETUID, SETGID = %v, want %v: %s", c.name, got, c.drop, res.Line)
		}
		if !c.drop && spec.Config.User != harden.User {
			t.Fatalf("%s: user %q", c.name, spec.Config.User)
		}
		check(c.name, spec)
	}

	// A compose service built from the Dockerfile, which shows the drop.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "compose.yaml")
	src := "services:\n  gosu:\n    build: .\n    image: dg-gosu:1\n    ports:\n      - \"8082:8080\"\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := harden.Compose(ctx, path, harden.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hardened compose file:\n%s\nnotes: %v", res.New, res.Notes)
	if err := os.WriteFile(path, []byte(res.New), 0o644); err != nil {
		t.Fatal(err)
	}
	proj, err := compose.Load(ctx, compose.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(proj.Services) != 1 {
		t.Fatalf("services: %d", len(proj.Services))
	}
	spec := proj.Services[0].Spec
	if !drops(spec) {
		t.Fatalf("compose: root start not kept with CHOWN, SETUID, SETGID: user %q cap_drop %v cap_add %v", spec.Config.User, spec.HostConfig.CapDrop, spec.HostConfig.CapAdd)
	}
	check("compose-gosu", spec)

	// A running container of the image, re-created by harden --engine:
	// the image's entrypoint is written out on the rebuilt line, so the
	// switch is seen there too.
	orig, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "engine-gosu",
		Config:     &api.Config{Image: "dg-gosu:1"},
		HostConfig: &api.HostConfig{PortBindings: network.PortMap{network.MustParsePort("8080/tcp"): {{HostPort: "18084"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, orig.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	// Serving, so PID 1 has switched user before harden looks.
	in, err := d.Client.ContainerInspect(ctx, orig.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ep := in.Container.NetworkSettings.Networks["bridge"]; ep == nil || !answersOn(t, d, "bridge", ep.IPAddress.String()+" 8080") {
		t.Fatal("engine-gosu: the original container does not answer")
	}
	ups, err := harden.Engine(ctx, d.Client, harden.Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var rec *harden.Recreation
	for _, u := range ups {
		if u.Name == "engine-gosu" {
			rec = u.Recreation
		}
	}
	if rec == nil {
		t.Fatalf("engine-gosu: no re-create: %+v", ups)
	}
	t.Logf("engine-gosu\n  line:     %s\n  hardened: %s\n  notes: %v", rec.Line, rec.Hardened.Line, rec.Notes)
	parsed, err := runcmd.ParseLine(rec.Hardened.Line, 1)
	if err != nil {
		t.Fatal(err)
	}
	spec = parsed[0].Spec
	if !drops(spec) {
		t.Fatalf("engine-gosu: root start not kept with CHOWN, SETUID, SETGID: %s", rec.Hardened.Line)
	}
	if _, err := d.Client.ContainerRemove(ctx, orig.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	check("engine-gosu", spec)

	// The same switch under a name harden does not know: PID 1 is seen
	// running as uid 10001, which a note says, and the line sets a user.
	d.BuildImage(t, "dg-dropper:1", strings.Replace(dockerfile, "/usr/local/bin/gosu", "/entrypoint", 2), testenv.Files{"gosu": gosuBinary(t), "app": testenv.App(t), "tmp/.keep": nil})
	orig, err = d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "engine-dropper", Config: &api.Config{Image: "dg-dropper:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, orig.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	if in, err = d.Client.ContainerInspect(ctx, orig.ID, client.ContainerInspectOptions{}); err != nil {
		t.Fatal(err)
	}
	if ep := in.Container.NetworkSettings.Networks["bridge"]; ep == nil || !answersOn(t, d, "bridge", ep.IPAddress.String()+" 8080") {
		t.Fatal("engine-dropper: the original container does not answer")
	}
	if ups, err = harden.Engine(ctx, d.Client, harden.Options{}, false); err != nil {
		t.Fatal(err)
	}
	rec = nil
	for _, u := range ups {
		if u.Name == "engine-dropper" {
			rec = u.Recreation
		}
	}
	if rec == nil {
		t.Fatalf("engine-dropper: no re-create: %+v", ups)
	}
	t.Logf("engine-dropper\n  hardened: %s\n  notes: %v", rec.Hardened.Line, rec.Notes)
	if !strings.Contains(fmt.Sprint(rec.Notes), "PID 1 runs as uid 10001") || !strings.Contains(rec.Hardened.Line, "--user "+harden.User) {
		t.Errorf("engine-dropper: the unseen switch is not noted: %s %v", rec.Hardened.Line, rec.Notes)
	}
}

// startOn creates and starts a container from spec (through the one mapper,
// which must accept it) on network, and returns its ID and its address
// there ("" when it has none: it is not running). Tests reach it by
// address: their client is a static busybox, which cannot resolve names.
func startOn(t *testing.T, d *testenv.Daemon, network, name string, spec *container.Spec) (id, ip string) {
	t.Helper()
	ctx := context.Background()
	container.Map(spec)
	hc := spec.HostConfig
	hc.NetworkMode = api.NetworkMode(network)
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: spec.Config, HostConfig: hc})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	in, err := d.Client.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ep := in.Container.NetworkSettings.Networks[network]; ep != nil && ep.IPAddress.IsValid() {
		ip = ep.IPAddress.String()
	}
	return res.ID, ip
}
