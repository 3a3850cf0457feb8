// Package hostview looks at the host the way the Docker daemon will: bind
// sources are resolved in dockerd's own mount namespace (through
// /proc/<pid>/root, one component at a time, so that symlinks and `..`
// mean what they mean to the kernel when the daemon mounts them), and
// sockets are known by what they are (device and inode), not by their
// names.
//
// The daemon's PID comes from the peer credentials (SO_PEERCRED) of its
// unix socket: whoever listens there is the daemon that acts on the
// requests dockguard judges.
package hostview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Socket kinds a bind source can be (or hold).
const (
	SocketEngine = "engine" // the daemon's own API, or containerd's
	SocketProxy  = "proxy"  // a dockguard proxy's listener
	SocketOther  = "other"  // any other socket
)

// maxLinks is the kernel's limit on symlinks followed in one lookup.
const maxLinks = 40

// maxScan bounds how many entries of a bound folder are looked at for a
// hard link of the daemon's socket.
const maxScan = 4096

// View is the daemon's host as the daemon sees it.
type View struct {
	// Pid is dockerd's process ID (0: not known).
	Pid int
	// Root is the folder that stands for the daemon's "/":
	// /proc/<pid>/root, or "/" (dockguard's own mount namespace) when
	// that cannot be read, and Note says why.
	Root string
	Note string
	// DataRoot and ExecRoot are the daemon's folders, resolved in its
	// namespace.
	DataRoot, ExecRoot string
	// Engine are the daemon's listeners and containerd's sockets; Proxy
	// are the unix sockets dockguard's proxy serves.
	Engine, Proxy []Socket
	// NoNewPrivileges is the daemon's default for containers
	// (daemon.json "no-new-privileges", --no-new-privileges).
	NoNewPrivileges bool

	// The host's ordinary-ID floors and privileged groups, read once per
	// view (a view is kept for seconds, not for the daemon's life).
	idOnce, privOnce sync.Once
	uidMin, gidMin   uint32
	priv             map[uint32]string
}

// Socket is one listener, known by its inode.
type Socket struct {
	Path string
	id   fileID
	// above are the folders that hold it ("/" excepted), by inode: a
	// bind of any of them, under any name, reaches the socket.
	above []fileID
}

type fileID struct{ dev, ino uint64 }

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// DaemonPID finds dockerd behind its socket. A socket systemd created
// (docker.socket, fd://) has systemd as its peer: then the pid file names
// the daemon.
func DaemonPID(sock string) (int, string, error) {
	pid, err := PeerPID(sock)
	if err != nil {
		return 0, "", err
	}
	if c := comm(pid); c == "dockerd" {
		return pid, "", nil
	}
	for _, f := range []string{"/run/docker.pid", "/var/run/docker.pid"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && comm(p) == "dockerd" {
			return p, fmt.Sprintf("the socket's peer is %s (pid %d); the daemon is pid %d from %s", comm(pid), pid, p, f), nil
		}
	}
	return pid, fmt.Sprintf("the socket's peer is %q (pid %d), not dockerd", comm(pid), pid), nil
}

// Discover builds the view of the daemon behind sock (a unix socket path
// in dockguard's namespace). dataRoot is the daemon's answer to Info
// (DockerRootDir), "" when not known; proxy lists dockguard's own proxy
// sockets.
func Discover(sock, dataRoot string, proxy []string) *View {
	v := &View{Root: "/"}
	var notes []string
	pid, why, err := DaemonPID(sock)
	switch {
	case err != nil:
		notes = append(notes, "the daemon's PID cannot be read from "+sock+": "+err.Error())
	default:
		if why != "" {
			notes = append(notes, why)
		}
		root := fmt.Sprintf("/proc/%d/root", pid)
		if _, err := os.Stat(root + "/"); err != nil {
			notes = append(notes, "the daemon's root "+root+" cannot be read ("+err.Error()+")")
		} else {
			v.Pid, v.Root = pid, root
		}
	}
	if v.Root == "/" {
		notes = append(notes, "bind sources are resolved in dockguard's own mount namespace")
	}
	v.Note = strings.Join(notes, "; ")

	var args []string
	if v.Pid > 0 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", v.Pid))
		args = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	}
	flags := parseFlags(args)
	conf := readDaemonJSON(v, first(flags["config-file"], "/etc/docker/daemon.json"))

	dataRoot = first([]string{dataRoot}, first(flags["data-root"], first(flags["graph"], conf.DataRoot)))
	if dataRoot == "" {
		dataRoot = "/var/lib/docker"
	}
	execRoot := first(flags["exec-root"], conf.ExecRoot)
	v.NoNewPrivileges = conf.NoNewPrivileges || len(flags["no-new-privileges"]) > 0
	if execRoot == "" {
		execRoot = "/var/run/docker"
	}
	v.DataRoot, v.ExecRoot = v.resolveOr(dataRoot), v.resolveOr(execRoot)

	var hosts []string
	hosts = append(hosts, flags["host"]...)
	hosts = append(hosts, conf.Hosts...)
	paths := []string{"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
		path.Join(v.ExecRoot, "containerd", "containerd.sock")}
	for _, h := range hosts {
		if p, ok := strings.CutPrefix(h, "unix://"); ok && p != "" {
			paths = append(paths, p)
		}
	}
	paths = append(paths, flags["containerd"]...)
	if conf.Containerd != "" {
		paths = append(paths, conf.Containerd)
	}
	seen := map[fileID]bool{}
	for _, p := range paths {
		if s, ok := v.socketAt(p); ok && !seen[s.id] {
			seen[s.id] = true
			v.Engine = append(v.Engine, s)
		}
	}
	// The socket dockguard itself talks to, as dockguard reaches it.
	if s, ok := localSocket(sock); ok && !seen[s.id] {
		seen[s.id] = true
		v.Engine = append(v.Engine, s)
	}
	for _, p := range proxy {
		if s, ok := localSocket(p); ok {
			v.Proxy = append(v.Proxy, s)
		}
	}
	return v
}

func first(list []string, def string) string {
	for _, s := range list {
		if s != "" {
			return s
		}
	}
	return def
}

// parseFlags reads dockerd's command line as its flag parser does
// (--name value, --name=value, -H value, -H=value, -Hvalue) for the flags
// that name paths.
func parseFlags(args []string) map[string][]string {
	long := map[string]bool{"host": true, "data-root": true, "graph": true, "exec-root": true, "containerd": true, "config-file": true}
	short := map[string]string{"H": "host", "g": "graph"}
	out := map[string][]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		var name, val string
		hasVal := false
		switch {
		case strings.HasPrefix(a, "--"):
			name, val, hasVal = strings.Cut(a[2:], "=")
			if !long[name] {
				continue
			}
		case strings.HasPrefix(a, "-") && len(a) >= 2:
			n, ok := short[a[1:2]]
			if !ok {
				continue
			}
			name = n
			if rest := a[2:]; rest != "" {
				val, hasVal = strings.TrimPrefix(rest, "="), true
			}
		default:
			continue
		}
		if !hasVal && i+1 < len(args) {
			i++
			val = args[i]
		}
		out[name] = append(out[name], val)
	}
	return out
}

type daemonJSON struct {
	NoNewPrivileges bool     `json:"no-new-privileges"`
	Hosts           []string `json:"hosts"`
	DataRoot        string   `json:"data-root"`
	ExecRoot        string   `json:"exec-root"`
	Containerd      string   `json:"containerd"`
}

// readDaemonJSON reads the daemon's configuration file as the daemon sees
// it; one that cannot be read adds nothing.
func readDaemonJSON(v *View, p string) daemonJSON {
	var c daemonJSON
	r, err := Resolve(v.Root, p)
	if err != nil {
		return c
	}
	f, err := os.Open(v.Join(r))
	if err != nil {
		return c
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	_ = json.NewDecoder(bytes.NewReader(b)).Decode(&c)
	return c
}

// Join returns the path, in dockguard's namespace, of a path resolved in
// the daemon's.
func (v *View) Join(resolved string) string {
	if v.Root == "/" || v.Root == "" {
		return resolved
	}
	return v.Root + resolved
}

func (v *View) resolveOr(p string) string {
	if r, err := Resolve(v.Root, p); err == nil {
		return r
	}
	return path.Clean(p)
}

// socketAt records the socket at p in the daemon's namespace.
func (v *View) socketAt(p string) (Socket, bool) {
	r, err := Resolve(v.Root, p)
	if err != nil {
		return Socket{}, false
	}
	fi, err := os.Lstat(v.Join(r))
	if err != nil || fi.Mode()&fs.ModeSocket == 0 {
		return Socket{}, false
	}
	id, ok := idOf(fi)
	if !ok {
		return Socket{}, false
	}
	s := Socket{Path: r, id: id}
	for d := path.Dir(r); d != "/"; d = path.Dir(d) {
		if fi, err := os.Lstat(v.Join(d)); err == nil {
			if id, ok := idOf(fi); ok {
				s.above = append(s.above, id)
			}
		}
	}
	return s, true
}

// localSocket records a socket as dockguard reaches it.
func localSocket(p string) (Socket, bool) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return Socket{}, false
	}
	self := &View{Root: "/"}
	return self.socketAt(r)
}

// Resolve returns where the kernel leads p when the lookup starts at root
// ("/", or /proc/<pid>/root for another mount namespace): every symlink,
// in the last component and in its parents, is followed within root
// (an absolute target starts again at root, as it would for a process
// whose "/" root is), and `..` is taken after the symlinks before it, as
// the kernel takes it. A component that does not exist ends the walk: the
// rest is appended as written, cleaned (the daemon creates a missing bind
// source as a folder). Any other failure (permission, a loop, a file
// where a folder is needed) is an error: the path cannot be judged.
func Resolve(root, p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%q is not an absolute path", p)
	}
	if len(p) > 4096 {
		return "", errors.New("the path is longer than the kernel takes")
	}
	join := func(r string) string {
		if root == "/" || root == "" {
			return r
		}
		return root + r
	}
	rest := strings.Split(p, "/")
	cur := "/"
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		fi, err := os.Lstat(join(next))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return path.Join(append([]string{next}, rest...)...), nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(rest) > 0 && !fi.IsDir() && hasComponent(rest) {
				return "", fmt.Errorf("%s is not a folder", next)
			}
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", fmt.Errorf("more than %d symlinks (a loop)", maxLinks)
		}
		target, err := os.Readlink(join(next))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return cur, nil
}

func hasComponent(rest []string) bool {
	for _, c := range rest {
		if c != "" && c != "." {
			return true
		}
	}
	return false
}

// Mount is what a bind source is on the daemon's host.
type Mount struct {
	// Resolved is where the kernel leads the source in the daemon's
	// namespace.
	Resolved string
	// Exists is false when nothing is there yet (the daemon creates a
	// folder).
	Exists bool
	// Socket is SocketEngine, SocketProxy or SocketOther when the source
	// is a socket, or a folder that holds the daemon's or the proxy's;
	// SocketPath names it and Holds says it is a folder above it.
	Socket, SocketPath string
	Holds              bool
	// DaemonRoot names the daemon's data-root or exec-root when the
	// source is one, lies under one, or holds one.
	DaemonRoot string
}

// Look resolves a bind source and says what it is. The daemon cleans a
// bind source lexically before it mounts it (`a/link/..` is `a`), so the
// caller passes the cleaned path; `..` in symlink targets is the
// kernel's, and Resolve takes it so.
func (v *View) Look(src string) (Mount, error) {
	r, err := Resolve(v.Root, src)
	if err != nil {
		return Mount{}, err
	}
	m := Mount{Resolved: r, DaemonRoot: v.DaemonRootOf(r)}
	fi, err := os.Lstat(v.Join(r))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, nil
		}
		return Mount{}, err
	}
	m.Exists = true
	id, ok := idOf(fi)
	if !ok {
		return m, nil
	}
	switch {
	case fi.Mode()&fs.ModeSocket != 0:
		m.Socket, m.SocketPath = SocketOther, r
		for _, s := range v.Proxy {
			if s.id == id {
				m.Socket, m.SocketPath = SocketProxy, s.Path
			}
		}
		for _, s := range v.Engine {
			if s.id == id {
				m.Socket, m.SocketPath = SocketEngine, s.Path
			}
		}
	case fi.IsDir():
		for _, s := range v.Proxy {
			if holds(s, id) {
				m.Socket, m.SocketPath, m.Holds = SocketProxy, s.Path, true
			}
		}
		for _, s := range v.Engine {
			if holds(s, id) {
				m.Socket, m.SocketPath, m.Holds = SocketEngine, s.Path, true
			}
		}
		if m.Socket != SocketEngine {
			if p := v.scan(r); p != "" {
				m.Socket, m.SocketPath, m.Holds = SocketEngine, p, true
			}
		}
	}
	return m, nil
}

// DaemonRootOf names the daemon's data-root or exec-root ("data-root
// /var/lib/docker") when p, a path in the daemon's namespace, is one,
// lies under one, or holds one; "" otherwise.
func (v *View) DaemonRootOf(p string) string {
	p = path.Clean(p)
	for _, d := range []struct{ name, p string }{{"data-root", v.DataRoot}, {"exec-root", v.ExecRoot}} {
		if d.p != "" && (p == d.p || under(p, d.p) || under(d.p, p)) {
			return d.name + " " + d.p
		}
	}
	return ""
}

func holds(s Socket, dir fileID) bool {
	for _, a := range s.above {
		if a == dir {
			return true
		}
	}
	return false
}

// scan looks for a hard link of the daemon's socket among a folder's own
// entries (not deeper): a link made under another name in a folder that
// is then bound.
func (v *View) scan(dir string) string {
	if len(v.Engine) == 0 {
		return ""
	}
	f, err := os.Open(v.Join(dir))
	if err != nil {
		return ""
	}
	defer f.Close()
	ents, _ := f.ReadDir(maxScan)
	for _, e := range ents {
		if e.Type()&fs.ModeSocket == 0 {
			continue
		}
		fi, err := os.Lstat(v.Join(path.Join(dir, e.Name())))
		if err != nil {
			continue
		}
		id, ok := idOf(fi)
		if !ok {
			continue
		}
		for _, s := range v.Engine {
			if s.id == id {
				return path.Join(dir, e.Name())
			}
		}
	}
	return ""
}

// under reports whether p lies strictly below dir.
func under(p, dir string) bool {
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}

// Swappable names a folder on the way to p (written or where it leads, in
// the daemon's namespace) in which a user other than root can replace the
// next component with a symlink: a folder not owned by root, or writable
// by its group or by everyone (a sticky folder only lets an entry's owner
// replace it, so there the entry's owner counts). Between dockguard's
// decision and the daemon's mount, such a user can point the bind
// anywhere; "" when only root can.
func (v *View) Swappable(p string) string {
	for _, q := range []string{path.Clean(p), v.resolveOr(path.Clean(p))} {
		parts := strings.Split(strings.TrimPrefix(q, "/"), "/")
		dir := "/"
		for _, c := range parts {
			if c == "" {
				continue
			}
			next := path.Join(dir, c)
			dfi, err := os.Lstat(v.Join(dir))
			if err != nil {
				break
			}
			if why := replaceable(dfi, v.Join(next)); why != "" {
				return dir + " (" + why + ")"
			}
			fi, err := os.Lstat(v.Join(next))
			if err != nil || !fi.IsDir() {
				break // a symlink is followed in the resolved path
			}
			dir = next
		}
	}
	return ""
}

// replaceable says why a user other than root can replace entry in the
// folder dfi describes ("" when only root can).
func replaceable(dfi fs.FileInfo, entry string) string {
	uid, gid, ok := owner(dfi)
	if !ok {
		return ""
	}
	mode := dfi.Mode()
	switch {
	case uid != 0:
		return fmt.Sprintf("owned by UID %d", uid)
	case mode&0o002 != 0 || mode&0o020 != 0 && gid != 0:
		if mode&fs.ModeSticky != 0 {
			if efi, err := os.Lstat(entry); err == nil {
				if euid, _, ok := owner(efi); ok && euid != 0 {
					return fmt.Sprintf("sticky and writable by others, and its entry is owned by UID %d", euid)
				}
				return ""
			}
			return "sticky and writable by others, and no one holds the name yet: whoever creates it first chooses what it is"
		}
		return "writable by others than root"
	}
	return ""
}

// privilegedGroupNames are host groups whose members reach what root
// guards: the password hashes, the disks, the daemon, the kernel log and
// memory, administration.
var privilegedGroupNames = map[string]bool{"root": true, "shadow": true, "disk": true, "docker": true, "kmem": true, "adm": true,
	"sudo": true, "wheel": true, "lxd": true, "libvirt": true, "systemd-journal": true, "sys": true, "tty": true, "utmp": true, "admin": true}

// PrivilegedGIDs are the host's privileged groups by GID: those named in
// privilegedGroupNames in the daemon's /etc/group, and the groups that own
// the daemon's and containerd's sockets.
func (v *View) PrivilegedGIDs() map[uint32]string {
	v.privOnce.Do(func() { v.priv = v.privilegedGIDs() })
	return v.priv
}

func (v *View) privilegedGIDs() map[uint32]string {
	out := map[uint32]string{0: "root"}
	if r, err := Resolve(v.Root, "/etc/group"); err == nil {
		if b, err := os.ReadFile(v.Join(r)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Split(strings.TrimSpace(line), ":")
				if len(f) >= 3 && privilegedGroupNames[f[0]] {
					if n, err := strconv.ParseUint(f[2], 10, 32); err == nil {
						out[uint32(n)] = f[0]
					}
				}
			}
		}
	}
	for _, s := range v.Engine {
		if fi, err := os.Stat(v.Join(s.Path)); err == nil {
			if _, gid, ok := owner(fi); ok {
				out[gid] = "group of " + s.Path
			}
		}
	}
	return out
}

// IDMin is the host's first UID and GID of ordinary users (login.defs
// UID_MIN and GID_MIN, 1000 where it says nothing): below them are the
// system users and groups services run as.
func (v *View) IDMin() (uid, gid uint32) {
	v.idOnce.Do(func() { v.uidMin, v.gidMin = v.idMin() })
	return v.uidMin, v.gidMin
}

func (v *View) idMin() (uid, gid uint32) {
	uid, gid = 1000, 1000
	r, err := Resolve(v.Root, "/etc/login.defs")
	if err != nil {
		return uid, gid
	}
	b, err := os.ReadFile(v.Join(r))
	if err != nil {
		return uid, gid
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil || n == 0 {
			continue
		}
		switch f[0] {
		case "UID_MIN":
			uid = uint32(n)
		case "GID_MIN":
			gid = uint32(n)
		}
	}
	return uid, gid
}
