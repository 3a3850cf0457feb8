package cli

// The files under deploy/ work as written: every systemd unit passes
// `systemd-analyze verify` and its command lines are dockguard's own
// flags; the plugin and the proxy start from the policy file that
// dockguard-config.service writes with `dockguard init`; the users and
// groups the units name are the ones dockguard.sysusers creates; the Swarm
// stack loads with dockguard's compose loader and runs the agent through
// the read-only proxy; daemon.json reads with dockguard's daemon.json
// reader and names the plugin the unit serves.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/system"
	"go.yaml.in/yaml/v3"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/source/compose"
	"github.com/dockguard/dockguard/internal/source/host"
)

const (
	deployDir = "../../deploy"
	// deployRequiredEnv=required fails the unit checks where
	// systemd-analyze or systemd-sysusers is missing instead of skipping.
	deployRequiredEnv = "DOCKGUARD_TEST_DEPLOY"
	// installedBinary is where the units expect dockguard.
	installedBinary = "/usr/local/bin/dockguard"
	// policyFile is the file the plugin and the proxy read.
	policyFile = "/etc/dockguard/dockguard.yaml"
)

// unitFile is a systemd unit: section → key → values in order.
type unitFile map[string]map[string][]string

func readUnit(t *testing.T, p string) unitFile {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case strings.HasSuffix(line, `\`):
			t.Fatalf("%s:%d: continuation lines are not read by this test", p, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", p, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// last is the value of a key given once (or the last of several).
func (u unitFile) last(section, key string) string {
	vs := u[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// words are the space-separated values of a key, all lines together.
func (u unitFile) words(section, key string) []string {
	var out []string
	for _, v := range u[section][key] {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

var reUnitVar = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)

// execArgs is ExecStart split into words, with $VAR and ${VAR} replaced by
// the unit's Environment= defaults, as systemd does (a $VAR word that is
// empty disappears).
func (u unitFile) execArgs(t *testing.T, name string) []string {
	t.Helper()
	env := map[string]string{}
	for _, e := range u["Service"]["Environment"] {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	line := u.last("Service", "ExecStart")
	if strings.ContainsAny(line, `"'`) {
		t.Fatalf("%s: ExecStart with quotes is not read by this test: %s", name, line)
	}
	var out []string
	for _, w := range strings.Fields(line) {
		for _, m := range reUnitVar.FindAllStringSubmatch(w, -1) {
			if _, ok := env[m[1]+m[2]]; !ok {
				t.Errorf("%s: ExecStart uses %s, which no Environment= sets", name, m[0])
			}
		}
		w = reUnitVar.ReplaceAllStringFunc(w, func(v string) string {
			m := reUnitVar.FindStringSubmatch(v)
			return env[m[1]+m[2]]
		})
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func deployUnits(t *testing.T) map[string]unitFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(deployDir, "*.service"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no units under %s: %v", deployDir, err)
	}
	units := map[string]unitFile{}
	for _, p := range paths {
		units[filepath.Base(p)] = readUnit(t, p)
	}
	return units
}

// needTool returns the path of a systemd tool, skipping the test when it
// is missing unless DOCKGUARD_TEST_DEPLOY=required.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv(deployRequiredEnv) == "required" {
		t.Fatalf("%s is not installed (Debian: apt-get install systemd), and %s=required", name, deployRequiredEnv)
	}
	t.Skipf("%s is not installed (Debian: apt-get install systemd); set %s=required to fail instead", name, deployRequiredEnv)
	return ""
}

// TestDeployUnitsVerify: every unit passes `systemd-analyze verify` with
// nothing to say (unknown keys are only warnings there, so any output
// fails), its binary moved to an executable of the test's since
// systemd-analyze checks that the program exists.
func TestDeployUnitsVerify(t *testing.T) {
	analyze := needTool(t, "systemd-analyze")
	dir := t.TempDir()
	stub := filepath.Join(dir, "bin", "dockguard")
	if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	units := filepath.Join(dir, "units")
	if err := os.Mkdir(units, 0o755); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(deployDir, "*.service"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(installedBinary+" ")) {
			t.Errorf("%s: does not run %s", p, installedBinary)
		}
		data = bytes.ReplaceAll(data, []byte(installedBinary+" "), []byte(stub+" "))
		if err := os.WriteFile(filepath.Join(units, filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(analyze, "verify", filepath.Join(units, name))
			cmd.Dir = units
			out, err := cmd.CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify %s: %v\n%s", name, err, out)
			}
		})
	}
}

// TestDeployUnitsAsWritten: the units' command lines are dockguard's own
// commands and flags; every dockguard unit a unit names is in deploy/;
// the plugin and the proxy read the file dockguard-config.service writes,
// and start after it; the plugin orders itself before docker.service
// without making dockerd require it.
func TestDeployUnitsAsWritten(t *testing.T) {
	units := deployUnits(t)
	for name, u := range units {
		args := u.execArgs(t, name)
		if len(args) == 0 || args[0] != installedBinary {
			t.Errorf("%s: ExecStart does not run %s: %q", name, installedBinary, args)
			continue
		}
		root := NewRoot(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		cmd, rest, err := root.Find(args[1:])
		if err != nil || cmd == root {
			t.Errorf("%s: %q is no dockguard command: %v", name, args[1:], err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%s: %s: %v", name, cmd.CommandPath(), err)
			continue
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			t.Errorf("%s: %s %q: %v", name, cmd.CommandPath(), cmd.Flags().Args(), err)
		}
		for _, key := range []string{"Wants", "Requires", "After", "Before", "BindsTo", "Requisite"} {
			for _, dep := range u.words("Unit", key) {
				if _, ok := units[dep]; strings.HasPrefix(dep, "dockguard") && !ok {
					t.Errorf("%s: %s=%s, which is not in %s", name, key, dep, deployDir)
				}
			}
		}
		if f := cmd.Flags().Lookup("config"); f != nil && f.Changed {
			if f.Value.String() != policyFile {
				t.Errorf("%s: --config %s, want %s (the file dockguard-config.service writes)", name, f.Value, policyFile)
			}
			if !slices.Contains(u.words("Unit", "Wants"), "dockguard-config.service") || !slices.Contains(u.words("Unit", "After"), "dockguard-config.service") {
				t.Errorf("%s: reads %s but neither wants nor starts after dockguard-config.service, which writes it", name, policyFile)
			}
		}
	}

	cfg := units["dockguard-config.service"]
	if got := cfg.last("Unit", "ConditionPathExists"); got != "!"+policyFile {
		t.Errorf("dockguard-config.service: ConditionPathExists=%s, want !%s (never replace a file that exists)", got, policyFile)
	}
	if got, want := cfg.execArgs(t, "dockguard-config.service"), []string{installedBinary, "init", policyFile}; !slices.Equal(got, want) {
		t.Errorf("dockguard-config.service: ExecStart %q, want %q", got, want)
	}
	if got := cfg.last("Service", "ConfigurationDirectory"); got != path.Base(path.Dir(policyFile)) {
		t.Errorf("dockguard-config.service: ConfigurationDirectory=%s: `dockguard init` does not create %s", got, path.Dir(policyFile))
	}

	plugin := units["dockguard-plugin.service"]
	if !slices.Contains(plugin.words("Unit", "Before"), "docker.service") {
		t.Errorf("dockguard-plugin.service: not Before=docker.service: dockerd would start without its plugin")
	}
	if !slices.Contains(plugin.words("Install", "WantedBy"), "docker.service") {
		t.Errorf("dockguard-plugin.service: docker.service does not want it (WantedBy=docker.service)")
	}
	if rb := plugin.words("Install", "RequiredBy"); len(rb) > 0 {
		t.Errorf("dockguard-plugin.service: RequiredBy=%s: stopping or restarting the plugin would stop or restart dockerd", strings.Join(rb, " "))
	}
	if got := plugin.last("Unit", "StartLimitIntervalSec"); got != "0" {
		t.Errorf("dockguard-plugin.service: StartLimitIntervalSec=%q: a plugin that keeps failing would stop being restarted, and every docker command would wait for it", got)
	}
}

// TestDeploySysusers: dockguard.sysusers, applied to an empty root with
// Debian's docker group, creates every user and group the units run as.
func TestDeploySysusers(t *testing.T) {
	sysusers := needTool(t, "systemd-sysusers")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\ndocker:x:998:\n", "shadow": "", "gshadow": ""} {
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf, _ := filepath.Abs(filepath.Join(deployDir, "dockguard.sysusers"))
	if out, err := exec.Command(sysusers, "--root", root, conf).CombinedOutput(); err != nil {
		t.Fatalf("systemd-sysusers: %v\n%s", err, out)
	}
	names := func(file string) map[string][]string {
		data, err := os.ReadFile(filepath.Join(root, "etc", file))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			f := strings.Split(l, ":")
			m[f[0]] = f
		}
		return m
	}
	users, groups := names("passwd"), names("group")
	for name, u := range deployUnits(t) {
		if v := u.last("Service", "User"); v != "" && users[v] == nil && u.last("Service", "DynamicUser") != "yes" {
			t.Errorf("%s: User=%s, which dockguard.sysusers does not create", name, v)
		}
		for _, g := range append([]string{u.last("Service", "Group")}, u.words("Service", "SupplementaryGroups")...) {
			if g != "" && groups[g] == nil {
				t.Errorf("%s: group %s, which dockguard.sysusers does not create", name, g)
			}
		}
	}
	if d := groups["docker"]; d == nil || !slices.Contains(strings.Split(d[3], ","), "dockguard-proxy") {
		t.Errorf("the read-only proxy's user is not in the docker group: %q", d)
	}
}

// TestDeployPolicyFile: the file dockguard-config.service writes (`dockguard
// init`, run as the unit runs it, into a folder standing for /etc/dockguard)
// loads with the configuration loader; the plugin, started with the unit's
// own command line, serves it and denies the sample privileged create
// (the default policy enforces), and the proxy's policy loads from it. A
// missing file leaves the plugin on baseline@v1 with the defaults until
// it loads, which is why the unit wants dockguard-config.service.
func TestDeployPolicyFile(t *testing.T) {
	units := deployUnits(t)
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc", "dockguard")
	if err := os.MkdirAll(etc, 0o755); err != nil { // ConfigurationDirectory=dockguard
		t.Fatal(err)
	}
	file := filepath.Join(etc, path.Base(policyFile))
	local := func(args []string) []string {
		if len(args) < 2 {
			t.Fatalf("no command line: %q", args)
		}
		out := slices.Clone(args[1:])
		for i, a := range out {
			if a == policyFile {
				out[i] = file
			}
		}
		return out
	}

	// The plugin without the file: it starts, logs the error and enforces
	// baseline@v1 until the file loads (a plugin that does not start
	// makes dockerd refuse every request).
	pluginArgs := units["dockguard-plugin.service"].execArgs(t, "dockguard-plugin.service")
	nodaemon := "unix://" + filepath.Join(dir, "nodaemon.sock")
	{
		ctx, cancel := context.WithCancel(context.Background())
		var lerr lockedBuffer
		done := make(chan int, 1)
		go func() {
			done <- Main(ctx, append(local(pluginArgs), "--socket", filepath.Join(dir, "missing.sock"), "-H", nodaemon, "--metrics-listen", ""), Streams{Out: &bytes.Buffer{}, Err: &lerr})
		}()
		deadline := time.Now().Add(20 * time.Second)
		for !(strings.Contains(lerr.String(), file) && strings.Contains(lerr.String(), "baseline@v1")) && time.Now().Before(deadline) {
			select {
			case code := <-done:
				t.Fatalf("plugin without %s exited %d: %s", file, code, lerr.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		if !strings.Contains(lerr.String(), file) || !strings.Contains(lerr.String(), "baseline@v1") {
			t.Errorf("plugin without %s: no error naming it and the baseline it enforces: %s", file, lerr.String())
		}
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("the plugin did not stop")
		}
	}
	var errb bytes.Buffer

	var out bytes.Buffer
	if code := Main(context.Background(), local(units["dockguard-config.service"].execArgs(t, "dockguard-config.service")), Streams{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("dockguard init: exit %d: %s", code, errb.String())
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("dockguard init wrote %s: %v %v", file, fi, err)
	}
	c, err := config.Load(file)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	if len(c.Enforce.Warnings) > 0 {
		t.Errorf("the written file has warnings: %q", c.Enforce.Warnings)
	}
	// Run again (the condition aside), it keeps the file.
	if code := Main(context.Background(), local(units["dockguard-config.service"].execArgs(t, "dockguard-config.service")), Streams{Out: &out, Err: &bytes.Buffer{}}); code == 0 {
		t.Errorf("dockguard init replaced an existing %s", file)
	}

	// The proxy's and the plugin's policy, loaded as they load it.
	for _, proxy := range []bool{false, true} {
		var log bytes.Buffer
		ps, err := setupPolicy(Streams{Out: &bytes.Buffer{}, Err: &log}, enforceFlags{config: file, logLevel: "info", host: nodaemon, proxy: proxy, name: "dockguard"}, "dockguard")
		if err != nil {
			t.Fatal(err)
		}
		d, err := ps.load()
		ps.cli.Close()
		if err != nil {
			t.Errorf("proxy=%v: policy from %s: %v", proxy, file, err)
			continue
		}
		if d.Mode() != "enforce" || log.Len() > 0 {
			t.Errorf("proxy=%v: mode %q, log %s", proxy, d.Mode(), log.String())
		}
	}

	// The plugin, as the unit starts it: on its own socket, metrics on
	// a free port, no daemon to ask.
	sock := filepath.Join(dir, "run", "dockguard.sock")
	args := local(pluginArgs)
	for i, a := range args {
		if a == "--metrics-listen" && i+1 < len(args) {
			args[i+1] = "127.0.0.1:0"
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var perr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append(args, "--socket", sock, "-H", nodaemon), Streams{Out: &bytes.Buffer{}, Err: &perr})
	}()
	code := 1
	deadline := time.Now().Add(10 * time.Second)
	for code != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		out.Reset()
		errb.Reset()
		code = Main(context.Background(), []string{"enforce", "check", "--socket", sock}, Streams{Out: &out, Err: &errb})
	}
	if code != 0 || !strings.Contains(out.String(), "sample privileged create denied") {
		t.Errorf("enforce check: exit %d: %s%s\nplugin: %s", code, out.String(), errb.String(), perr.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("plugin exit %d: %s", code, perr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("plugin did not stop: %s", perr.String())
	}
	if s := perr.String(); !strings.Contains(s, `"config":"`+file+`"`) {
		t.Errorf("plugin did not serve %s: %s", file, s)
	}
}

// lockedBuffer is a bytes.Buffer written by one goroutine and read by
// another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDeployStack: the Swarm stack loads with dockguard's compose loader
// (the image variable set, as the file's usage says); both services run
// on every node (deploy.mode global), the proxy serves the read-only API on
// the socket volume and is the only one with docker.sock, and the agent
// reads the engine through the proxy's socket, mounted read-only.
func TestDeployStack(t *testing.T) {
	file := filepath.Join(deployDir, "swarm", "dockguard-stack.yml")
	image := "registry.example.com/dockguard@sha256:" + strings.Repeat("0", 64)

	// Without DOCKGUARD_IMAGE the loader says, for each service, that
	// the image is unknown.
	p, err := compose.Load(context.Background(), compose.Options{Files: []string{file}})
	if err != nil {
		t.Fatalf("compose.Load without DOCKGUARD_IMAGE: %v", err)
	}
	if len(p.Notes) != 2 || !strings.Contains(p.Notes[0].Message, "DOCKGUARD_IMAGE") || !strings.Contains(p.Notes[1].Message, "DOCKGUARD_IMAGE") {
		t.Errorf("without DOCKGUARD_IMAGE: notes %v, want one per service naming it", p.Notes)
	}

	p, err = compose.Load(context.Background(), compose.Options{Files: []string{file}, Environ: []string{"DOCKGUARD_IMAGE=" + image}})
	if err != nil {
		t.Fatalf("compose.Load: %v", err)
	}
	for _, e := range p.Errors {
		t.Errorf("load: %v", e)
	}
	for _, n := range p.Notes {
		t.Errorf("load note: %v", n)
	}
	svc := map[string]*compose.Service{}
	for _, s := range p.Services {
		svc[s.Name] = s
	}
	proxy, agent := svc["proxy"], svc["agent"]
	if proxy == nil || agent == nil || len(svc) != 2 {
		t.Fatalf("services %v, want proxy and agent", slices.Sorted(maps.Keys(svc)))
	}

	type mnt struct {
		typ, source string
		readOnly    bool
	}
	mounts := func(s *compose.Service) map[string]mnt {
		m := map[string]mnt{}
		h := s.Spec.HostConfig
		for _, b := range h.Binds {
			f := strings.Split(b, ":")
			if len(f) < 2 {
				t.Fatalf("%s: bind %q", s.Name, b)
			}
			m[f[1]] = mnt{"bind", f[0], len(f) > 2 && slices.Contains(strings.Split(f[2], ","), "ro")}
		}
		for _, x := range h.Mounts {
			m[x.Target] = mnt{string(x.Type), x.Source, x.ReadOnly}
		}
		return m
	}
	flag := func(s *compose.Service, name string) string {
		cmd := s.Spec.Config.Cmd
		for i, a := range cmd {
			if a == name && i+1 < len(cmd) {
				return cmd[i+1]
			}
		}
		return ""
	}

	for _, s := range []*compose.Service{proxy, agent} {
		if s.Spec.Config.Image != image {
			t.Errorf("%s: image %q, want %q", s.Name, s.Spec.Config.Image, image)
		}
		if !s.Spec.HostConfig.ReadonlyRootfs || !slices.Equal(s.Spec.HostConfig.CapDrop, []string{"ALL"}) {
			t.Errorf("%s: read_only %v, cap_drop %v", s.Name, s.Spec.HostConfig.ReadonlyRootfs, s.Spec.HostConfig.CapDrop)
		}
	}

	// The proxy: read-only API, the only holder of docker.sock.
	pc := proxy.Spec.Config.Cmd
	if len(pc) < 2 || pc[0] != "enforce" || pc[1] != "proxy" || flag(proxy, "--api") != "read-only" {
		t.Errorf("proxy: command %q, want enforce proxy --api read-only", pc)
	}
	pm := mounts(proxy)
	if m := pm["/var/run/docker.sock"]; m.typ != "bind" || m.source != "/var/run/docker.sock" {
		t.Errorf("proxy: /var/run/docker.sock mounted as %+v", m)
	}
	if u := flag(proxy, "--upstream"); u != "unix:///var/run/docker.sock" {
		t.Errorf("proxy: --upstream %q", u)
	}
	listen, ok := strings.CutPrefix(flag(proxy, "--listen"), "unix://")
	if !ok {
		t.Fatalf("proxy: --listen %q is no unix socket", flag(proxy, "--listen"))
	}
	sockDir := path.Dir(listen)
	if m := pm[sockDir]; m.typ != string(mount.TypeVolume) || m.source != "sockets" || m.readOnly {
		t.Errorf("proxy: %s (its socket's folder) mounted as %+v, want the sockets volume, writable", sockDir, m)
	}

	// The agent: the proxy's socket, never docker.sock.
	if c := agent.Spec.Config.Cmd; len(c) == 0 || c[0] != "agent" {
		t.Errorf("agent: command %q", c)
	}
	if h := flag(agent, "-H"); h != "unix://"+listen {
		t.Errorf("agent: -H %q, want the proxy's socket unix://%s", h, listen)
	}
	am := mounts(agent)
	if m := am[sockDir]; m.typ != string(mount.TypeVolume) || m.source != "sockets" || !m.readOnly {
		t.Errorf("agent: %s mounted as %+v, want the sockets volume, read-only", sockDir, m)
	}
	for target, m := range am {
		if strings.HasSuffix(m.source, "docker.sock") || strings.HasSuffix(target, "docker.sock") {
			t.Errorf("agent: mounts the Docker socket (%s → %s)", m.source, target)
		}
		if m.typ == "bind" && !m.readOnly {
			t.Errorf("agent: host file %s mounted writable", m.source)
		}
	}

	// Swarm's keys (deploy, the volume's driver options) as the file
	// writes them: compose keeps them for `docker stack deploy`.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Services map[string]struct {
			Deploy struct {
				Mode string `yaml:"mode"`
			} `yaml:"deploy"`
		} `yaml:"services"`
		Volumes map[string]struct {
			Driver     string            `yaml:"driver"`
			DriverOpts map[string]string `yaml:"driver_opts"`
		} `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"proxy", "agent"} {
		if m := raw.Services[name].Deploy.Mode; m != "global" {
			t.Errorf("%s: deploy.mode %q, want global (one per node)", name, m)
		}
	}
	if v := raw.Volumes["sockets"]; v.Driver != "local" || v.DriverOpts["type"] != "tmpfs" {
		t.Errorf("volume sockets: %+v, want the local driver on tmpfs (one per node, never on disk)", v)
	}
}

// TestDeployDaemonJSON: deploy/daemon.json, installed as
// /etc/docker/daemon.json under a test root, reads with dockguard's
// daemon.json reader (the Host fact places the authorization plugins in
// it), and names exactly the plugin dockguard-plugin.service serves.
func TestDeployDaemonJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "daemon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("daemon.json: %v", err)
	}
	var plugins []string
	if err := json.Unmarshal(cfg["authorization-plugins"], &plugins); err != nil {
		t.Fatalf("authorization-plugins: %v", err)
	}
	units := deployUnits(t)
	root := NewRoot(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	cmd, rest, err := root.Find(units["dockguard-plugin.service"].execArgs(t, "dockguard-plugin.service")[1:])
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	name := cmd.Flags().Lookup("name").Value.String()
	if !slices.Equal(plugins, []string{name}) {
		t.Errorf("daemon.json names %q, the plugin unit serves %q", plugins, name)
	}

	dir := t.TempDir()
	etc := filepath.Join(dir, filepath.FromSlash(path.Dir(host.DefaultConfigFile)))
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(host.DefaultConfigFile)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// What dockerd reports once it has loaded the file.
	var info system.Info
	info.Name = "deploy-test"
	info.Plugins.Authorization = plugins
	h := host.FromEngine(host.DefaultSocket, info, system.VersionResponse{}, &host.Local{Root: dir})
	at := h.AuthorizationPluginsAt
	if at.Path != host.DefaultConfigFile || at.Line != 2 {
		t.Errorf("authorization plugins placed at %v, want %s:2 (the file was not read)", at, host.DefaultConfigFile)
	}
	if !slices.Equal(h.AuthorizationPlugins, plugins) {
		t.Errorf("Host fact plugins %q", h.AuthorizationPlugins)
	}
}
