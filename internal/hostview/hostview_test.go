package hostview

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Resolve follows symlinks in every component, within the root it is
// given, and takes `..` after the symlink before it, as the kernel does.
func TestResolve(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("etc/ssl/certs")
	mk("srv/app")
	if err := os.WriteFile(filepath.Join(root, "etc/shadow"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ln("/etc/ssl", "srv/app/ssl")  // absolute: starts again at root
	ln("../..", "srv/app/up")      // relative, to "/"
	ln("/", "srv/app/slash")       // to the root itself
	ln("loop2", "srv/app/loop1")   // a loop
	ln("loop1", "srv/app/loop2")   //
	ln("ssl/certs", "srv/app/rel") // relative through another link
	for _, tc := range []struct{ in, want string }{
		{"/srv/app", "/srv/app"},
		{"/srv/app/ssl", "/etc/ssl"},
		// Lexically /srv/app/shadow; the kernel takes .. in /etc/ssl.
		{"/srv/app/ssl/../shadow", "/etc/shadow"},
		{"/srv/app/up", "/"},
		{"/srv/app/slash", "/"},
		{"/srv/app/slash/etc/shadow", "/etc/shadow"},
		{"/srv/app/rel", "/etc/ssl/certs"},
		{"/srv/app/up/../../etc", "/etc"}, // never above the root
		{"/srv/app/missing/../x", "/srv/app/x"},
		{"//srv/./app/", "/srv/app"},
	} {
		got, err := Resolve(root, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/srv/app/loop1", "/etc/shadow/x", "relative/path"} {
		if got, err := Resolve(root, bad); err == nil {
			t.Errorf("Resolve(%q) = %q, want an error", bad, got)
		}
	}
}

// Sockets are known by inode: under another name, as a hard link, and
// through the folders that hold them; the proxy's own socket is told
// apart from the daemon's, and any other socket is a socket.
func TestLookSockets(t *testing.T) {
	dir := t.TempDir()
	listen := func(p string) {
		l, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	if err := os.MkdirAll(filepath.Join(dir, "engine/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	engine := filepath.Join(dir, "engine/sub/api")
	proxy := filepath.Join(dir, "proxy.sock")
	other := filepath.Join(dir, "other.sock")
	listen(engine)
	listen(proxy)
	listen(other)
	links := filepath.Join(dir, "links")
	if err := os.Mkdir(links, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(engine, filepath.Join(links, "hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(engine, filepath.Join(dir, "soft")); err != nil {
		t.Fatal(err)
	}
	// The test process listens on engine: its peer is this process, not
	// dockerd, which the note says.
	v := Discover(engine, "/nonexistent/data", []string{proxy})
	if !strings.Contains(v.Note, "not dockerd") {
		t.Errorf("note %q does not say the peer is not dockerd", v.Note)
	}
	for _, tc := range []struct {
		src, socket string
		holds       bool
	}{
		{engine, SocketEngine, false},
		{filepath.Join(dir, "soft"), SocketEngine, false},
		{filepath.Join(links, "hard"), SocketEngine, false},
		{links, SocketEngine, true}, // holds a hard link
		{filepath.Join(dir, "engine/sub"), SocketEngine, true},
		{filepath.Join(dir, "engine"), SocketEngine, true},
		{dir, SocketEngine, true},
		{proxy, SocketProxy, false},
		{other, SocketOther, false},
		{t.TempDir(), "", false},
	} {
		m, err := v.Look(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if m.Socket != tc.socket || m.Holds != tc.holds {
			t.Errorf("Look(%s) = socket %q holds %v, want %q %v", tc.src, m.Socket, m.Holds, tc.socket, tc.holds)
		}
	}
	// The data-root, what is under it and every folder above it.
	v.DataRoot = filepath.Join(dir, "data/root")
	for _, src := range []string{v.DataRoot, v.DataRoot + "/volumes", filepath.Join(dir, "data"), dir, "/"} {
		if m, _ := v.Look(src); !strings.HasPrefix(m.DaemonRoot, "data-root ") {
			t.Errorf("Look(%s).DaemonRoot = %q, want the data-root", src, m.DaemonRoot)
		}
	}
	if m, _ := v.Look(filepath.Join(dir, "datax")); m.DaemonRoot != "" {
		t.Errorf("a sibling of the data-root's folder is %q", m.DaemonRoot)
	}
}

func TestParseFlags(t *testing.T) {
	got := parseFlags([]string{"dockerd", "-H", "unix:///a", "--host=unix:///b", "-Hunix:///c", "-H=fd://", "--debug", "--exec-root", "/x", "--data-root=/d", "--containerd", "/c.sock"})
	want := map[string][]string{"host": {"unix:///a", "unix:///b", "unix:///c", "fd://"}, "exec-root": {"/x"}, "data-root": {"/d"}, "containerd": {"/c.sock"}}
	for k, w := range want {
		if strings.Join(got[k], ",") != strings.Join(w, ",") {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
}
