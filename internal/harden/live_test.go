package harden_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestLive runs harden's engine-fed parts on one private daemon: limits
// from observed usage, image VOLUMEs under a read-only root, and digests
// from the daemon's repository digests.
func TestLive(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	d.BuildImage(t, "dg-bb:1", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\nVOLUME /data\n",
		testenv.Files{"busybox": testenv.Busybox(t)})
	run := func(name string, cfg *api.Config, hc *api.HostConfig) string {
		t.Helper()
		res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		return res.ID
	}

	t.Run("observe", func(t *testing.T) { liveObserve(t, ctx, d, run) })
	t.Run("volumes", func(t *testing.T) { liveVolumes(t, ctx, d, run) })
	t.Run("resolve", func(t *testing.T) { liveResolve(t, ctx, d) })
	t.Run("imageuser", func(t *testing.T) { liveImageUser(t, ctx, d) })
}

// liveImageUser: with the daemon's image config at hand, an image with a
// non-root USER keeps it, and an image whose entrypoint switches user
// (gosu) keeps its root start with CHOWN/SETUID/SETGID, as run lines and
// compose services; a line that replaces the entrypoint gets --user.
func liveImageUser(t *testing.T, ctx context.Context, d *testenv.Daemon) {
	bb := testenv.Files{"busybox": testenv.Busybox(t)}
	d.BuildImage(t, "dg-owner:1", "FROM scratch\nCOPY busybox /bin/busybox\nUSER 1000:1000\n", bb)
	d.BuildImage(t, "dg-gosuimg:1", "FROM scratch\nCOPY busybox /usr/local/bin/gosu\nENTRYPOINT [\"/usr/local/bin/gosu\", \"10001\"]\nCMD [\"/app\"]\n", bb)
	d.BuildImage(t, "dg-scriptdrop:1", "FROM scratch\nCOPY busybox /usr/local/bin/gosu\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"/app\"]\n",
		testenv.Files{"busybox": bb["busybox"], "entrypoint.sh": []byte("#!/bin/sh\nset -e\nexec gosu app \"$@\"\n")})
	opt := harden.Options{Image: harden.DaemonImages(ctx, d.Client)}
	for _, c := range []struct {
		line      string
		user      bool // --user added
		dropCaps  bool // CHOWN/SETUID/SETGID added
		noteWords string
	}{
		{"docker run -d dg-owner:1", false, false, "its own user 1000:1000"},
		{"docker run -d dg-gosuimg:1", false, true, "switches user itself"},
		{"docker run -d dg-gosuimg:1 /other", false, true, "switches user itself"},
		{"docker run -d --entrypoint /app dg-gosuimg:1", true, false, ""},
		{"docker run -d dg-scriptdrop:1", false, true, "entrypoint script switches user with gosu"},
		{"docker run -d dg-scriptdrop:1 /other", false, true, "entrypoint script switches user with gosu"},
		{"docker run -d --entrypoint /app dg-scriptdrop:1", true, false, ""},
		{"docker run -d dg-bb:1", true, false, ""},
	} {
		res, err := harden.Run(c.line, opt)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(res.Line, "--user "); got != c.user {
			t.Errorf("%s: --user added = %v, want %v\n%s", c.line, got, c.user, res.Line)
		}
		if got := strings.Contains(res.Line, "--cap-add SETUID"); got != c.dropCaps {
			t.Errorf("%s: SETUID kept = %v, want %v\n%s", c.line, got, c.dropCaps, res.Line)
		}
		if c.noteWords != "" && !strings.Contains(notes(res.Notes), c.noteWords) {
			t.Errorf("%s: notes lack %q:\n%s", c.line, c.noteWords, notes(res.Notes))
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	src := "services:\n  owner:\n    image: dg-owner:1\n  gosu:\n    image: dg-gosuimg:1\n  plain:\n    image: dg-bb:1\n  script:\n    image: dg-scriptdrop:1\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := harden.Compose(ctx, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := res.New
	blocks := map[string]string{}
	names := []string{"owner", "gosu", "plain", "script"}
	for _, name := range names {
		i := strings.Index(out, "  "+name+":\n")
		j := len(out)
		for _, other := range names {
			if k := strings.Index(out, "  "+other+":\n"); k > i && k < j {
				j = k
			}
		}
		blocks[name] = out[i:j]
	}
	if strings.Contains(blocks["owner"], "user:") || strings.Contains(blocks["gosu"], "user:") || !strings.Contains(blocks["plain"], "user:") {
		t.Errorf("compose users:\n%s", out)
	}
	if strings.Contains(blocks["script"], "user:") || !strings.Contains(blocks["script"], "SETUID") {
		t.Errorf("compose service whose entrypoint script switches user:\n%s", blocks["script"])
	}
	if !strings.Contains(blocks["gosu"], "SETUID") || strings.Contains(blocks["owner"], "SETUID") {
		t.Errorf("compose capabilities:\n%s", out)
	}
}

// liveObserve: a container holding 200 MiB (a file in a tmpfs, memory the
// kernel cannot drop) gets a memory limit from its usage, as a compose
// service (matched by its compose labels) and as a named run line.
func liveObserve(t *testing.T, ctx context.Context, d *testenv.Daemon, run func(string, *api.Config, *api.HostConfig) string) {
	run("shop-web-1", &api.Config{Image: "dg-bb:1", Cmd: []string{"sh", "-c", "dd if=/dev/zero of=/mem/x bs=1M count=200 2>/dev/null && sleep 3600"},
		Labels: map[string]string{"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}},
		&api.HostConfig{Tmpfs: map[string]string{"/mem": "size=300m"}})
	var obs harden.Observed
	var u harden.Usage
	for try := 0; ; try++ {
		var err error
		obs, _, err = harden.Observe(ctx, d.Client, harden.ObserveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) != 1 {
			t.Fatalf("observed %+v", obs)
		}
		u = obs[0]
		if u.Memory >= 200<<20 {
			break
		}
		if try == 120 {
			t.Fatalf("the container never used 200 MiB: %+v", u)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if u.Name != "shop-web-1" || u.Project != "shop" || u.Service != "web" || u.Pids < 1 || u.Samples != 1 {
		t.Errorf("usage %+v", u)
	}
	want := u.MemoryLimit(2)
	t.Logf("observed %d bytes, %d pids: limit %d MiB", u.Memory, u.Pids, want>>20)
	if want < 400<<20 || want%(64<<20) != 0 {
		t.Fatalf("limit %d from usage %d", want, u.Memory)
	}
	wantText := fmt.Sprintf("%dm", want>>20)

	// Several samples keep the peak.
	many, _, err := harden.Observe(ctx, d.Client, harden.ObserveOptions{For: 1500 * time.Millisecond, Every: 500 * time.Millisecond})
	if err != nil || len(many) != 1 || many[0].Samples < 2 || many[0].Memory < 200<<20 {
		t.Errorf("sampling: %v %+v", err, many)
	}

	dir := filepath.Join(t.TempDir(), "shop")
	os.Mkdir(dir, 0o755)
	path := filepath.Join(dir, "compose.yaml")
	os.WriteFile(path, []byte("services:\n  web:\n    image: dg-bb:1\n  db:\n    image: dg-bb:1\n"), 0o644)
	res, err := harden.Compose(ctx, path, harden.Options{Observed: obs})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.New, "  web:\n    image: dg-bb:1\n") || !strings.Contains(res.New, "    mem_limit: "+wantText+"  # dockguard: memory-limit") ||
		!strings.Contains(res.New, "    pids_limit: 32  # dockguard") || strings.Count(res.New, "mem_limit: 512m") != 1 {
		t.Errorf("compose: want web at %s from usage, db at the default:\n%s", wantText, res.New)
	}
	if n := notes(res.Notes); !strings.Contains(n, "service web: memory "+wantText+" from the observed peak") ||
		!strings.Contains(n, "service db: no running container of project shop, service db, was observed") || strings.Contains(n, "service web: no running") {
		t.Errorf("notes: %s", n)
	}
	// A config entry for the service wins over the usage.
	cfg := harden.Options{Observed: obs, Harden: loadHarden(t, "harden:\n  services:\n    web: {memory: 1g}\n")}
	if l := cfg.LimitsFor("web", "dg-bb:1"); l.Memory != "1g" || l.MemoryFrom != "config" || l.PidsFrom != "observed" {
		t.Errorf("config over usage: %+v", l)
	}

	rr, err := harden.Run("docker run -d --name shop-web-1 dg-bb:1 sleep 1", harden.Options{Observed: obs})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rr.Line, "--memory "+wantText+" --memory-swap "+wantText+" ") {
		t.Errorf("run line: %s", rr.Line)
	}
	rr, err = harden.Run("docker run -d dg-bb:1", harden.Options{Observed: obs})
	if err != nil || !strings.Contains(rr.Line, "--memory 512m ") || !strings.Contains(notes(rr.Notes), "no --name") {
		t.Errorf("a line without --name: %v %s\n%s", err, rr.Line, notes(rr.Notes))
	}
}

// liveVolumes: what the daemon does with an image VOLUME nobody mounts
// under a read-only root: an anonymous volume, writable, while the rest of
// the root is not. harden notes it rather than hiding it under a tmpfs.
func liveVolumes(t *testing.T, ctx context.Context, d *testenv.Daemon, run func(string, *api.Config, *api.HostConfig) string) {
	id := run("ro", &api.Config{Image: "dg-bb:1", Cmd: []string{"sh", "-c", "echo x > /data/f && cat /data/f && ! touch /etc/x 2>/dev/null"}},
		&api.HostConfig{ReadonlyRootfs: true})
	w := d.Client.ContainerWait(ctx, id, client.ContainerWaitOptions{})
	select {
	case r := <-w.Result:
		if r.StatusCode != 0 {
			t.Fatalf("under --read-only, writing the VOLUME (or refusing /etc) failed: exit %d", r.StatusCode)
		}
	case err := <-w.Error:
		t.Fatal(err)
	}
	in, err := d.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ms := in.Container.Mounts
	if len(ms) != 1 || ms[0].Destination != "/data" || ms[0].Type != "volume" || !ms[0].RW {
		t.Fatalf("mounts: %+v", ms)
	}
	t.Logf("read-only container: the image VOLUME /data became anonymous volume %s, RW=%v; /etc refused writes", ms[0].Name, ms[0].RW)

	images := harden.DaemonImages(ctx, d.Client)
	if info := images("dg-bb:1"); info == nil || strings.Join(info.Volumes, ",") != "/data" {
		t.Fatalf("image info %+v", info)
	}
	res, err := harden.Run("docker run -d dg-bb:1", harden.Options{Image: images})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Line, "--tmpfs /data") || !strings.Contains(notes(res.Notes), "VOLUME /data is not mounted") {
		t.Errorf("%s\n%s", res.Line, notes(res.Notes))
	}
}

// liveResolve: the daemon pulls an image from a registry this test serves
// (inside the daemon's network namespace); with the registry gone, the
// digest still comes from the daemon's repository digests.
func liveResolve(t *testing.T, ctx context.Context, d *testenv.Daemon) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	outside := httptest.NewServer(reg)
	defer outside.Close()
	inside := d.Listen(t, "127.0.0.1:0")
	srv := &http.Server{Handler: reg}
	go srv.Serve(inside)
	defer srv.Close()

	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: runtime.GOARCH,
		RootFS: mustConfig(t, img).RootFS, Config: v1.Config{Cmd: []string{"/nothing"}}})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(outside.URL, "http://")
	tag, _ := name.NewTag(host+"/app:1.0", name.Insecure)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()

	ref := inside.Addr().String() + "/app:1.0"
	d.Pull(t, ref)
	srv.Close()
	outside.Close()

	images := harden.DaemonImages(ctx, d.Client)
	info := images(ref)
	if info == nil || len(info.RepoDigests) != 1 {
		t.Fatalf("image info %+v", info)
	}
	t.Logf("daemon repository digests: %v", info.RepoDigests)
	r := &harden.Resolver{Image: images, Timeout: 2 * time.Second}
	got, err := r.Digest(ref)
	if err != nil || got != digest.String() {
		t.Fatalf("Digest = %q, %v; want %s from the daemon", got, err, digest)
	}
	res, err := harden.Run("docker run -d "+ref, harden.Options{Resolve: r.Digest})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Line, " "+ref+"@"+digest.String()) {
		t.Errorf("run line not pinned: %s", res.Line)
	}
	// Neither the daemon nor the registry knows this one: a note.
	if _, err := r.Digest(inside.Addr().String() + "/app:2.0"); err == nil {
		t.Errorf("a tag nobody has resolved")
	}
}

func mustConfig(t *testing.T, img v1.Image) *v1.ConfigFile {
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}
