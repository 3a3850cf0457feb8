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
	"path/filepath"
	"strconv"

	"github.com/moby/moby/api/types/system"

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

// builder fills in one Host fact. Each source has its file: api.go (the
// Engine API), proc.go (finding dockerd), settings.go (its flags and
// daemon.json), listeners.go (where it listens, its socket), lsm.go
// (SELinux, AppArmor) and packages.go (installed packages).
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

// hostPath maps an absolute path on the host to where it is read.
func hostPath(root, p string) string {
	if root == "" || root == "/" {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// readCapped reads a host file that is expected to be small and regular,
// refusing anything larger than max or not regular: a host's files are
// input, and one of them must not exhaust the audit's memory.
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

// errText is an error without the path an *os.PathError repeats: the
// location that goes with it already names the file.
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
