package enforce

// Bind sources judged as the kernel and the daemon will see them, through
// the plugin and through the proxy, at the default profile (baseline@v1):
// symlinks that exist only in the daemon's mount namespace, a symlink
// swapped between the create and the start (or a restart), `..` after a
// symlink, read-only binds of sensitive paths, and the daemon's own socket
// under another name, as a hard link, or through a folder (or a bind of
// it) that holds it. Each attack is judged by its effect: the container
// the daemon holds afterwards, and what a started container read of the
// host (a secret written to /root for the run). Controls show that each
// attack works when nothing judges it, and that a profile-compliant bind
// still passes.
//
//	DOCKGUARD_TEST_DOCKER=required go test -count=1 -run TestBinds -v ./internal/enforce/

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

// bindsEnv is what every attack needs: the daemon, the guarded socket,
// the unguarded one (the proxy's upstream; "" behind the plugin), and
// the host secret.
type bindsEnv struct {
	g       *advGuard
	direct  string
	secret  string
	marker  string // /root/<name>
	extra   string // a second -H listener of the daemon, in a folder of its own
	proxy   string // the proxy's own socket ("" behind the plugin)
	scratch string // a folder for the test's files, world-writable
}

// nsenter runs a shell command in the daemon's mount namespace.
func (e *bindsEnv) nsenter(t *testing.T, script string) {
	t.Helper()
	out, err := exec.Command("nsenter", "-t", strconv.Itoa(e.g.d.Pid), "-m", "--", "/bin/sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("nsenter %q: %v %s", script, err, out)
	}
}

// absent reports whether the daemon holds no container of that name.
func (e *bindsEnv) absent(t *testing.T, name string) bool {
	t.Helper()
	_, err := e.g.d.Client.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	return cerrdefs.IsNotFound(err)
}

// started reports whether the container ever started.
func (e *bindsEnv) started(t *testing.T, id string) bool {
	t.Helper()
	res, err := e.g.d.Client.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Container.State
	return st != nil && (st.Running || st.StartedAt != "" && !strings.HasPrefix(st.StartedAt, "0001-"))
}

func TestBindsAttacks(t *testing.T) {
	rnd := make([]byte, 6)
	_, _ = rand.Read(rnd)
	secret := "dg-binds-secret-" + hex.EncodeToString(rnd)
	marker := "/root/dg-binds-marker-" + hex.EncodeToString(rnd)
	if err := os.WriteFile(marker, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(marker) })
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	newEnv := func(t *testing.T) *bindsEnv {
		scratch, err := os.MkdirTemp("", "dgbinds")
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(scratch, 0o777)
		t.Cleanup(func() { os.RemoveAll(scratch) })
		extraDir, err := os.MkdirTemp("", "dgapi")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(extraDir) })
		return &bindsEnv{secret: secret, marker: marker, scratch: scratch, extra: filepath.Join(extraDir, "api")}
	}

	t.Run("plugin", func(t *testing.T) {
		e := newEnv(t)
		imgs := &lazyImages{}
		p := NewPlugin(New(Settings{Self: "dockguard"}, imgs), slog.New(slog.NewTextHandler(os.Stderr, nil)))
		d := testenv.Start(t, testenv.Options{AuthzPlugins: []testenv.Plugin{{Name: "dockguard", Handler: p}}, Flags: []string{"-H", "unix://" + e.extra}})
		imgs.c.Store(d.Client)
		d.BuildImage(t, "dg-bb:test", "FROM scratch\nCOPY busybox /\n", files)
		e.g = &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d}
		bindsAttacks(t, e)
	})
	t.Run("proxy", func(t *testing.T) {
		e := newEnv(t)
		d := testenv.Start(t, testenv.Options{Flags: []string{"-H", "unix://" + e.extra}})
		d.BuildImage(t, "dg-bb:test", "FROM scratch\nCOPY busybox /\n", files)
		e.direct = strings.TrimPrefix(d.Host, "unix://")
		e.proxy = filepath.Join(t.TempDir(), "dockguard.sock")
		dec := New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client, Socket: e.direct, ProxySockets: []string{e.proxy}})
		l, err := net.Listen("unix", e.proxy)
		if err != nil {
			t.Fatal(err)
		}
		px := &Proxy{Plugin: NewPlugin(dec, slog.New(slog.NewTextHandler(os.Stderr, nil))), Dial: func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", e.direct)
		}}
		go func() { _ = px.Serve(l) }()
		t.Cleanup(func() { l.Close(); px.Close() })
		e.g = &advGuard{name: "proxy", sock: e.proxy, d: d}
		bindsAttacks(t, e)
	})
}

func bindsAttacks(t *testing.T, e *bindsEnv) {
	g := e.g
	base := filepath.Base(e.marker)
	cat := func(p string) string { return `"Cmd":["/busybox","cat","` + p + `"]` }
	body := func(cmd, binds string) string {
		return `{"Image":"dg-bb:test","User":"10001:10001",` + cmd + `,"HostConfig":{` + advHard + `,"Binds":[` + binds + `]}}`
	}
	// Attacks run as root (baseline allows it) so that what they reach,
	// /root and /etc/shadow, is readable: the effect is real.
	rootBody := func(cmd, binds string) string {
		return `{"Image":"dg-bb:test","User":"0",` + cmd + `,"HostConfig":{` + advHard + `,"Binds":[` + binds + `]}}`
	}
	// denied: the guard refuses the create, and the daemon holds no such
	// container; if it does, it is run to show what it reached.
	denied := func(t *testing.T, name, b string, leak func(out string) bool) {
		t.Helper()
		code, id, msg := g.create(t, name, b)
		t.Logf("[%s] %s: %d %s", g.name, name, code, truncate(msg, 400))
		if id != "" {
			out := g.run(t, id)
			t.Errorf("BYPASS [%s] %s: the daemon created the container (output %q)", g.name, name, truncate(out, 200))
			if leak != nil && leak(out) {
				t.Errorf("BYPASS [%s] %s: the container read the host's file", g.name, name)
			}
			return
		}
		if !e.absent(t, name) {
			t.Errorf("BYPASS [%s] %s: the daemon holds the container", g.name, name)
		}
	}
	leaksSecret := func(out string) bool { return strings.Contains(out, e.secret) }
	// control runs the same body on the unguarded socket (proxy only) and
	// requires the effect, so that each attack is shown to be real.
	control := func(t *testing.T, name, b string, effect func(out string) bool) {
		t.Helper()
		if e.direct == "" {
			return
		}
		direct := &advGuard{name: "unguarded", sock: e.direct, d: g.d}
		_, id, msg := direct.create(t, name, b)
		if id == "" {
			t.Fatalf("control %s: the daemon refused it: %s", name, msg)
		}
		if out := direct.run(t, id); !effect(out) {
			t.Errorf("control %s: unguarded, the attack did not have its effect (output %q): the test proves nothing", name, truncate(out, 200))
		}
	}

	// Profile-compliant binds pass: a temp folder read-only, one written
	// by a non-root user, the time zone read-only.
	t.Run("compliant", func(t *testing.T) {
		dir := filepath.Join(e.scratch, "data")
		os.Mkdir(dir, 0o777)
		os.Chmod(dir, 0o777)
		os.WriteFile(filepath.Join(dir, "in"), []byte("hello-bind\n"), 0o644)
		for _, tc := range []struct{ name, body, want string }{
			{"dgok-ro", body(cat("/x/in"), `"`+dir+`:/x:ro"`), "hello-bind"},
			{"dgok-rw-user", body(`"Cmd":["/busybox","sh","-c","echo written > /x/out; /busybox cat /x/out"]`, `"`+dir+`:/x"`), "written"},
			{"dgok-localtime", body(`"Cmd":["/busybox","test","-e","/etc/localtime"]`, `"/etc/localtime:/etc/localtime:ro"`), ""},
		} {
			code, id, msg := g.create(t, tc.name, tc.body)
			if id == "" {
				t.Errorf("[%s] %s refused: %d %s", g.name, tc.name, code, msg)
				continue
			}
			if out := g.run(t, id); !strings.Contains(out, tc.want) || strings.HasPrefix(out, "start:") {
				t.Errorf("[%s] %s: output %q, want %q", g.name, tc.name, out, tc.want)
			}
		}
		if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || strings.TrimSpace(string(b)) != "written" {
			t.Errorf("[%s] the non-root container did not write its bind: %q %v", g.name, b, err)
		}
	})

	// A symlink that exists only in the daemon's mount namespace: a
	// tmpfs over a folder there holds links to /root, to / and to /etc.
	t.Run("daemon-namespace-symlink", func(t *testing.T) {
		dir := filepath.Join(e.scratch, "nsonly")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		e.nsenter(t, "mount -t tmpfs tmpfs "+dir+" && ln -s /root "+dir+"/r && ln -s / "+dir+"/slash && ln -s /etc/ssl/../../root "+dir+"/dd")
		if _, err := os.Lstat(filepath.Join(dir, "r")); err == nil {
			t.Fatal("the link is visible outside the daemon's namespace: the test would not test the namespace")
		}
		control(t, "dgns-control", rootBody(cat("/h/"+base), `"`+dir+`/r:/h:ro"`), leaksSecret)
		denied(t, "dgns-root", rootBody(cat("/h/"+base), `"`+dir+`/r:/h:ro"`), leaksSecret)
		denied(t, "dgns-slash", rootBody(cat("/h"+e.marker), `"`+dir+`/slash:/h:ro"`), leaksSecret)
		denied(t, "dgns-parent", rootBody(cat("/h/"+base), `"`+dir+`/slash/root:/h:ro"`), leaksSecret)
		// `..` in the link's target is the kernel's: /etc/ssl/../../root.
		denied(t, "dgns-dotdot", rootBody(cat("/h/"+base), `"`+dir+`/dd:/h:ro"`), leaksSecret)
		code, id, msg := g.create(t, "dgns-mount", `{"Image":"dg-bb:test","User":"0",`+cat("/h/"+base)+`,"HostConfig":{`+advHard+`,"Mounts":[{"Type":"bind","Source":"`+dir+`/r","Target":"/h","ReadOnly":true}]}}`)
		if id != "" || !e.absent(t, "dgns-mount") {
			t.Errorf("BYPASS [%s] Mounts bind through a namespace-only symlink: %d %s", g.name, code, msg)
		}
	})

	// `..` in a symlink's target is the kernel's: /etc/ssl/../shadow is
	// /etc/shadow. (`..` written in the source itself the daemon cleans
	// lexically.)
	t.Run("dotdot-in-link", func(t *testing.T) {
		l := filepath.Join(e.scratch, "ssl")
		if err := os.Symlink("/etc/ssl/../shadow", l); err != nil {
			t.Fatal(err)
		}
		shadowLeak := func(out string) bool { return strings.Contains(out, "root:") }
		control(t, "dgdd-control", rootBody(cat("/s"), `"`+l+`:/s:ro"`), shadowLeak)
		denied(t, "dgdd", rootBody(cat("/s"), `"`+l+`:/s:ro"`), shadowLeak)
	})

	// Read-only binds of sensitive paths deny too.
	t.Run("read-only-sensitive", func(t *testing.T) {
		shadowLeak := func(out string) bool { return strings.Contains(out, "root:") }
		denied(t, "dgro-shadow", rootBody(cat("/s"), `"/etc/shadow:/s:ro"`), shadowLeak)
		denied(t, "dgro-cgroup", rootBody(`"Cmd":["/busybox","ls","/c"]`, `"/sys/fs/cgroup:/c:ro"`), nil)
		denied(t, "dgro-proc", rootBody(`"Cmd":["/busybox","ls","/p"]`, `"/proc:/p:ro"`), nil)
		denied(t, "dgro-varlibdocker", rootBody(`"Cmd":["/busybox","ls","/v"]`, `"/var/lib/docker:/v:ro"`), nil)
		// This daemon's own data-root and the folder above it.
		denied(t, "dgro-dataroot", rootBody(`"Cmd":["/busybox","ls","/v"]`, `"`+filepath.Join(g.d.Dir, "data")+`:/v:ro"`), nil)
		denied(t, "dgro-above-dataroot", rootBody(`"Cmd":["/busybox","ls","/v"]`, `"`+g.d.Dir+`:/v:ro"`), nil)
	})

	// The daemon's socket by another name: a symlink, a hard link, the
	// folder of its second -H listener, a bind of that folder made in the
	// daemon's namespace, the containerd socket's folder, and any source
	// mounted where clients look for the Docker socket.
	t.Run("engine-socket", func(t *testing.T) {
		isSocket := func(out string) bool { return strings.Contains(out, "socket-yes") }
		test := func(p string) string {
			return `"Cmd":["/busybox","sh","-c","test -S ` + p + ` && echo socket-yes"]`
		}
		soft := filepath.Join(e.scratch, "api-link")
		if err := os.Symlink(strings.TrimPrefix(g.d.Host, "unix://"), soft); err != nil {
			t.Fatal(err)
		}
		hardDir := filepath.Join(e.scratch, "hard")
		os.Mkdir(hardDir, 0o755)
		if err := os.Link(e.extra, filepath.Join(hardDir, "api-hard")); err != nil {
			t.Fatal(err)
		}
		bound := filepath.Join(e.scratch, "bound")
		os.Mkdir(bound, 0o755)
		e.nsenter(t, "mount --bind "+filepath.Dir(e.extra)+" "+bound)
		containerd := filepath.Join(g.d.Dir, "exec", "containerd")

		control(t, "dgsock-control", rootBody(test("/s"), `"`+filepath.Join(hardDir, "api-hard")+`:/s"`), isSocket)
		denied(t, "dgsock-symlink", rootBody(test("/s"), `"`+soft+`:/s"`), nil)
		denied(t, "dgsock-hardlink", rootBody(test("/s"), `"`+filepath.Join(hardDir, "api-hard")+`:/s"`), nil)
		denied(t, "dgsock-hardlink-folder", rootBody(test("/d/api-hard"), `"`+hardDir+`:/d"`), nil)
		denied(t, "dgsock-folder", rootBody(test("/d/api"), `"`+filepath.Dir(e.extra)+`:/d"`), nil)
		denied(t, "dgsock-bound-folder", rootBody(test("/d/api"), `"`+bound+`:/d"`), nil)
		denied(t, "dgsock-containerd", rootBody(test("/d/containerd.sock"), `"`+containerd+`:/d"`), nil)
		tmp := filepath.Join(e.scratch, "plain")
		os.Mkdir(tmp, 0o755)
		denied(t, "dgsock-target", rootBody(test("/var/run/docker.sock"), `"`+tmp+`:/var/run/docker.sock"`), nil)
	})

	// Through the proxy, its own socket is the API through the proxy: a
	// low finding that does not deny.
	t.Run("proxy-socket", func(t *testing.T) {
		if e.proxy == "" {
			return
		}
		code, id, msg := g.create(t, "dgproxy-sock", body(`"Cmd":["/busybox","sh","-c","test -S /p && echo socket-yes"]`, `"`+e.proxy+`:/p"`))
		if id == "" {
			t.Fatalf("[%s] mounting the proxy's own socket was refused: %d %s", g.name, code, msg)
		}
		if out := g.run(t, id); !strings.Contains(out, "socket-yes") {
			t.Errorf("[%s] the container does not see the proxy's socket: %q", g.name, out)
		}
	})

	// A symlink swapped between the create and the start, and before a
	// restart: the daemon resolves the source again each time.
	t.Run("swap", func(t *testing.T) {
		// Where a user other than root can change the path (the scratch
		// folder is world-writable), the bind is refused at create for a
		// root container: the race between decision and mount cannot be
		// won by judging the path again (bind-swappable).
		os.Mkdir(filepath.Join(e.scratch, "open"), 0o755)
		denied(t, "dgswap-open", rootBody(cat("/h/x"), `"`+filepath.Join(e.scratch, "open")+`:/h:ro"`), nil)
		// A folder only root can change: created under /tmp (sticky,
		// the entry root's) with mode 0755.
		rootOnly, err := os.MkdirTemp("", "dgswaproot")
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(rootOnly, 0o755)
		t.Cleanup(func() { os.RemoveAll(rootOnly) })
		safe := filepath.Join(rootOnly, "safe")
		os.Mkdir(safe, 0o755)
		for _, tc := range []struct{ name, how string }{{"dgswap-start", "start"}, {"dgswap-restart", "restart"}} {
			link := filepath.Join(rootOnly, tc.name)
			if err := os.Symlink(safe, link); err != nil {
				t.Fatal(err)
			}
			// It exits 0 whatever it reads: its on-failure restart
			// policy must not restart it behind the test's back (the
			// daemon's own restarts are the race README describes).
			code, id, msg := g.create(t, tc.name, rootBody(`"Cmd":["/busybox","sh","-c","/busybox cat /h/`+base+`; true"]`, `"`+link+`:/h:ro"`))
			if id == "" {
				t.Fatalf("[%s] %s: the create of a bind to a safe folder was refused: %d %s", g.name, tc.name, code, msg)
			}
			if tc.how == "restart" {
				// Started while safe: it finds no secret and exits.
				if out := g.run(t, id); strings.Contains(out, e.secret) {
					t.Fatalf("the safe folder holds the secret: %q", out)
				}
			}
			os.Remove(link)
			if err := os.Symlink("/root", link); err != nil {
				t.Fatal(err)
			}
			c, m := advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/"+tc.how, nil, "")
			t.Logf("[%s] %s after the swap: %d %s", g.name, tc.how, c, strings.TrimSpace(m))
			advRaw(t, strings.TrimPrefix(g.d.Host, "unix://"), "POST", "/v1.41/containers/"+id+"/wait", nil, "")
			_, logs := advRaw(t, strings.TrimPrefix(g.d.Host, "unix://"), "GET", "/v1.41/containers/"+id+"/logs?stdout=1&stderr=1", nil, "")
			if c < 400 || strings.Contains(logs, e.secret) {
				t.Errorf("BYPASS [%s] %s after a symlink swap: %d, the container read %q", g.name, tc.how, c, truncate(logs, 200))
			}
			if tc.how == "start" && e.started(t, id) {
				t.Errorf("BYPASS [%s] the container started after the swap", g.name)
			}
		}
		// The swap is real: unguarded, the swapped bind reads the secret.
		if e.direct != "" {
			direct := &advGuard{name: "unguarded", sock: e.direct, d: g.d}
			if out := direct.run(t, "dgswap-start"); !strings.Contains(out, e.secret) {
				t.Errorf("control: the swapped bind, started unguarded, did not read the secret (%q): the test proves nothing", truncate(out, 200))
			}
		}
	})
}
