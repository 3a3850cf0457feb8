package rules

import (
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
)

// A sensitive folder is sensitive itself, not only below it, and the
// places the host runs or loads as root are in the set.
func TestSensitivePath(t *testing.T) {
	for _, p := range []string{
		"/etc/docker", "/etc/ssh", "/etc/sudoers.d", "/etc/docker/", "/etc/systemd/system", "/usr/local/sbin",
		"/usr/local", "/usr/lib/x86_64-linux-gnu", "/etc/pam.d", "/etc/profile.d", "/var/spool/cron",
		"/run/docker", "/run/docker/plugins", "/var/run/docker/containerd", "/etc/ld.so.preload", "/etc/cron.d",
		// Found by the fourth adversarial pass: all of /etc, backups of
		// the shadow file, package hooks, SSH keys in homes.
		"/etc/dockerfiles", "/etc/shadow-", "/etc/gshadow-", "/etc/logrotate.d", "/etc/apt/apt.conf.d", "/etc/init.d",
		"/var/lib/dpkg/info", "/var/backups", "/home/u", "/home/u/.ssh", "/home/u/.ssh/id_ed25519",
	} {
		if !sensitivePath(p) {
			t.Errorf("%s is not sensitive", p)
		}
	}
	for _, p := range []string{"/srv/app", "/home/u/project", "/home/u/.sshd", "/run/docker.sock.d", "/opt/data", "/usr/share/zoneinfo", "/var/lib/mysql"} {
		if sensitivePath(p) {
			t.Errorf("%s is sensitive", p)
		}
	}
}

// Read-only binds of sensitive paths are sensitive too, except the time
// zone and the CA certificates; a folder that holds a sensitive path is
// sensitive.
func TestSensitiveMountReadOnly(t *testing.T) {
	for _, tc := range []struct {
		src  string
		ro   bool
		want bool
	}{
		{"/etc/shadow", true, true},
		{"/etc/shadow-", true, true},
		{"/etc/os-release", true, false},
		{"/usr/lib/os-release", true, false},
		{"/etc/hosts", true, false},
		{"/etc/hosts", false, true},
		{"/etc/nginx/conf.d", true, true},
		{"/proc", true, true},
		{"/sys/fs/cgroup", true, true},
		{"/var/lib/docker", true, true},
		{"/var/lib", true, true},
		{"/run/dbus", true, true},
		{"/run/dbus/system_bus_socket", true, true},
		{"/etc/ld.so.preload", true, true},
		{"/etc/modprobe.d/x.conf", true, true},
		{"/etc/udev/rules.d", true, true},
		{"/etc/ssl", true, true},        // holds /etc/ssl/private
		{"/var/spool", false, true},     // holds /var/spool/cron
		{"/etc/localtime", true, false}, // read-only allow-list
		{"/etc/localtime", false, true}, // writable, it is the host's
		{"/etc/timezone", true, false},  //
		{"/etc/ssl/certs", true, false}, //
		{"/etc/ssl/certs", false, true}, // a container would add a CA
		{"/etc/pki/ca-trust/source", true, false},
		{"/usr/share/ca-certificates", true, false},
		{"/etc/ca-certificates", true, false},
		{"/usr/share", true, false}, // holds only read-only-allowed certificates
		{"/usr/share", false, true}, //
		{"/srv/app", false, false},
	} {
		if got := sensitiveMount(tc.src, tc.ro); got != tc.want {
			t.Errorf("sensitiveMount(%s, ro=%v) = %v, want %v", tc.src, tc.ro, got, tc.want)
		}
	}
}

// allow.bindRoots widens nothing host-path-mount judges.
func TestBindRootsDoNotRelaxSensitive(t *testing.T) {
	r := Lookup("host-path-mount")[0]
	c := &facts.Container{Mounts: []facts.Mount{{Type: "bind", Source: "/etc/shadow", Target: "/s", ReadOnly: true}}}
	rep := NewReporter(r, &Config{Allow: Allow{BindRoots: []string{"/etc", "/etc/shadow"}}})
	r.Container(c, rep)
	if len(rep.Findings()) != 1 {
		t.Errorf("with allow.bindRoots [/etc], /etc/shadow:ro gives %d findings, want 1", len(rep.Findings()))
	}
}

// What the host showed of a mount decides: the daemon's socket under
// another name, the proxy's own socket (proxy-socket-mount, not this),
// another socket, the daemon's folders, and a symlink's target.
func TestHostMountFindings(t *testing.T) {
	run := func(slug string, m facts.Mount) []Finding {
		r := Lookup(slug)[0]
		rep := NewReporter(r, nil)
		r.Container(&facts.Container{Mounts: []facts.Mount{m}}, rep)
		return rep.Findings()
	}
	engine := facts.Mount{Type: "bind", Source: "/srv/x/api", Target: "/s", Host: &facts.HostMount{Socket: "engine", SocketPath: "/run/docker.sock"}}
	if fs := run("runtime-socket-mount", engine); len(fs) != 1 || !strings.Contains(fs[0].Message, "which is the daemon's socket /run/docker.sock") {
		t.Errorf("engine socket by another name: %v", fs)
	}
	if fs := run("host-path-mount", engine); len(fs) != 0 {
		t.Errorf("engine socket reported twice: %v", fs)
	}
	proxy := facts.Mount{Type: "bind", Source: "/run/dockguard/docker.sock", Target: "/var/run/docker.sock", Host: &facts.HostMount{Socket: "proxy", SocketPath: "/run/dockguard/docker.sock"}}
	if fs := run("runtime-socket-mount", proxy); len(fs) != 0 {
		t.Errorf("proxy socket is a runtime socket: %v", fs)
	}
	if fs := run("host-path-mount", proxy); len(fs) != 0 {
		t.Errorf("proxy socket is a sensitive path: %v", fs)
	}
	if fs := run("proxy-socket-mount", proxy); len(fs) != 1 || fs[0].Severity != Low {
		t.Errorf("proxy-socket-mount: %v", fs)
	}
	if Baseline.Denies(Lookup("proxy-socket-mount")[0]) || Restricted.Denies(Lookup("proxy-socket-mount")[0]) {
		t.Error("a profile denies the API through dockguard's proxy")
	}
	other := facts.Mount{Type: "bind", Source: "/srv/agent.sock", Target: "/a", ReadOnly: true, Host: &facts.HostMount{Socket: "other", SocketPath: "/srv/agent.sock"}}
	if fs := run("host-path-mount", other); len(fs) != 1 {
		t.Errorf("another socket: %v", fs)
	}
	root := facts.Mount{Type: "bind", Source: "/tmp/dgd1", Target: "/d", ReadOnly: true, Host: &facts.HostMount{DaemonRoot: "data-root /tmp/dgd1/data"}}
	if fs := run("host-path-mount", root); len(fs) != 1 || !strings.Contains(fs[0].Message, "data-root") {
		t.Errorf("above the data-root: %v", fs)
	}
	target := facts.Mount{Type: "bind", Source: "/srv/empty", Target: "/run/docker.sock"}
	if fs := run("runtime-socket-mount", target); len(fs) != 1 {
		t.Errorf("a mount at /run/docker.sock: %v", fs)
	}
	via := facts.Mount{Type: "bind", Source: "/", Target: "/h", Host: &facts.HostMount{Via: "/srv/link"}}
	if fs := run("host-path-mount", via); len(fs) != 1 || !strings.Contains(fs[0].Message, "where /srv/link leads") {
		t.Errorf("a symlink to /: %v", fs)
	}
}
