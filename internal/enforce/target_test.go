package enforce

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestTargetsByEffect: exec, namespace joins, VolumesFrom and updates are
// judged by the container they reach. Containers that fail the profile
// are made outside dockguard (on the daemon's own socket behind the
// proxy; in audit mode behind the plugin), then reached through
// dockguard; every attack is judged by what the daemon holds afterwards,
// beside a control that passes and has the effect.
func TestTargetsByEffect(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	const image = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\n"
	t.Run("plugin", func(t *testing.T) {
		d, p, imgs := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		d.BuildImage(t, "dg-bb:test", image, files)
		outside := func(f func()) {
			p.Set(New(Settings{Self: "dockguard", ModeOverride: "audit"}, imgs))
			defer p.Set(New(Settings{Self: "dockguard"}, imgs))
			f()
		}
		targetAttacks(t, d, d.Client, outside)
	})
	t.Run("proxy", func(t *testing.T) {
		d := testenv.Start(t, testenv.Options{})
		d.BuildImage(t, "dg-bb:test", image, files)
		sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
		c, err := client.New(client.WithHost("unix://" + sock))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		targetAttacks(t, d, c, func(f func()) { f() })
	})
}

// targetAttacks runs through c (guarded by dockguard); outside runs f with
// the daemon's own client d.Client unguarded.
func targetAttacks(t *testing.T, d *testenv.Daemon, c *client.Client, outside func(func())) {
	ctx := context.Background()
	sleep := []string{"/bin/busybox", "sleep", "600"}
	mk := func(cl *client.Client, name string, hc *container.HostConfig) string {
		t.Helper()
		res, err := cl.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: &container.Config{Image: "dg-bb:test", User: "10001", Cmd: sleep}, HostConfig: hc})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := cl.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		return res.ID
	}
	var priv, hostPID, rootBind string
	outside(func() {
		priv = mk(d.Client, "dg-priv", &container.HostConfig{Privileged: true})
		hostPID = mk(d.Client, "dg-hostpid", &container.HostConfig{PidMode: "host"})
		rootBind = mk(d.Client, "dg-rootbind", &container.HostConfig{Binds: []string{"/:/host:ro"}})
	})
	plain := mk(c, "dg-plain", &container.HostConfig{})
	denied := func(what string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: allowed", what)
			return
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v (want %q)", what, err, w)
			}
		}
	}
	marked := func(id, path string) bool {
		_, err := d.Client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: path})
		return err == nil
	}
	execTouch := func(id, user, path string) error {
		ex, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{User: user, Cmd: []string{"/bin/busybox", "touch", path}})
		if err != nil {
			return err
		}
		_, err = c.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true})
		if err != nil {
			return err
		}
		// Wait for it to end: the exec inspect says when.
		for {
			res, err := d.Client.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
			if err != nil || !res.Running {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Control: an exec, as root too, into a container that passes.
	if err := execTouch(plain, "0", "/control"); err != nil || !marked(plain, "/control") {
		t.Fatalf("exec -u 0 into a container that passes baseline: %v, marker %v", err, marked(plain, "/control"))
	}
	// exec into containers made outside dockguard that fail the profile.
	for _, tc := range []struct{ id, name, rule string }{{priv, "dg-priv", "privileged (DG330)"}, {hostPID, "dg-hostpid", "host-pid-ipc (DG335)"}} {
		for _, user := range []string{"", "10001", "0"} {
			err := execTouch(tc.id, user, "/exec-"+user)
			denied("exec -u "+user+" into "+tc.name, err, tc.rule, "container "+tc.name)
			if marked(tc.id, "/exec-"+user) {
				t.Errorf("BYPASS: exec -u %q ran in %s", user, tc.name)
			}
		}
	}
	if err := execTouch(plain, "10001", "/p"); err != nil {
		t.Errorf("exec into dg-plain: %v", err)
	}
	_, err := c.ExecCreate(ctx, plain, client.ExecCreateOptions{Privileged: true, Cmd: []string{"/bin/busybox", "true"}})
	denied("exec --privileged into a container that passes", err, "exec-privileged (DG353)")

	// Joins: allowed into a container that passes, denied into one that
	// fails, naming it.
	joinCreate := func(name string, hc *container.HostConfig) error {
		_, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: &container.Config{Image: "dg-bb:test", User: "10001", Cmd: sleep}, HostConfig: hc})
		return err
	}
	exists := func(name string) bool {
		_, err := d.Client.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
		return err == nil
	}
	if err := joinCreate("dg-join-ok", &container.HostConfig{PidMode: container.PidMode("container:dg-plain"), NetworkMode: "container:dg-plain", VolumesFrom: []string{"dg-plain:ro"}}); err != nil || !exists("dg-join-ok") {
		t.Errorf("joining a container that passes: %v", err)
	}
	for _, tc := range []struct {
		name string
		hc   *container.HostConfig
		want []string
	}{
		{"dg-join-hostpid", &container.HostConfig{PidMode: "container:dg-hostpid"}, []string{"shared-namespace (DG338)", "container dg-hostpid", "host-pid-ipc"}},
		{"dg-join-priv-net", &container.HostConfig{NetworkMode: container.NetworkMode("container:" + priv[:12])}, []string{"shared-namespace (DG338)", "container dg-priv", "privileged"}},
		{"dg-join-priv-ipc", &container.HostConfig{IpcMode: "container:dg-priv"}, []string{"shared-namespace (DG338)", "privileged"}},
		{"dg-volumes-rootbind", &container.HostConfig{VolumesFrom: []string{rootBind[:12] + ":ro"}}, []string{"volumes-from (DG345)", "container dg-rootbind", "host-path-mount"}},
		{"dg-join-gone", &container.HostConfig{PidMode: "container:dg-no-such"}, []string{"shared-namespace (DG338)", "cannot be judged"}},
	} {
		err := joinCreate(tc.name, tc.hc)
		denied("create "+tc.name, err, tc.want...)
		if exists(tc.name) {
			t.Errorf("BYPASS: %s was created", tc.name)
		}
	}

	// Updates: judged as the container they leave.
	mem := int64(96 << 20)
	if _, err := c.ContainerUpdate(ctx, plain, client.ContainerUpdateOptions{Resources: &container.Resources{Memory: mem, MemorySwap: mem}, RestartPolicy: &container.RestartPolicy{Name: "always"}}); err != nil {
		t.Errorf("update of a container that passes (memory, restart always): %v", err)
	}
	if res, err := d.Client.ContainerInspect(ctx, plain, client.ContainerInspectOptions{}); err != nil || res.Container.HostConfig.Memory != mem {
		t.Errorf("the control update did not take: %v", err)
	}
	_, err = c.ContainerUpdate(ctx, priv, client.ContainerUpdateOptions{Resources: &container.Resources{Memory: mem, MemorySwap: mem}})
	denied("update of a privileged container", err, "privileged (DG330)", "after the update")
	if res, err := d.Client.ContainerInspect(ctx, priv, client.ContainerInspectOptions{}); err != nil || res.Container.HostConfig.Memory == mem {
		t.Errorf("BYPASS: the update of dg-priv took (%v)", err)
	}
	_, err = c.ContainerUpdate(ctx, plain, client.ContainerUpdateOptions{Resources: &container.Resources{Memory: 80 << 20, MemorySwap: 80 << 20,
		Devices: []container.DeviceMapping{{PathOnHost: "/dev/loop0", PathInContainer: "/dev/loop0", CgroupPermissions: "rwm"}}}})
	denied("update adding a device", err, "update-devices (DG365)")
	if res, err := d.Client.ContainerInspect(ctx, plain, client.ContainerInspectOptions{}); err != nil || res.Container.HostConfig.Memory != mem || len(res.Container.HostConfig.Devices) > 0 {
		t.Errorf("BYPASS: the update adding a device took (%v)", err)
	}

	// At restricted, exec-root holds for a container that passes.
	r := New(Settings{Config: config.Enforce{Profile: rules.Restricted}, Self: "dockguard"}, &EngineImages{Client: d.Client})
	if dec := r.Decide(ctx, req("POST", "/v1.41/containers/dg-plain/exec", `{"Cmd":["sh"],"User":"0"}`)); dec.Allow || !strings.Contains(dec.Msg, "exec-root") {
		t.Errorf("exec -u 0 at restricted: %+v", dec)
	}
}

// docker cp into a container is judged by the daemon's version: denied
// on a daemon in the range of CVE-2026-41567, or whose version cannot be
// asked or read; allowed on a fixed one; allowArchiveWrites allows it
// everywhere.
func TestArchiveWriteByVersion(t *testing.T) {
	put := req("PUT", "/v1.41/containers/c1/archive?path=/data", "")
	for _, tc := range []struct {
		version string
		err     error
		allow   bool
		want    string
	}{
		{"29.5.1", nil, true, ""},
		{"30.0.0", nil, true, ""},
		{"29.5.0", nil, false, "CVE-2026-41567"},
		{"20.10.24+dfsg1", nil, false, "CVE-2026-41567"},
		{"not-a-version", nil, false, "cannot be read"},
		{"", nil, false, "cannot be asked"},
		{"29.5.1", errors.New("connection refused"), false, "connection refused"},
	} {
		imgs := &fakeImages{version: tc.version, err: tc.err}
		dec := New(Settings{Self: "dockguard"}, imgs).Decide(context.Background(), put)
		if dec.Allow != tc.allow || !strings.Contains(dec.Msg, tc.want) || !tc.allow && !strings.Contains(dec.Msg, "archive-write (DG364)") {
			t.Errorf("daemon %q (%v): allow=%v %q, want allow=%v with %q", tc.version, tc.err, dec.Allow, dec.Msg, tc.allow, tc.want)
		}
		if dec := New(Settings{Config: config.Enforce{AllowArchiveWrites: true}, Self: "dockguard"}, imgs).Decide(context.Background(), put); !dec.Allow {
			t.Errorf("daemon %q, allowArchiveWrites: %s", tc.version, dec.Msg)
		}
	}
}

// BuildKit builds pass by default and are judged on what the request
// shows; allowBuilds: false denies them.
func TestBuildKit(t *testing.T) {
	h2c := func(r *Request) *Request {
		r.RequestHeaders["Upgrade"], r.RequestHeaders["Connection"] = "h2c", "Upgrade"
		return r
	}
	routine := []*Request{
		req("POST", "/v1.41/build?version=2&remote=client-session&session=abc&t=app:1&dockerfile=Dockerfile", ""),
		h2c(req("POST", "/v1.41/session", "")),
		h2c(req("POST", "/grpc", "")),
	}
	d, off := newDecider(config.Enforce{}), newDecider(config.Enforce{DenyBuilds: true})
	for _, r := range routine {
		if dec := d.Decide(context.Background(), r); !dec.Allow {
			t.Errorf("%s at the default: %s", r.RequestURI, dec.Msg)
		}
		if dec := off.Decide(context.Background(), r); dec.Allow || !strings.Contains(dec.Msg, "buildkit-session (DG361)") || !strings.Contains(dec.Msg, "allowBuilds") {
			t.Errorf("%s with allowBuilds false: %+v", r.RequestURI, dec)
		}
	}
	for _, r := range []*Request{
		req("POST", "/v1.41/build?version=2&networkmode=host", ""), // the network.host entitlement
		req("POST", "/v1.41/build?version=2&securityopt=insecure", ""),
		req("POST", "/v1.41/session", ""), // a stream without the protocol switch
	} {
		if dec := d.Decide(context.Background(), r); dec.Allow {
			t.Errorf("%s allowed", r.RequestURI)
		}
	}
}
