package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// This file knows which host paths give a container the host when mounted.

// runtimeSockets are the sockets that hand out full control of the host.
var runtimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock",
	"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
	"/run/podman/podman.sock", "/var/run/podman/podman.sock",
	"/run/crio/crio.sock", "/var/run/crio/crio.sock",
}

var socketNames = []string{"docker.sock", "containerd.sock", "podman.sock", "crio.sock"}

// reachesSocket returns the runtime socket a bind source exposes: the
// socket itself (including rootless ones under /run/user/N), or a folder
// that holds one. "/" is left to host-root-mount.
func reachesSocket(src string) string {
	src = path.Clean(src)
	if src == "/" {
		return ""
	}
	for _, n := range socketNames {
		if path.Base(src) == n {
			return src
		}
	}
	for _, s := range runtimeSockets {
		if strings.HasPrefix(s, src+"/") {
			return s
		}
	}
	return ""
}

// sensitiveRoots are host folders that are the host when mounted whole.
var sensitiveRoots = map[string]bool{
	"/": true, "/etc": true, "/proc": true, "/sys": true, "/boot": true, "/dev": true, "/root": true,
	"/var/lib/docker": true, "/var/lib/containerd": true, "/lib/modules": true, "/usr": true, "/var": true,
	"/home": true, "/var/lib/kubelet": true, "/etc/kubernetes": true, "/lib": true, "/bin": true, "/sbin": true,
	"/usr/bin": true, "/usr/sbin": true, "/usr/lib": true, "/var/log": true, "/sys/fs/cgroup": true,
	// Above the default data-root: it holds /var/lib/docker.
	"/var/lib": true,
}

// sensitiveUnder are folders anything below which is sensitive.
// The folder itself is as sensitive as what is below it. Besides the
// daemon's and the kubelet's state: what the host runs as root at boot,
// login or on a timer (systemd units, cron, PAM, profile scripts), what
// every process loads (the loader and its libraries), and the runtimes'
// state and plugin sockets under /run.
var sensitiveUnder = []string{
	"/proc/", "/sys/", "/dev/", "/boot/", "/root/", "/var/lib/docker/", "/var/lib/containerd/", "/var/lib/kubelet/",
	"/etc/kubernetes/", "/etc/docker/", "/etc/ssh/", "/etc/sudoers.d/", "/etc/cron",
	"/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/run/systemd/", "/etc/pam.d/", "/etc/profile.d/",
	"/etc/ld.so.conf.d/", "/etc/modprobe.d/", "/etc/udev/", "/var/spool/cron/", "/usr/local/", "/lib/", "/lib64/",
	"/usr/lib/", "/usr/lib64/", "/usr/libexec/", "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/",
	"/run/docker/", "/run/containerd/", "/var/run/docker/", "/var/run/containerd/",
	// The system bus (systemd and every system service take orders on
	// it), what loads kernel modules and runs on device events, private
	// keys beside the certificates.
	"/run/dbus/", "/var/run/dbus/", "/var/lib/dbus/", "/run/udev/", "/etc/modules-load.d/", "/run/modprobe.d/",
	"/etc/ssl/private/", "/etc/pki/tls/private/",
	// All of /etc: what is not known to be safe to read is the host's
	// configuration, read and run by root (apt and logrotate hooks, init
	// scripts, backups of the shadow file, keytabs); the few files
	// containers read are roAllowed. Backups and account state elsewhere.
	"/etc/", "/var/backups/", "/var/lib/sss/", "/var/lib/private/", "/var/lib/dpkg/", "/var/lib/apt/",
	"/var/lib/rpm/", "/var/lib/systemd/", "/usr/share/polkit-1/", "/var/lib/polkit-1/",
	// Users' mail, session sockets and runtime state; debconf's answers.
	"/var/mail/", "/var/spool/mail/", "/run/user/", "/var/cache/debconf/",
	// Sensitive when writable only (roAllowed): a container that adds a
	// CA or changes the time zone changes them for the host.
	"/etc/ssl/certs/", "/etc/pki/ca-trust/", "/usr/share/ca-certificates/", "/etc/ca-certificates/",
}

// sensitiveFiles are single host files that matter.
var sensitiveFiles = map[string]bool{"/etc/shadow": true, "/etc/gshadow": true, "/etc/sudoers": true, "/etc/passwd": true, "/etc/group": true, "/etc/crontab": true,
	"/etc/ld.so.preload": true, "/etc/ld.so.conf": true, "/etc/environment": true, "/etc/profile": true, "/etc/bash.bashrc": true,
	"/etc/modules": true, "/etc/localtime": true, "/etc/timezone": true}

// roAllowed are the host files and folders containers commonly read that
// may be bound read-only: the time zone and the CA certificates.
// Writable, they are sensitive like the rest.
var roAllowed = []string{"/etc/localtime", "/etc/timezone", "/etc/ssl/certs", "/etc/pki/ca-trust", "/usr/share/ca-certificates", "/etc/ca-certificates",
	"/etc/hostname", "/etc/machine-id", "/etc/os-release", "/usr/lib/os-release", "/etc/resolv.conf", "/etc/hosts",
	// Written, polkit's rules make any local user root; read, they hold
	// nothing secret.
	"/usr/share/polkit-1"}

// homeSSH reports whether p is a user's SSH folder, something in it, or a
// home folder that holds one (/home/alice holds /home/alice/.ssh, whose
// keys let whoever reads them log in as alice elsewhere).
func homeSSH(p string) bool {
	rest, ok := strings.CutPrefix(p, "/home/")
	if !ok || rest == "" {
		return false
	}
	user, sub, _ := strings.Cut(rest, "/")
	return user != "" && (sub == "" || sub == ".ssh" || strings.HasPrefix(sub, ".ssh/"))
}

// underAny reports whether p is one of the paths or below one of them.
func underAny(p string, paths []string) bool {
	p = path.Clean(p)
	for _, q := range paths {
		q = path.Clean(q)
		if p == q || strings.HasPrefix(p, strings.TrimSuffix(q, "/")+"/") {
			return true
		}
	}
	return false
}

// sensitivePath reports whether a writable bind of src reaches a
// sensitive host path.
func sensitivePath(src string) bool { return sensitiveMount(src, false) }

// sensitiveMount reports whether a bind of src reaches a sensitive host
// path: one of the set, a path below a sensitive folder, or a folder that
// holds one (/etc/ssl holds /etc/ssl/private, /var/lib the data-root).
// Read-only, the files of roAllowed are not sensitive.
func sensitiveMount(src string, readOnly bool) bool {
	src = path.Clean(src)
	if readOnly && underAny(src, roAllowed) {
		return false
	}
	if sensitiveRoots[src] || sensitiveFiles[src] || homeSSH(src) {
		return true
	}
	for _, p := range sensitiveUnder {
		if strings.HasPrefix(src, p) || src == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	holds := func(p string) bool {
		p = strings.TrimSuffix(p, "/")
		return strings.HasPrefix(p, strings.TrimSuffix(src, "/")+"/") && !(readOnly && underAny(p, roAllowed))
	}
	for p := range sensitiveRoots {
		if holds(p) {
			return true
		}
	}
	for p := range sensitiveFiles {
		if holds(p) {
			return true
		}
	}
	for _, p := range sensitiveUnder {
		// "/etc/cron" is a prefix (cron.d, cron.daily), not a folder.
		if strings.HasSuffix(p, "/") && holds(p) {
			return true
		}
	}
	return false
}

// dockerSocketTargets are where clients look for the Docker socket: a
// mount there is meant to be the engine's API, whatever its source.
var dockerSocketTargets = map[string]bool{"/var/run/docker.sock": true, "/run/docker.sock": true}

// mountSocket says what runtime socket a mount reaches ("" for none):
// the daemon's own socket as the host showed it (m.Host, by inode, under
// any name or through a folder that holds it), a runtime socket by name
// or a folder holding one by path, or a mount at the Docker socket's
// usual place in the container. proxy is set when the source is a
// dockguard proxy's socket instead (proxy-socket-mount's).
func mountSocket(m facts.Mount) (msg string, proxy bool) {
	if h := m.Host; h != nil {
		switch h.Socket {
		case "proxy":
			return "", true
		case "engine":
			switch {
			case h.Holds:
				return fmt.Sprintf("mounts %s%s at %s, which holds the daemon's socket %s", m.Source, via(m), m.Target, h.SocketPath), false
			case path.Clean(m.Source) == h.SocketPath:
				return fmt.Sprintf("mounts the runtime socket %s%s at %s", m.Source, via(m), m.Target), false
			}
			return fmt.Sprintf("mounts %s%s at %s, which is the daemon's socket %s", m.Source, via(m), m.Target, h.SocketPath), false
		}
	}
	if m.Type == "bind" {
		if s := reachesSocket(m.Source); s != "" {
			if s == path.Clean(m.Source) {
				return fmt.Sprintf("mounts the runtime socket %s%s at %s", s, via(m), m.Target), false
			}
			return fmt.Sprintf("mounts %s%s at %s, which holds the runtime socket %s", m.Source, via(m), m.Target, s), false
		}
	}
	if (m.Type == "bind" || m.Type == "volume") && dockerSocketTargets[path.Clean(m.Target)] {
		return fmt.Sprintf("mounts %s at %s, where clients find the Docker socket", m.Source, m.Target), false
	}
	return "", false
}

// via names the path as written when the mount is where it leads.
func via(m facts.Mount) string {
	if m.Host != nil && m.Host.Via != "" {
		return " (where " + m.Host.Via + " leads)"
	}
	return ""
}
