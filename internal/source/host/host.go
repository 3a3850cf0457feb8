// Package host turns a Docker host into the Host fact: what its engine
// reports through the API (/info and /version: kernel, versions, security
// options, authorization plugins) and, when the engine runs on this
// machine, what only its files show: daemon.json and the dockerd command
// line, the API socket's owner and mode, SELinux and AppArmor state, and
// the package manager's records of the installed engine, runtimes and
// kernel with the CVEs their changelogs record as fixed.
//
// Every value carries where it was read: an engine field for API values
// ({Engine, Object: "daemon", Field}), a file and line for daemon.json
// keys, the argument's column in /proc/<pid>/cmdline for dockerd flags.
package host

import (
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/system"

	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/facts"
)

// Local reads the files of the machine the engine runs on. Pass it to
// FromEngine only when the engine is this machine's (a unix socket here);
// nil means a remote engine, whose files cannot be seen.
type Local struct {
	// Root is the folder the host's filesystem is read under: "/" (the
	// default) on a real host, a laid-out folder in tests.
	Root string
	// PID is the dockerd process serving the engine; 0 finds it under
	// Root/proc: the dockerd listening on the engine's unix socket.
	PID int
}

// DefaultConfigFile is where dockerd reads daemon.json unless
// --config-file says otherwise.
const DefaultConfigFile = "/etc/docker/daemon.json"

// DefaultSocket is dockerd's API socket unless -H says otherwise.
const DefaultSocket = "unix:///var/run/docker.sock"

// FromEngine builds the Host fact of one engine from its /info and
// /version answers, and from the host's files when local is not nil.
// engine is the address the engine was reached at (unix:///var/run/docker.sock,
// tcp://10.0.0.5:2376); it names the host in findings.
func FromEngine(engine string, info system.Info, ver system.VersionResponse, local *Local) *facts.Host {
	b := &builder{engine: engine, info: info, ver: ver}
	name := engine
	if info.Name != "" {
		name = info.Name
	}
	h := &facts.Host{
		Subject: facts.Subject{Kind: facts.SubjectHost, Name: name, Host: engine},
		Origin:  facts.Location{Engine: engine, Object: "daemon"},
		Local:   local != nil,
		Builds:  map[string]string{},
	}
	b.h = h
	b.fromAPI()
	if local != nil {
		b.fromFiles(local)
	} else {
		b.remote()
	}
	return h
}

// SetBridgeICC records the default bridge network's
// com.docker.network.bridge.enable_icc option, as the engine reports it
// (GET /networks/bridge): the effective inter-container communication
// setting, which wins over daemon.json and the command line.
func SetBridgeICC(h *facts.Host, engine string, options map[string]string) {
	const key = "com.docker.network.bridge.enable_icc"
	v, ok := options[key]
	if !ok {
		return
	}
	on, ok := parseBool(v)
	if !ok {
		return
	}
	at := facts.Location{Engine: engine, Object: "network bridge", Field: "Options[" + key + "]"}
	if h.ICC.IsSet() && h.ICC.V == on && h.ICC.At.Path != "" {
		return // the file that set it is the better place to point at
	}
	h.ICC = facts.SetAt(on, at)
}

type builder struct {
	engine string
	info   system.Info
	ver    system.VersionResponse
	h      *facts.Host

	// What the engine's security options say; nil when it lists none of
	// them at all.
	secopts map[string]map[string]string

	root    string
	cmd     *commandLine
	cfg     *daemonConfig
	environ map[string]string
}

func (b *builder) api(field string) facts.Location {
	return facts.Location{Engine: b.engine, Object: "daemon", Field: field}
}

func (b *builder) fromAPI() {
	h, info, ver := b.h, b.info, b.ver
	kernel := info.KernelVersion
	field := "KernelVersion"
	if kernel == "" {
		kernel, field = ver.KernelVersion, "Version.KernelVersion"
	}
	if kernel != "" {
		h.KernelVersion = facts.SetAt(kernel, b.api(field))
	} else {
		h.KernelVersion = facts.UnknownBecause[string](b.api("KernelVersion"), "the engine does not report its kernel")
	}
	if info.OperatingSystem != "" {
		h.Distribution = facts.SetAt(info.OperatingSystem, b.api("OperatingSystem"))
	}
	if ver.APIVersion != "" {
		h.APIVersion = facts.SetAt(ver.APIVersion, b.api("Version.ApiVersion"))
	}

	// Versions: /version's components, else the older top-level fields.
	engineVersion, engineField := ver.Version, "Version.Version"
	var containerd, runc *system.ComponentVersion
	for i := range ver.Components {
		c := &ver.Components[i]
		switch {
		case c.Name == "Engine":
			if c.Version != "" {
				engineVersion, engineField = c.Version, "Version.Components[Engine].Version"
			}
		case c.Name == "containerd":
			containerd = c
		case c.Name == "docker-init":
		case runc == nil && isRuncRuntime(c.Name, info):
			runc = c
		}
	}
	if engineVersion == "" {
		engineVersion, engineField = info.ServerVersion, "ServerVersion"
	}
	if engineVersion != "" {
		h.EngineVersion = facts.SetAt(engineVersion, b.api(engineField))
		if strings.Contains(ver.Platform.Name, "Docker Engine - Community") || strings.Contains(ver.Platform.Name, "Docker Desktop") {
			h.Builds["engine"] = facts.BuildUpstream
		} else if cves.DistributionBuild(engineVersion) {
			h.Builds["engine"] = facts.BuildDistribution
		}
	} else {
		h.EngineVersion = facts.UnknownBecause[string](b.api("Version"), "the engine does not report its version")
	}
	if containerd != nil && containerd.Version != "" {
		h.ContainerdVersion = facts.SetAt(containerd.Version, b.api("Version.Components[containerd].Version"))
		if build := commitBuild(containerd.Version, containerd.Details["GitCommit"]); build != "" {
			h.Builds["containerd"] = build
		}
	} else {
		h.ContainerdVersion = facts.UnknownBecause[string](b.api("Version.Components"), "the engine does not report containerd's version")
	}
	if runc != nil && runc.Version != "" {
		h.RuncVersion = facts.SetAt(runc.Version, b.api("Version.Components["+runc.Name+"].Version"))
		if build := commitBuild(runc.Version, runc.Details["GitCommit"]); build != "" {
			h.Builds["runc"] = build
		}
	} else {
		why := "the engine does not report runc's version"
		if info.DefaultRuntime != "" && !isRuncRuntime(info.DefaultRuntime, info) {
			why = "the default runtime is " + info.DefaultRuntime + ", not runc"
		}
		h.RuncVersion = facts.UnknownBecause[string](b.api("Version.Components"), why)
	}

	h.AuthorizationPlugins = append([]string(nil), info.Plugins.Authorization...)
	h.AuthorizationPluginsAt = b.api("Plugins.Authorization")
	h.LiveRestore = facts.SetAt(info.LiveRestoreEnabled, b.api("LiveRestoreEnabled"))
	if info.DefaultRuntime != "" {
		h.DefaultRuntime = facts.SetAt(info.DefaultRuntime, b.api("DefaultRuntime"))
	}

	// Security options: name=seccomp,profile=default; name=apparmor;
	// name=selinux; name=userns; name=rootless; name=cgroupns;
	// name=no-new-privileges.
	b.secopts = map[string]map[string]string{}
	for _, opt := range info.SecurityOptions {
		kv := map[string]string{}
		for _, part := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(part, "=")
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if n := kv["name"]; n != "" {
			b.secopts[n] = kv
		}
	}
	at := b.api("SecurityOptions")
	_, has := b.secopts["seccomp"]
	if has {
		h.SeccompProfile = facts.SetAt(b.secopts["seccomp"]["profile"], at)
	} else {
		h.SeccompProfile = facts.UnknownBecause[string](at, "the engine lists no seccomp support")
	}
	_, has = b.secopts["apparmor"]
	h.AppArmorEnabled = facts.SetAt(has, at)
	_, has = b.secopts["selinux"]
	h.SELinuxEnabled = facts.SetAt(has, at)
	_, has = b.secopts["rootless"]
	h.Rootless = facts.SetAt(has, at)
	_, has = b.secopts["cgroupns"]
	h.CgroupNamespaces = facts.SetAt(has, at)
	if _, has = b.secopts["userns"]; has {
		h.UsernsRemap = facts.SetAt("enabled", at)
	} else {
		h.UsernsRemap = facts.SetAt("", at)
	}
	if _, has = b.secopts["no-new-privileges"]; has {
		h.NoNewPrivileges = facts.SetAt(true, at)
	} else {
		// Older engines never list it, so its absence proves nothing.
		h.NoNewPrivileges = facts.UnknownBecause[bool](at, "the engine does not list no-new-privileges among its security options (engines before Docker 23 never do)")
	}
}

// notVisible is why a daemon setting of a remote engine is unknown.
const notVisible = "not visible through the Engine API; run dockguard on the Docker host to read daemon.json and the dockerd command line"

// remote marks what only the host's files could tell.
func (b *builder) remote() {
	h := b.h
	at := b.api("")
	h.ICC = facts.UnknownBecause[bool](at, notVisible)
	h.UserlandProxy = facts.UnknownBecause[bool](at, notVisible)
	h.SocketMode = facts.UnknownBecause[uint32](at, notVisible)
	h.SocketOwner = facts.UnknownBecause[string](at, notVisible)
	h.SELinuxMode = facts.UnknownBecause[string](at, notVisible)
	h.HostAppArmor = facts.UnknownBecause[bool](at, notVisible)
}

// RecordReach records how dockguard itself reached a TCP engine: a daemon
// that answered over plain TCP, or over TLS without a client certificate,
// lets anyone who can reach the port in. Connections that presented a
// client certificate prove nothing and add nothing.
func RecordReach(h *facts.Host, address string, usedTLS, usedClientCert bool) {
	if !strings.HasPrefix(address, "tcp://") || (usedTLS && usedClientCert) {
		return
	}
	for _, l := range h.Listeners {
		if l.Address == address && !l.TLSVerify {
			return
		}
	}
	how := "plain TCP"
	if usedTLS {
		how = "TLS without a client certificate"
	}
	h.Listeners = append(h.Listeners, facts.Listener{Address: address, TLSVerify: false,
		At: facts.Location{Engine: address, Object: "daemon", Field: "answered over " + how}})
}

// fromFiles reads the host's own files.
func (b *builder) fromFiles(l *Local) {
	b.root = l.Root
	if b.root == "" {
		b.root = "/"
	}
	pid := l.PID
	if pid == 0 {
		pid = b.findDockerd()
	}
	if pid > 0 {
		p := "/proc/" + strconv.Itoa(pid) + "/cmdline"
		if data, err := os.ReadFile(hostPath(b.root, p)); err == nil {
			b.cmd = parseCommandLine(p, data)
		}
		if data, err := os.ReadFile(hostPath(b.root, "/proc/"+strconv.Itoa(pid)+"/environ")); err == nil {
			b.environ = parseEnviron(data)
		}
	}
	cfgPath := DefaultConfigFile
	if fv, ok := b.cmd.last("config-file"); ok && fv.Value != "" {
		cfgPath = fv.Value
	}
	if data, err := readCapped(hostPath(b.root, cfgPath), maxConfigSize); err == nil {
		if cfg, err := parseDaemonConfig(cfgPath, data); err == nil {
			b.cfg = cfg
		}
	}
	b.settings()
	b.listeners()
	b.macState()
	b.packages()
}

// findDockerd finds the dockerd that serves the engine's socket: the one
// whose -H names it, or, for the default socket, one without -H.
func (b *builder) findDockerd() int {
	entries, err := os.ReadDir(hostPath(b.root, "/proc"))
	if err != nil {
		return 0
	}
	want := strings.TrimPrefix(b.engine, "unix://")
	fallback := 0
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid)
		data, err := os.ReadFile(hostPath(b.root, dir+"/cmdline"))
		if err != nil || len(data) == 0 {
			continue
		}
		argv0, _, _ := strings.Cut(string(data), "\x00")
		if path.Base(argv0) != "dockerd" {
			continue
		}
		cmd := parseCommandLine(dir+"/cmdline", data)
		hosts := cmd.get("host")
		if len(hosts) == 0 {
			if want == "" || want == strings.TrimPrefix(DefaultSocket, "unix://") || want == "/run/docker.sock" {
				fallback = pid
			}
			continue
		}
		for _, hv := range hosts {
			if a := strings.TrimPrefix(hv.Value, "unix://"); a == want || hv.Value == b.engine {
				return pid
			}
		}
	}
	return fallback
}

func parseEnviron(data []byte) map[string]string {
	env := map[string]string{}
	for _, kv := range strings.Split(string(data), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// flagAt locates a dockerd argument: its column in /proc/<pid>/cmdline
// (the NUL-separated argv read as one line).
func (b *builder) flagAt(fv flagValue) facts.Location {
	return facts.Location{Path: b.cmd.Path, Line: 1, Column: fv.Offset + 1}
}

func (b *builder) cfgAt(key string) facts.Location {
	return facts.FileAt(b.cfg.Path, b.cfg.line(key))
}

// boolSetting reads a boolean daemon setting from the command line, then
// daemon.json. ok is false when neither sets it.
func (b *builder) boolSetting(flag, key string) (facts.Value[bool], bool) {
	if fv, ok := b.cmd.last(flag); ok {
		if v, ok := parseBool(fv.Value); ok {
			return facts.SetAt(v, b.flagAt(fv)), true
		}
	}
	if v, ok := b.cfg.bool(key); ok {
		return facts.SetAt(v, b.cfgAt(key)), true
	}
	return facts.Value[bool]{}, false
}

func (b *builder) stringSetting(flag, key string) (facts.Value[string], bool) {
	if fv, ok := b.cmd.last(flag); ok {
		return facts.SetAt(fv.Value, b.flagAt(fv)), true
	}
	if v, ok := b.cfg.string(key); ok {
		return facts.SetAt(v, b.cfgAt(key)), true
	}
	return facts.Value[string]{}, false
}

func (b *builder) defaultAt() facts.Location {
	if b.cfg != nil {
		return facts.Location{Path: b.cfg.Path}
	}
	if b.cmd != nil {
		return facts.Location{Path: b.cmd.Path}
	}
	return facts.Location{Path: DefaultConfigFile}
}

func unsetBecause[T any](at facts.Location, why string) facts.Value[T] {
	return facts.Value[T]{State: facts.Unset, At: at, Why: why}
}

// settings merges the files' daemon settings with what the API reported.
// The API says what the running daemon does; the files say where it was
// set, which is the better place to point a finding at.
func (b *builder) settings() {
	h := b.h
	if v, ok := b.boolSetting("icc", "icc"); ok {
		h.ICC = v
	} else {
		h.ICC = unsetBecause[bool](b.defaultAt(), "dockerd's default: icc true")
	}
	if v, ok := b.boolSetting("userland-proxy", "userland-proxy"); ok {
		h.UserlandProxy = v
	} else {
		h.UserlandProxy = unsetBecause[bool](b.defaultAt(), "dockerd's default: userland-proxy true")
	}
	if v, ok := b.boolSetting("no-new-privileges", "no-new-privileges"); ok {
		if !h.NoNewPrivileges.IsSet() || h.NoNewPrivileges.V == v.V {
			h.NoNewPrivileges = v
		}
	} else if !h.NoNewPrivileges.IsSet() {
		h.NoNewPrivileges = unsetBecause[bool](b.defaultAt(), "dockerd's default: no-new-privileges false")
	}
	if v, ok := b.boolSetting("live-restore", "live-restore"); ok && v.V == h.LiveRestore.V {
		h.LiveRestore.At = v.At
	}
	if v, ok := b.boolSetting("selinux-enabled", "selinux-enabled"); ok {
		if v.V == h.SELinuxEnabled.V {
			h.SELinuxEnabled.At = v.At
		} else if v.V {
			// Asked for but not in effect (the host has no SELinux):
			// the API's word stands.
			h.SELinuxEnabled.Why = "selinux-enabled is set at " + v.At.String() + " but the daemon does not report SELinux support"
		}
	} else if !h.SELinuxEnabled.V {
		h.SELinuxEnabled.Why = "dockerd's default: selinux-enabled false"
	}
	if v, ok := b.stringSetting("seccomp-profile", "seccomp-profile"); ok {
		switch {
		case !h.SeccompProfile.IsSet():
			h.SeccompProfile = v
		case (v.V == "unconfined") == (h.SeccompProfile.V == "unconfined"):
			// The engine names the profile its way (default, builtin,
			// a path); the file is where it is set.
			h.SeccompProfile.At = v.At
		}
	}
	if v, ok := b.stringSetting("userns-remap", "userns-remap"); ok && v.V != "" {
		if h.UsernsRemap.V != "" {
			h.UsernsRemap = v
		} else {
			h.UsernsRemap.Why = "userns-remap is set at " + v.At.String() + " but the running daemon does not remap (restart it)"
		}
	}
	if h.UsernsRemap.V == "" && h.UsernsRemap.Why == "" {
		h.UsernsRemap.Why = "dockerd's default: no user-namespace remapping"
	}
	if len(h.AuthorizationPlugins) > 0 {
		if fvs := b.cmd.get("authorization-plugin"); len(fvs) > 0 {
			h.AuthorizationPluginsAt = b.flagAt(fvs[0])
		} else if b.cfg.has("authorization-plugins") {
			h.AuthorizationPluginsAt = b.cfgAt("authorization-plugins")
		}
	}
	b.ulimits()
}

// ulimits reads --default-ulimit nofile=1024:2048 and daemon.json's
// default-ulimits.
func (b *builder) ulimits() {
	h := b.h
	for _, fv := range b.cmd.get("default-ulimit") {
		if u, ok := parseUlimit(fv.Value); ok {
			u.At = b.flagAt(fv)
			h.DefaultUlimits = append(h.DefaultUlimits, u)
		}
	}
	if m, ok := b.cfg.ulimits(); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			u := m[k]
			line := b.cfg.line("default-ulimits." + k)
			if line == 0 {
				line = b.cfg.line("default-ulimits")
			}
			h.DefaultUlimits = append(h.DefaultUlimits, facts.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard, At: facts.FileAt(b.cfg.Path, line)})
		}
	}
}

// parseUlimit reads name=soft[:hard].
func parseUlimit(s string) (facts.Ulimit, bool) {
	name, limits, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return facts.Ulimit{}, false
	}
	softS, hardS, hasHard := strings.Cut(limits, ":")
	soft, err := strconv.ParseInt(softS, 10, 64)
	if err != nil {
		return facts.Ulimit{}, false
	}
	hard := soft
	if hasHard {
		if hard, err = strconv.ParseInt(hardS, 10, 64); err != nil {
			return facts.Ulimit{}, false
		}
	}
	return facts.Ulimit{Name: strings.ToLower(name), Soft: soft, Hard: hard}, true
}

// listeners reads -H/--host and daemon.json's hosts, and the API socket's
// owner and mode.
func (b *builder) listeners() {
	h := b.h
	// --tls alone encrypts but lets any client in; only --tlsverify checks
	// client certificates.
	tlsVerify := false
	if v, ok := b.boolSetting("tlsverify", "tlsverify"); ok {
		tlsVerify = v.V
	} else if b.environ["DOCKER_TLS_VERIFY"] != "" {
		// dockerd's --tlsverify defaults to DOCKER_TLS_VERIFY being set.
		tlsVerify = true
	}
	for _, fv := range b.cmd.get("host") {
		for _, addr := range strings.Split(fv.Value, ",") {
			h.Listeners = append(h.Listeners, facts.Listener{Address: addr, TLSVerify: tlsVerify, At: b.flagAt(fv)})
		}
	}
	if len(h.Listeners) == 0 {
		if hosts, ok := b.cfg.strings("hosts"); ok {
			for _, addr := range hosts {
				h.Listeners = append(h.Listeners, facts.Listener{Address: addr, TLSVerify: tlsVerify, At: b.cfgAt("hosts")})
			}
		}
	}
	if len(h.Listeners) == 0 {
		at := b.defaultAt()
		if b.cmd != nil {
			at = facts.Location{Path: b.cmd.Path}
		}
		h.Listeners = append(h.Listeners, facts.Listener{Address: DefaultSocket, TLSVerify: tlsVerify, At: at})
	}
	for i := range h.Listeners {
		h.Listeners[i].Address = normalizeAddress(h.Listeners[i].Address)
	}

	// The API socket: the first unix listener, or the socket systemd
	// opens for fd:// (docker.socket's /run/docker.sock).
	sock := ""
	for _, l := range h.Listeners {
		switch {
		case strings.HasPrefix(l.Address, "unix://"):
			sock = strings.TrimPrefix(l.Address, "unix://")
		case strings.HasPrefix(l.Address, "fd://"):
			sock = "/run/docker.sock"
		}
		if sock != "" {
			break
		}
	}
	if sock == "" {
		h.SocketMode = unsetBecause[uint32](b.defaultAt(), "the daemon listens on no unix socket")
		h.SocketOwner = unsetBecause[string](b.defaultAt(), "the daemon listens on no unix socket")
		return
	}
	at := facts.Location{Path: sock}
	fi, err := os.Stat(hostPath(b.root, sock))
	if err != nil {
		h.SocketMode = facts.UnknownBecause[uint32](at, "cannot read the socket: "+errText(err))
		h.SocketOwner = facts.UnknownBecause[string](at, "cannot read the socket: "+errText(err))
		return
	}
	h.SocketMode = facts.SetAt(uint32(fi.Mode().Perm()), at)
	if uid, gid, ok := fileOwner(fi); ok {
		h.SocketOwner = facts.SetAt(b.userName(uid)+":"+b.groupName(gid), at)
	} else {
		h.SocketOwner = facts.UnknownBecause[string](at, "file owners are not available on this system")
	}
}

// normalizeAddress gives -H values their scheme the way dockerd does:
// a bare path is a unix socket, host:port is TCP.
func normalizeAddress(a string) string {
	a = strings.TrimSpace(a)
	switch {
	case strings.Contains(a, "://"):
		return a
	case strings.HasPrefix(a, "/"):
		return "unix://" + a
	case a == "":
		return DefaultSocket
	default:
		return "tcp://" + a
	}
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// macState reads the host's SELinux mode and whether AppArmor is enabled.
func (b *builder) macState() {
	h := b.h
	const enforce = "/sys/fs/selinux/enforce"
	switch data, err := os.ReadFile(hostPath(b.root, enforce)); {
	case err == nil && strings.TrimSpace(string(data)) == "1":
		h.SELinuxMode = facts.SetAt("enforcing", facts.Location{Path: enforce})
	case err == nil:
		h.SELinuxMode = facts.SetAt("permissive", facts.Location{Path: enforce})
	case os.IsNotExist(err):
		h.SELinuxMode = facts.SetAt("disabled", facts.Location{Path: enforce})
	default:
		h.SELinuxMode = facts.UnknownBecause[string](facts.Location{Path: enforce}, errText(err))
	}
	const apparmor = "/sys/module/apparmor/parameters/enabled"
	switch data, err := os.ReadFile(hostPath(b.root, apparmor)); {
	case err == nil:
		h.HostAppArmor = facts.SetAt(strings.HasPrefix(strings.TrimSpace(string(data)), "Y"), facts.Location{Path: apparmor})
	case os.IsNotExist(err):
		h.HostAppArmor = facts.SetAt(false, facts.Location{Path: apparmor})
	default:
		h.HostAppArmor = facts.UnknownBecause[bool](facts.Location{Path: apparmor}, errText(err))
	}
}

// packages reads the package manager's records of the engine, containerd,
// runc and the running kernel.
func (b *builder) packages() {
	h := b.h
	data, err := readCapped(hostPath(b.root, dpkgStatus), maxStatusSize)
	if err != nil {
		return
	}
	wanted := map[string]bool{}
	for _, names := range componentPackages {
		for _, n := range names {
			wanted[n] = true
		}
	}
	kernelPkgs := []string{}
	if h.KernelVersion.IsSet() {
		kernelPkgs = []string{"linux-image-" + h.KernelVersion.V, "linux-image-unsigned-" + h.KernelVersion.V}
		for _, n := range kernelPkgs {
			wanted[n] = true
		}
	}
	h.Packages = readDpkgStatus(data, wanted)
	h.PackagesAt = facts.Location{Path: dpkgStatus}
	h.ComponentPackages = map[string]string{}
	h.PackageCVEs = map[string]map[string]bool{}
	pick := func(component string, names []string) {
		for _, n := range names {
			if _, ok := h.Packages[n]; ok {
				h.ComponentPackages[component] = n
				if ids := changelogCVEs(b.root, n); ids != nil {
					h.PackageCVEs[n] = ids
				}
				return
			}
		}
	}
	for _, c := range []string{"engine", "containerd", "runc"} {
		pick(c, componentPackages[c])
		if n := h.ComponentPackages[c]; n != "" {
			if upstreamPackages[n] {
				h.Builds[c] = facts.BuildUpstream
			} else {
				h.Builds[c] = facts.BuildDistribution
			}
		}
	}
	pick("kernel", kernelPkgs)
}

// isRuncRuntime tells whether a runtime (by name and its path in /info's
// Runtimes) is runc, whose version /version then reports.
func isRuncRuntime(name string, info system.Info) bool {
	if strings.Contains(name, "runc") {
		return true
	}
	if rt, ok := info.Runtimes[name]; ok {
		return strings.Contains(path.Base(rt.Path), "runc")
	}
	return false
}

var (
	reHexCommit   = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	reDescribe    = regexp.MustCompile(`^v?\d+\.\d+\.\d+.*-g[0-9a-f]{7,40}$`)
	reUpstreamTag = regexp.MustCompile(`^v\d+\.\d+\.\d+(-rc\.?\d+)?$`)
)

// commitBuild tells who built containerd or runc from the version and the
// GitCommit the engine reports: a distribution puts its package version
// there (1.1.5+ds1-1+deb12u1), an upstream build a commit (v1.1.12-0-g51d5e94).
func commitBuild(version, commit string) string {
	switch {
	case cves.DistributionBuild(version) || cves.DistributionBuild(commit):
		return facts.BuildDistribution
	case reHexCommit.MatchString(commit) || reDescribe.MatchString(commit) || reUpstreamTag.MatchString(commit):
		return facts.BuildUpstream
	}
	return ""
}

// hostPath maps an absolute path on the host to where it is read.
func hostPath(root, p string) string {
	if root == "" || root == "/" {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

func readCapped(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > max {
		return nil, &os.PathError{Op: "read", Path: p, Err: errTooLarge}
	}
	return io.ReadAll(io.LimitReader(f, max))
}

type tooLarge struct{}

func (tooLarge) Error() string { return "not a regular file or too large" }

var errTooLarge = tooLarge{}
