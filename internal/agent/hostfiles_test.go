package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingHostFiles(t *testing.T) {
	root := t.TempDir()
	mk := func(p, content string) {
		t.Helper()
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := func(fs []HostFile) string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Path)
		}
		return strings.Join(out, " ")
	}
	all := "/etc/docker/daemon.json /var/lib/dpkg/status /usr/share/doc /etc/passwd /etc/group /sys/fs/selinux " + DockerdCommandLine
	if got := paths(MissingHostFiles(root)); got != all {
		t.Errorf("empty root: missing %q, want %q", got, all)
	}
	mk("/etc/docker/daemon.json", "{}")
	mk("/usr/share/doc/runc/changelog.Debian.gz", "")
	mk("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	mk("/var/lib/dpkg/status/oops", "") // a folder where a file belongs
	mk("/proc/1/cmdline", "/sbin/init\x00")
	mk("/proc/self/cmdline", "dockerd\x00") // not a pid
	mk("/proc/812/cmdline", "/usr/bin/dockerd\x00-H\x00fd://\x00")
	if got, want := paths(MissingHostFiles(root)), "/var/lib/dpkg/status /etc/group /sys/fs/selinux"; got != want {
		t.Errorf("missing %q, want %q", got, want)
	}
	if err := os.Remove(filepath.Join(root, "proc", "812", "cmdline")); err != nil {
		t.Fatal(err)
	}
	if got := paths(MissingHostFiles(root)); !strings.HasSuffix(got, DockerdCommandLine) {
		t.Errorf("no dockerd under proc, but missing %q", got)
	}
	for _, f := range append(HostFiles, dockerdFile) {
		n := hostFileNote(f)
		if !strings.HasPrefix(n, "host check not made: "+f.Path+" is not ") || !strings.Contains(n, f.Without) {
			t.Errorf("note %q", n)
		}
	}
}
