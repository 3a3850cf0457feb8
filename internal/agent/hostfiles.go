package agent

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// The live audit reads some host facts from the host's own files when the
// engine is on this machine (package host): daemon.json, dockerd's
// command line, the package records and changelogs, the user and group
// names of the API socket, the SELinux state. An agent in a container
// sees those files only when they are mounted into it, read-only, at
// their own paths (the image is FROM scratch: nothing else is there).
// The ones it cannot see are named when it starts and in every /report,
// with the checks that go without them, so that a finding such as
// "daemon-no-new-privileges-off" is not taken for the host's truth when
// it comes from dockerd's defaults.

// HostFile is one host file (or folder) the live audit reads, and what
// the audit cannot tell without it.
type HostFile struct {
	// Path is where the file is read, and where to mount it.
	Path string
	// Dir is true for a folder.
	Dir bool
	// Without says what the audit does without it.
	Without string
}

// HostFiles are the host files the live audit reads, in the order
// docs/agent.md lists them.
var HostFiles = []HostFile{
	{Path: "/etc/docker/daemon.json", Without: "daemon settings come from what the API reports; those it does not report (such as no-new-privileges and default ulimits) are taken as dockerd's defaults"},
	{Path: "/var/lib/dpkg/status", Without: "the installed engine, containerd, runc and kernel packages are unknown: the CVE checks go by the versions the API reports, without the distribution's package"},
	{Path: "/usr/share/doc", Dir: true, Without: "the packages' changelogs are unread: CVE fixes a distribution backported are not seen"},
	{Path: "/etc/passwd", Without: "the API socket's owner is named by number"},
	{Path: "/etc/group", Without: "the API socket's group is named by number"},
	{Path: "/sys/fs/selinux", Dir: true, Without: "SELinux is taken as disabled (a container does not see the host's selinuxfs unless it is mounted)"},
}

// DockerdCommandLine names dockerd's command line among the missing host
// files: a container sees the host's processes only in the host's PID
// namespace, which dockguard's deployment does not ask for.
const DockerdCommandLine = "/proc/<dockerd>/cmdline"

var dockerdFile = HostFile{Path: DockerdCommandLine, Without: "settings given as dockerd flags (not in daemon.json) are seen only through the API, and findings point at daemon.json rather than the flag"}

// MissingHostFiles returns the host files absent under root ("/" for the
// agent's own view), dockerd's command line included when no dockerd is
// found under root/proc.
func MissingHostFiles(root string) []HostFile {
	var out []HostFile
	for _, f := range HostFiles {
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil || fi.IsDir() != f.Dir {
			out = append(out, f)
		}
	}
	if !dockerdVisible(root) {
		out = append(out, dockerdFile)
	}
	return out
}

// dockerdVisible reports whether a dockerd process shows under root/proc.
func dockerdVisible(root string) bool {
	proc := filepath.Join(root, "proc")
	entries, err := os.ReadDir(proc)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(proc, e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv0, _, _ := strings.Cut(string(data), "\x00")
		if path.Base(argv0) == "dockerd" {
			return true
		}
	}
	return false
}

// InContainer reports whether this process runs in a container: Docker
// leaves /.dockerenv in every container, Podman /run/.containerenv.
func InContainer() bool {
	for _, p := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// hostFileNote is the /report note and start-up warning for one missing
// host file.
func hostFileNote(f HostFile) string {
	what := "not mounted (or absent on the host)"
	if f.Path == DockerdCommandLine {
		what = "not visible outside the host's PID namespace"
	}
	return "host check not made: " + f.Path + " is " + what + ": " + f.Without
}
