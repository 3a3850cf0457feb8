package rules

import "testing"

// A sensitive folder is sensitive itself, not only below it, and the
// places the host runs or loads as root are in the set.
func TestSensitivePath(t *testing.T) {
	for _, p := range []string{
		"/etc/docker", "/etc/ssh", "/etc/sudoers.d", "/etc/docker/", "/etc/systemd/system", "/usr/local/sbin",
		"/usr/local", "/usr/lib/x86_64-linux-gnu", "/etc/pam.d", "/etc/profile.d", "/var/spool/cron",
		"/run/docker", "/run/docker/plugins", "/var/run/docker/containerd", "/etc/ld.so.preload", "/etc/cron.d",
	} {
		if !sensitivePath(p) {
			t.Errorf("%s is not sensitive", p)
		}
	}
	for _, p := range []string{"/srv/app", "/home/u/project", "/etc/dockerfiles", "/run/docker.sock.d", "/opt/data", "/usr/share/zoneinfo"} {
		if sensitivePath(p) {
			t.Errorf("%s is sensitive", p)
		}
	}
}
