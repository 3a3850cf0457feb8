package rules

import (
	"path"
	"strings"
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
}

// sensitiveFiles are single host files that matter.
var sensitiveFiles = map[string]bool{"/etc/shadow": true, "/etc/gshadow": true, "/etc/sudoers": true, "/etc/passwd": true, "/etc/group": true, "/etc/crontab": true,
	"/etc/ld.so.preload": true, "/etc/ld.so.conf": true, "/etc/environment": true, "/etc/profile": true, "/etc/bash.bashrc": true}

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

// sensitivePath reports whether a bind source is a sensitive host path.
func sensitivePath(src string) bool {
	src = path.Clean(src)
	if sensitiveRoots[src] || sensitiveFiles[src] {
		return true
	}
	for _, p := range sensitiveUnder {
		if strings.HasPrefix(src, p) || src == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	return false
}
