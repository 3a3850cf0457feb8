package harden_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/source/compose"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/testenv"
	api "github.com/moby/moby/api/types/container"
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
		container.Map(spec) // the one mapper accepts what is created
		hc := spec.HostConfig
		hc.NetworkMode = "hnet"
		res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: spec.Config, HostConfig: hc})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		// The client is a static busybox, which cannot resolve names: use
		// the container's address.
		in, err := d.Client.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ep := in.Container.NetworkSettings.Networks["hnet"]
		if ep == nil || !ep.IPAddress.IsValid() {
			t.Fatalf("%s has no address on hnet", name)
		}
		return ep.IPAddress.String()
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
