package host_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/system"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/host"
)

// testdata/info-*.json and version-default.json are what Debian 12's
// docker.io 20.10.24 daemon answered (the CI machine's), default and with
// userns-remap, no-new-privileges, icc false, live-restore and a nofile
// default ulimit in daemon.json.
func load(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func apiFacts(t *testing.T, infoFile string) (system.Info, system.VersionResponse) {
	var info system.Info
	var ver system.VersionResponse
	load(t, infoFile, &info)
	load(t, "version-default.json", &ver)
	return info, ver
}

const engine = "unix:///run/dgtest.sock"

func TestFromEngineRemote(t *testing.T) {
	info, ver := apiFacts(t, "info-default.json")
	h := host.FromEngine("tcp://10.0.0.5:2376", info, ver, nil)
	if h.Local {
		t.Error("remote host marked local")
	}
	if h.Subject.Kind != facts.SubjectHost || h.Subject.Host != "tcp://10.0.0.5:2376" || h.Subject.Name != "vm" {
		t.Errorf("subject %+v", h.Subject)
	}
	checkSet(t, "kernel", h.KernelVersion, "6.18.44-fc-v669", facts.Location{Engine: "tcp://10.0.0.5:2376", Object: "daemon", Field: "KernelVersion"})
	checkSet(t, "engine", h.EngineVersion, "20.10.24+dfsg1", facts.Location{Engine: "tcp://10.0.0.5:2376", Object: "daemon", Field: "Version.Components[Engine].Version"})
	checkSet(t, "containerd", h.ContainerdVersion, "1.6.20~ds1", facts.Location{Engine: "tcp://10.0.0.5:2376", Object: "daemon", Field: "Version.Components[containerd].Version"})
	// The CI machine's default runtime is a runc wrapper named runc-nosysres.
	checkSet(t, "runc", h.RuncVersion, "1.1.5+ds1", facts.Location{Engine: "tcp://10.0.0.5:2376", Object: "daemon", Field: "Version.Components[runc-nosysres].Version"})
	for _, c := range []string{"engine", "containerd", "runc"} {
		if h.Builds[c] != facts.BuildDistribution {
			t.Errorf("%s build %q, want distribution", c, h.Builds[c])
		}
	}
	sec := facts.Location{Engine: "tcp://10.0.0.5:2376", Object: "daemon", Field: "SecurityOptions"}
	checkSet(t, "seccomp", h.SeccompProfile, "default", sec)
	checkSet(t, "userns", h.UsernsRemap, "", sec)
	checkSet(t, "apparmor", h.AppArmorEnabled, false, sec)
	checkSet(t, "rootless", h.Rootless, false, sec)
	if !h.NoNewPrivileges.IsUnknown() {
		t.Errorf("no-new-privileges %+v: 20.10 does not list it, so it is unknown", h.NoNewPrivileges)
	}
	for name, v := range map[string]facts.State{"icc": h.ICC.State, "userland-proxy": h.UserlandProxy.State, "socket": h.SocketMode.State, "selinux": h.SELinuxMode.State} {
		if v != facts.Unknown {
			t.Errorf("%s: %v, want unknown for a remote engine", name, v)
		}
	}
	if len(h.Listeners) != 0 {
		t.Errorf("listeners %+v", h.Listeners)
	}
	host.RecordReach(h, "tcp://10.0.0.5:2376", false, false)
	if len(h.Listeners) != 1 || h.Listeners[0].TLSVerify {
		t.Errorf("plain-TCP reach not recorded: %+v", h.Listeners)
	}
	host.RecordReach(h, "tcp://10.0.0.6:2376", true, true)
	if len(h.Listeners) != 1 {
		t.Errorf("a client-certificate reach was recorded: %+v", h.Listeners)
	}
}

func TestFromEngineHardenedAPI(t *testing.T) {
	info, ver := apiFacts(t, "info-hardened.json")
	h := host.FromEngine(engine, info, ver, nil)
	if h.UsernsRemap.V == "" || !h.LiveRestore.V {
		t.Errorf("userns %+v live-restore %+v", h.UsernsRemap, h.LiveRestore)
	}
}

func TestFromEngineUpstreamBuild(t *testing.T) {
	info := system.Info{KernelVersion: "5.15.0", SecurityOptions: []string{"name=seccomp,profile=builtin", "name=no-new-privileges", "name=cgroupns"},
		DefaultRuntime: "runc", Plugins: system.PluginsInfo{Authorization: []string{"opa"}}}
	ver := system.VersionResponse{Platform: system.PlatformInfo{Name: "Docker Engine - Community"}, Version: "27.1.0",
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: "27.1.0"},
			{Name: "containerd", Version: "1.7.19", Details: map[string]string{"GitCommit": "2bf793ef6dc9a18e00cb12efb64355c2c9d5eb41"}},
			{Name: "runc", Version: "1.1.13", Details: map[string]string{"GitCommit": "v1.1.13-0-g58aa920"}},
		}}
	h := host.FromEngine(engine, info, ver, nil)
	for _, c := range []string{"engine", "containerd", "runc"} {
		if h.Builds[c] != facts.BuildUpstream {
			t.Errorf("%s build %q, want upstream", c, h.Builds[c])
		}
	}
	if !h.NoNewPrivileges.IsSet() || !h.NoNewPrivileges.V || !h.CgroupNamespaces.V || h.SeccompProfile.V != "builtin" {
		t.Errorf("security options: nnp %+v cgroupns %+v seccomp %+v", h.NoNewPrivileges, h.CgroupNamespaces, h.SeccompProfile)
	}
	if len(h.AuthorizationPlugins) != 1 || h.AuthorizationPluginsAt.Field != "Plugins.Authorization" {
		t.Errorf("authz %v at %v", h.AuthorizationPlugins, h.AuthorizationPluginsAt)
	}
	// Another default runtime: its version is not runc's.
	info.DefaultRuntime = "crun"
	info.Runtimes = map[string]system.RuntimeWithStatus{}
	ver.Components[2].Name = "crun"
	h = host.FromEngine(engine, info, ver, nil)
	if !h.RuncVersion.IsUnknown() || !strings.Contains(h.RuncVersion.Why, "crun") {
		t.Errorf("runc %+v", h.RuncVersion)
	}
}

func checkSet[T comparable](t *testing.T, name string, v facts.Value[T], want T, at facts.Location) {
	t.Helper()
	if !v.IsSet() || v.V != want || v.At != at {
		t.Errorf("%s: %+v, want %v at %v", name, v, want, at)
	}
}

// fakeHost lays out a host's files under a temporary root.
type fakeHost struct {
	t    *testing.T
	root string
}

func newFakeHost(t *testing.T) *fakeHost { return &fakeHost{t: t, root: t.TempDir()} }

func (f *fakeHost) write(p string, data []byte, mode os.FileMode) {
	f.t.Helper()
	full := filepath.Join(f.root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(full, data, mode); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeHost) dockerd(pid string, args ...string) {
	f.write("/proc/"+pid+"/cmdline", []byte(strings.Join(append([]string{"/usr/bin/dockerd"}, args...), "\x00")+"\x00"), 0o644)
}

func (f *fakeHost) changelog(pkg, text string) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	zw.Close()
	f.write("/usr/share/doc/"+pkg+"/changelog.Debian.gz", buf.Bytes(), 0o644)
}

const daemonJSON = `{
  "icc": false,
  "userns-remap": "default",
  "no-new-privileges": true,
  "live-restore": true,
  "default-ulimits": {
    "nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}
  },
  "hosts": ["unix:///var/run/docker.sock"]
}
`

const dpkgStatus = `Package: docker.io
Status: install ok installed
Version: 20.10.24+dfsg1-1+deb12u1+b6

Package: runc
Status: install ok installed
Version: 1.1.5+ds1-1+deb12u1

Package: containerd
Status: deinstall ok config-files
Version: 1.6.20~ds1-1+deb12u3

Package: linux-image-6.1.0-28-amd64
Status: install ok installed
Version: 6.1.119-1

Package: vim
Status: install ok installed
Version: 2:9.0.1378-2
`

func TestFromEngineLocal(t *testing.T) {
	f := newFakeHost(t)
	// Two daemons: dockguard must read the one serving the engine's socket.
	f.dockerd("100", "-H", "unix:///run/other.sock", "--icc=true")
	f.dockerd("200", "--config-file", "/srv/docker/daemon.json", "-H", "unix:///run/dgtest.sock",
		"-H", "tcp://0.0.0.0:2375", "--userland-proxy=false", "--default-ulimit", "nproc=512:1024", "--data-root", "/srv/docker")
	f.write("/proc/300/cmdline", []byte("/usr/bin/containerd\x00"), 0o644)
	f.write("/srv/docker/daemon.json", []byte(daemonJSON), 0o644)
	f.write("/sys/fs/selinux/enforce", []byte("1\n"), 0o644)
	f.write("/var/lib/dpkg/status", []byte(dpkgStatus), 0o644)
	f.changelog("docker.io", "docker.io (20.10.24+dfsg1-1+deb12u1) bookworm; urgency=high\n\n  * Fix CVE-2024-41110: Authz zero length regression\n")
	f.changelog("runc", "runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n\n  * CVE-2024-21626: several container breakouts\n")
	f.write("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	f.write("/etc/group", []byte("root:x:0:\ndocker:x:998:\n"), 0o644)
	sock := filepath.Join(f.root, "run", "dgtest.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("cannot create a unix socket: %v", err)
	}
	defer l.Close()
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}

	info, ver := apiFacts(t, "info-hardened.json")
	info.KernelVersion = "6.1.0-28-amd64"
	h := host.FromEngine(engine, info, ver, &host.Local{Root: f.root})
	if !h.Local {
		t.Error("not local")
	}
	cmdline := "/proc/200/cmdline"
	cfg := "/srv/docker/daemon.json"
	checkSet(t, "icc", h.ICC, false, facts.FileAt(cfg, 2))
	checkSet(t, "userns", h.UsernsRemap, "default", facts.FileAt(cfg, 3))
	checkSet(t, "nnp", h.NoNewPrivileges, true, facts.FileAt(cfg, 4))
	checkSet(t, "live-restore", h.LiveRestore, true, facts.FileAt(cfg, 5))
	checkSet(t, "userland-proxy", h.UserlandProxy, false, facts.Location{Path: cmdline, Line: 1, Column: col(t, f, "200", "--userland-proxy=false")})
	checkSet(t, "selinux mode", h.SELinuxMode, "enforcing", facts.Location{Path: "/sys/fs/selinux/enforce"})
	checkSet(t, "apparmor", h.HostAppArmor, false, facts.Location{Path: "/sys/module/apparmor/parameters/enabled"})
	checkSet(t, "socket mode", h.SocketMode, uint32(0o666), facts.Location{Path: "/run/dgtest.sock"})
	if !h.SocketOwner.IsSet() || !strings.HasSuffix(h.SocketOwner.V, ":"+groupOf(t, sock)) {
		t.Errorf("socket owner %+v", h.SocketOwner)
	}

	var got []string
	for _, u := range h.DefaultUlimits {
		got = append(got, u.Name+"@"+u.At.String())
	}
	want := []string{"nproc@" + (facts.Location{Path: cmdline, Line: 1, Column: col(t, f, "200", "nproc=512:1024")}).String(), "nofile@" + cfg + ":7"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ulimits %v, want %v", got, want)
	}

	if len(h.Listeners) != 2 {
		t.Fatalf("listeners %+v", h.Listeners)
	}
	if l := h.Listeners[1]; l.Address != "tcp://0.0.0.0:2375" || l.TLSVerify || l.At.Path != cmdline {
		t.Errorf("tcp listener %+v", l)
	}

	if h.Packages["docker.io"] != "20.10.24+dfsg1-1+deb12u1+b6" || h.Packages["linux-image-6.1.0-28-amd64"] != "6.1.119-1" {
		t.Errorf("packages %v", h.Packages)
	}
	if _, ok := h.Packages["containerd"]; ok {
		t.Error("a removed package counted as installed")
	}
	if _, ok := h.Packages["vim"]; ok {
		t.Error("unrelated packages read")
	}
	if h.ComponentPackages["engine"] != "docker.io" || h.ComponentPackages["runc"] != "runc" || h.ComponentPackages["kernel"] != "linux-image-6.1.0-28-amd64" {
		t.Errorf("component packages %v", h.ComponentPackages)
	}
	if !h.PackageCVEs["docker.io"]["CVE-2024-41110"] || !h.PackageCVEs["runc"]["CVE-2024-21626"] || h.PackageCVEs["runc"]["CVE-2024-41110"] {
		t.Errorf("changelog CVEs %v", h.PackageCVEs)
	}
	if h.Builds["engine"] != facts.BuildDistribution {
		t.Errorf("engine build %q", h.Builds["engine"])
	}
}

// col is the 1-based column of an argument in the fake cmdline.
func col(t *testing.T, f *fakeHost, pid, arg string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.root, "proc", pid, "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("\x00"+arg+"\x00"))
	if i < 0 {
		t.Fatalf("%s not in cmdline", arg)
	}
	return i + 2
}

// groupOf is the name the fake /etc/group gives the test's group, which
// owns the socket it created.
func groupOf(t *testing.T, p string) string {
	t.Helper()
	switch gid := os.Getegid(); gid {
	case 0:
		return "root"
	case 998:
		return "docker"
	default:
		return strconv.Itoa(gid)
	}
}

func TestFromEngineLocalDefaults(t *testing.T) {
	f := newFakeHost(t)
	f.dockerd("42")
	f.write("/sys/module/apparmor/parameters/enabled", []byte("Y\n"), 0o644)
	info, ver := apiFacts(t, "info-default.json")
	h := host.FromEngine(host.DefaultSocket, info, ver, &host.Local{Root: f.root})
	if h.ICC.State != facts.Unset || !strings.Contains(h.ICC.Why, "icc true") {
		t.Errorf("icc %+v", h.ICC)
	}
	if h.NoNewPrivileges.State != facts.Unset {
		t.Errorf("nnp %+v: unset locally when neither file nor flag sets it", h.NoNewPrivileges)
	}
	if len(h.Listeners) != 1 || h.Listeners[0].Address != host.DefaultSocket {
		t.Errorf("listeners %+v", h.Listeners)
	}
	if h.SocketMode.State != facts.Unknown {
		t.Errorf("socket %+v: the fake host has none", h.SocketMode)
	}
	checkSet(t, "apparmor", h.HostAppArmor, true, facts.Location{Path: "/sys/module/apparmor/parameters/enabled"})
	checkSet(t, "selinux", h.SELinuxMode, "disabled", facts.Location{Path: "/sys/fs/selinux/enforce"})
	if h.Packages != nil {
		t.Errorf("packages %v without dpkg records", h.Packages)
	}
}

func TestFromEngineTLSVerify(t *testing.T) {
	for name, tc := range map[string]struct {
		args   []string
		env    string
		config string
		verify bool
	}{
		"flag":        {args: []string{"-H=tcp://0.0.0.0:2376", "--tlsverify"}, verify: true},
		"tls only":    {args: []string{"-Htcp://0.0.0.0:2376", "--tls"}},
		"config":      {args: []string{"--host", "tcp://0.0.0.0:2376"}, config: `{"tlsverify": true}`, verify: true},
		"environment": {args: []string{"--host", "tcp://0.0.0.0:2376"}, env: "DOCKER_TLS_VERIFY=1\x00PATH=/bin\x00", verify: true},
		"hosts key":   {config: `{"hosts": ["tcp://0.0.0.0:2376", "unix:///var/run/docker.sock"]}`},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeHost(t)
			f.dockerd("7", tc.args...)
			if tc.env != "" {
				f.write("/proc/7/environ", []byte(tc.env), 0o600)
			}
			if tc.config != "" {
				f.write("/etc/docker/daemon.json", []byte(tc.config), 0o644)
			}
			info, ver := apiFacts(t, "info-default.json")
			h := host.FromEngine("tcp://0.0.0.0:2376", info, ver, &host.Local{Root: f.root, PID: 7})
			var tcp *facts.Listener
			for i := range h.Listeners {
				if strings.HasPrefix(h.Listeners[i].Address, "tcp://") {
					tcp = &h.Listeners[i]
				}
			}
			if tcp == nil || tcp.TLSVerify != tc.verify {
				t.Errorf("listeners %+v, want tls verify %v", h.Listeners, tc.verify)
			}
		})
	}
}

func TestSetBridgeICC(t *testing.T) {
	h := &facts.Host{}
	host.SetBridgeICC(h, engine, map[string]string{"com.docker.network.bridge.enable_icc": "false"})
	if !h.ICC.IsSet() || h.ICC.V || h.ICC.At.Object != "network bridge" {
		t.Errorf("icc %+v", h.ICC)
	}
	h.ICC = facts.SetAt(false, facts.FileAt("/etc/docker/daemon.json", 2))
	host.SetBridgeICC(h, engine, map[string]string{"com.docker.network.bridge.enable_icc": "false"})
	if h.ICC.At.Path == "" {
		t.Errorf("the file location was replaced: %+v", h.ICC)
	}
	host.SetBridgeICC(h, engine, map[string]string{"com.docker.network.bridge.enable_icc": "true"})
	if !h.ICC.V {
		t.Errorf("the engine's effective value does not win: %+v", h.ICC)
	}
}

func TestBadDaemonJSON(t *testing.T) {
	f := newFakeHost(t)
	f.dockerd("9")
	f.write("/etc/docker/daemon.json", []byte("{\"icc\": false,\n"), 0o644)
	info, ver := apiFacts(t, "info-default.json")
	h := host.FromEngine(host.DefaultSocket, info, ver, &host.Local{Root: f.root})
	if h.ICC.IsSet() {
		t.Errorf("icc %+v read from a broken file", h.ICC)
	}
}
