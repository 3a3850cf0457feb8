// Package testenv gives tests real components instead of mocks: a private
// Docker daemon per test (Debian's dockerd, started by pid, in its own
// network and mount namespaces) and test images built FROM scratch without
// a registry.
//
// Every daemon is isolated from the host and from the other test packages
// that `go test ./...` runs in parallel:
//
//   - its own --data-root, --exec-root, --pidfile and API socket under a
//     temporary folder;
//   - its own network namespace (with lo up and a veth pair whose address Swarm
//     to advertise), so iptables chains, bridges, published and Swarm ports
//     are its own;
//   - its own mount namespace, where /run/docker, /etc/docker and
//     /run/containerd are private folders: authorization plugin sockets and
//     specs, the engine key and containerd's shim sockets are never shared,
//     and every mount the daemon makes disappears with it;
//   - its own cgroup parent, so the processes of its containers can be found
//     and ended by pid if the daemon dies without stopping them.
//
// Containers run through a runc wrapper that removes CAP_SYS_RESOURCE from
// the OCI spec: on the CI machines that capability is missing from every
// bounding set, and privileged containers could not start otherwise.
//
// Tests skip when they cannot have a daemon (not root, no dockerd), unless
// DOCKGUARD_TEST_DOCKER=required, under which they fail with the reason.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// RequiredEnv names the variable that turns a missing daemon from a skip
// into a failure (CI sets it to "required").
const RequiredEnv = "DOCKGUARD_TEST_DOCKER"

// Options are the daemon settings a test needs; the zero value is Docker's
// defaults.
type Options struct {
	// ICC sets --icc (inter-container communication on the default
	// bridge); nil keeps Docker's default, on.
	ICC *bool
	// UsernsRemap remaps container root to a private subordinate range
	// (--userns-remap, with /etc/subuid and /etc/subgid private to the
	// daemon, so the host's files are never changed).
	UsernsRemap bool
	// NoNewPrivileges sets --no-new-privileges for every container.
	NoNewPrivileges bool
	// DefaultUlimits are --default-ulimit values ("nofile=1024:2048").
	DefaultUlimits []string
	// AuthzPlugins are authorization plugins served by the test process
	// and loaded by the daemon (--authorization-plugin), each under a
	// name unique to this daemon.
	AuthzPlugins []Plugin
	// Flags are further dockerd flags.
	Flags []string
}

// Plugin is an authorization plugin served in the test process: Handler
// answers /Plugin.Activate, /AuthZPlugin.AuthZReq and
// /AuthZPlugin.AuthZRes on a unix socket only this daemon sees.
type Plugin struct {
	Name    string
	Handler http.Handler
}

// Daemon is a running private dockerd.
type Daemon struct {
	// Host is the daemon's address, for DOCKER_HOST or -H.
	Host string
	// Dir holds everything the daemon writes.
	Dir string
	// Pid is dockerd's process id.
	Pid int
	// Client talks to the daemon, with the API version negotiated.
	Client *client.Client
	// StartTime is how long the daemon took to answer its first ping.
	StartTime time.Duration
	// Log is dockerd's log file.
	Log string

	cmd    *exec.Cmd
	exited chan struct{}
	cgroup string
	mntNS  string
	// mntNSFile keeps the mount namespace, and so its inode number,
	// alive while mntNS may be used to find leftovers.
	mntNSFile *os.File
	servers   []*http.Server
}

// Bool returns a pointer to b, for Options.ICC.
func Bool(b bool) *bool { return &b }

// unavailable skips the test, or fails it when a daemon is required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequiredEnv) == "required" {
		t.Fatalf("testenv: no private Docker daemon (%s=required): %s", RequiredEnv, msg)
	}
	t.Skipf("testenv: no private Docker daemon: %s (set %s=required to fail instead)", msg, RequiredEnv)
}

// Available reports why a private daemon cannot be started here, or "".
func Available() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	if _, err := lookPath("dockerd"); err != nil {
		return "dockerd is not installed (Debian: apt-get install docker.io)"
	}
	if _, err := lookPath("runc"); err != nil {
		return "runc is not installed"
	}
	if ipCommand() == "" {
		return "neither ip (iproute2) nor busybox is installed"
	}
	return ""
}

// lookPath finds a program on PATH or in the sbin folders, which a test's
// PATH may lack.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// ipCommand is the command that configures links in the new network
// namespace: iproute2's ip, or busybox's.
func ipCommand() string {
	if p, err := lookPath("ip"); err == nil {
		return p
	}
	if p, err := lookPath("busybox"); err == nil {
		return p + " ip"
	}
	return ""
}

// Start starts a private dockerd for the test and stops it (by pid) when
// the test ends. It skips the test when no daemon can be started, or fails
// it under DOCKGUARD_TEST_DOCKER=required.
func Start(t testing.TB, opts Options) *Daemon {
	t.Helper()
	if why := Available(); why != "" {
		unavailable(t, "%s", why)
	}
	d, err := start(opts)
	if d != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("testenv: %s", d.tail())
			}
			if err := d.stop(); err != nil {
				t.Errorf("testenv: stopping dockerd %d: %v", d.Pid, err)
			}
		})
	}
	if err != nil {
		unavailable(t, "%v", err)
	}
	t.Logf("testenv: dockerd pid %d at %s ready in %v", d.Pid, d.Host, d.StartTime.Round(time.Millisecond))
	return d
}

// wrapper prepares the namespaces the daemon runs in, then becomes dockerd
// (exec, so the pid stays). Go has already unshared the mount and network
// namespaces and made every mount private.
const wrapper = `set -e
$DG_IP link set lo up
$DG_IP link add dg0 type veth peer name dg1
$DG_IP addr add "$DG_SWARM_ADDR/24" dev dg0
$DG_IP link set dg1 up
$DG_IP link set dg0 up
mount --make-rshared /
mkdir -p /run/docker /etc/docker /run/containerd
mount --bind "$DG_DIR/run-docker" /run/docker
mount --bind "$DG_DIR/etc-docker" /etc/docker
mount --bind "$DG_DIR/run-containerd" /run/containerd
if [ -n "$DG_SUBID" ]; then
  for f in subuid subgid; do
    [ -e "/etc/$f" ] || : >> "/etc/$f"
    mount --bind "$DG_SUBID/$f" "/etc/$f"
  done
fi
exec "$DG_DOCKERD" "$@"
`

// runcWrapper drops CAP_SYS_RESOURCE from the OCI spec runc is given; the
// container's HostConfig is unchanged, so what dockguard inspects is what
// the test asked for.
const runcWrapper = `#!/bin/sh
prev=""
for a in "$@"; do
  f=""
  case "$prev" in --bundle|-b) f="$a/config.json" ;; --process|-p) f="$a" ;; esac
  case "$a" in --bundle=*) f="${a#--bundle=}/config.json" ;; --process=*) f="${a#--process=}" ;; esac
  if [ -n "$f" ] && [ -f "$f" ]; then
    sed -i -e 's/"CAP_SYS_RESOURCE",//g' -e 's/,"CAP_SYS_RESOURCE"//g' -e 's/\["CAP_SYS_RESOURCE"\]/[]/g' "$f"
  fi
  prev="$a"
done
exec RUNC "$@"
`

// SwarmAddr is the address of the daemon's own interface in its network
// namespace, for `swarm init --advertise-addr`.
const SwarmAddr = "10.231.0.1"

// remapUser is the existing account whose subordinate ranges (in the
// daemon's private /etc/subuid) --userns-remap uses; naming an existing
// account keeps dockerd from adding one to the host's /etc/passwd.
const remapUser = "nobody"

// remapGroup is nobody's group: nogroup on Debian, nobody elsewhere.
func remapGroup() string {
	b, _ := os.ReadFile("/etc/group")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "nogroup:") {
			return "nogroup"
		}
	}
	return "nobody"
}

func start(opts Options) (*Daemon, error) {
	dockerd, _ := lookPath("dockerd")
	runc, _ := lookPath("runc")
	// Short: the API socket path must fit in a sockaddr_un (108 bytes).
	dir, err := os.MkdirTemp("", "dgd")
	if err != nil {
		return nil, err
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	d := &Daemon{
		Dir:    dir,
		Host:   "unix://" + filepath.Join(dir, "docker.sock"),
		Log:    filepath.Join(dir, "dockerd.log"),
		cgroup: "/dockguard-test-" + hex.EncodeToString(id),
		exited: make(chan struct{}),
	}
	// o+x on the way to the data root: a remapped root must reach it.
	if err := os.Chmod(dir, 0o711); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for _, sub := range []string{"run-docker/plugins", "etc-docker/plugins", "run-containerd", "data", "exec"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o711); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	runcPath := filepath.Join(dir, "runc-nosysres")
	if err := os.WriteFile(runcPath, []byte(strings.Replace(runcWrapper, "RUNC", runc, 1)), 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg := map[string]any{
		"runtimes":        map[string]any{"runc-nosysres": map[string]string{"path": runcPath}},
		"default-runtime": "runc-nosysres",
	}
	args := []string{
		"--config-file", filepath.Join(dir, "daemon.json"),
		"--host", d.Host,
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"--cgroup-parent", d.cgroup,
		"--shutdown-timeout", "2",
		"--log-level", "warn",
	}
	if opts.ICC != nil {
		args = append(args, "--icc="+strconv.FormatBool(*opts.ICC))
	}
	if opts.NoNewPrivileges {
		args = append(args, "--no-new-privileges")
	}
	for _, u := range opts.DefaultUlimits {
		args = append(args, "--default-ulimit", u)
	}
	env := append(os.Environ(), "DG_DIR="+dir, "DG_IP="+ipCommand(), "DG_DOCKERD="+dockerd, "DG_SWARM_ADDR="+SwarmAddr)
	if opts.UsernsRemap {
		group := remapGroup()
		subid := filepath.Join(dir, "subid")
		err := os.Mkdir(subid, 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(subid, "subuid"), []byte(remapUser+":3000000:65536\n"), 0o644)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(subid, "subgid"), []byte(remapUser+":3000000:65536\n"), 0o644)
		}
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		env = append(env, "DG_SUBID="+subid)
		args = append(args, "--userns-remap", remapUser+":"+group)
	}
	var names []string
	for _, p := range opts.AuthzPlugins {
		srv, err := servePlugin(filepath.Join(dir, "run-docker", "plugins", p.Name+".sock"), p.Handler)
		if err != nil {
			d.closePlugins()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("authorization plugin %s: %w", p.Name, err)
		}
		d.servers = append(d.servers, srv)
		names = append(names, p.Name)
	}
	if len(names) > 0 {
		cfg["authorization-plugins"] = names
	}
	args = append(args, opts.Flags...)
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), b, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	logf, err := os.Create(d.Log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command("/bin/sh", append([]string{"-c", wrapper, "dockerd"}, args...)...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Unshareflags with CLONE_NEWNS also makes every mount private,
		// so nothing the daemon mounts reaches the host.
		Unshareflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET,
		Setpgid:      true,
		// A test binary killed by -timeout takes its daemon along.
		Pdeathsig: syscall.SIGTERM,
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		d.closePlugins()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start dockerd: %w", err)
	}
	d.cmd, d.Pid = cmd, cmd.Process.Pid
	go func() { _ = cmd.Wait(); close(d.exited) }()
	// The daemon's own mount namespace, to find what it leaves behind;
	// never the test's, which holds every other process.
	self, _ := os.Readlink("/proc/self/ns/mnt")
	if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", d.Pid)); err == nil && ns != self {
		// Held open until the daemon is stopped: a namespace's inode
		// number is reused once the namespace is gone, and a daemon of
		// another test that got it would be killed as a leftover.
		if f, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", d.Pid)); err == nil {
			if now, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", d.Pid)); err == nil && now == ns {
				d.mntNS, d.mntNSFile = ns, f
			} else {
				f.Close()
			}
		}
	}

	c, err := client.New(client.WithHost(d.Host))
	if err != nil {
		return d, err
	}
	d.Client = c
	if err := d.waitReady(t0, 60*time.Second); err != nil {
		return d, err
	}
	d.StartTime = time.Since(t0)
	return d, nil
}

// waitReady polls the API socket until the daemon answers.
func (d *Daemon) waitReady(t0 time.Time, limit time.Duration) error {
	sock := strings.TrimPrefix(d.Host, "unix://")
	for {
		select {
		case <-d.exited:
			return fmt.Errorf("dockerd exited during startup: %s", d.tail())
		default:
		}
		if _, err := os.Stat(sock); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := d.Client.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
			cancel()
			if err == nil {
				return nil
			}
		}
		if time.Since(t0) > limit {
			return fmt.Errorf("dockerd did not answer within %v: %s", limit, d.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail is the end of the daemon's log, for error messages.
func (d *Daemon) tail() string {
	b, _ := os.ReadFile(d.Log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "dockerd log " + d.Log + ":\n" + strings.Join(lines, "\n")
}

func servePlugin(sock string, h http.Handler) (*http.Server, error) {
	l, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}

func (d *Daemon) closePlugins() {
	for _, s := range d.servers {
		_ = s.Close()
	}
}

// stop ends the daemon by its pid (SIGTERM, then SIGKILL), then every
// process left in its containers' cgroup or its mount namespace, and
// removes its folder.
func (d *Daemon) stop() error {
	var errs []error
	if d.Client != nil {
		d.Client.Close()
	}
	if d.cmd != nil {
		_ = syscall.Kill(d.Pid, syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(d.Pid, syscall.SIGKILL)
			<-d.exited
			errs = append(errs, errors.New("dockerd did not stop on SIGTERM within 30s; killed"))
		}
		d.killLeftovers()
	}
	if d.mntNSFile != nil {
		d.mntNSFile.Close()
	}
	d.closePlugins()
	if err := os.RemoveAll(d.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// killLeftovers ends, by pid, processes this daemon started that outlived
// it: container processes (in its cgroup parent) and shims (in its mount
// namespace), then removes the cgroups.
func (d *Daemon) killLeftovers() {
	pids := map[int]bool{}
	cgroupDirs := cgroupDirs(d.cgroup)
	for _, dir := range cgroupDirs {
		_ = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && e.Name() == "cgroup.procs" {
				b, _ := os.ReadFile(p)
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil {
						pids[pid] = true
					}
				}
			}
			return nil
		})
	}
	if d.mntNS != "" {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid)); err == nil && ns == d.mntNS {
				pids[pid] = true
			}
		}
	}
	for pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, dir := range cgroupDirs {
		removeCgroup(dir, deadline)
	}
}

// cgroupDirs are the folders of a cgroup path in every mounted hierarchy
// (cgroup v1 has one per controller; v2 has one).
func cgroupDirs(path string) []string {
	var out []string
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	roots = append(roots, "/sys/fs/cgroup")
	for _, r := range roots {
		p := filepath.Join(r, path)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			out = append(out, p)
		}
	}
	return out
}

// removeCgroup removes a cgroup folder and its children, deepest first,
// retrying while killed processes are still leaving it.
func removeCgroup(dir string, deadline time.Time) {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		for {
			err := syscall.Rmdir(dirs[i])
			if err == nil || errors.Is(err, syscall.ENOENT) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
