// Package compose loads compose files the way `docker compose` does and turns
// each service into a container spec.
//
// Loading is compose-go's (github.com/compose-spec/compose-go/v2): the same
// interpolation, `.env` and --env-file handling, profiles, `extends`,
// `include` and merge rules for several -f files as `docker compose`.
// What compose-go does not keep, where each value was written, comes from
// this package's own parse of the same files (see index.go), which also
// guards them (size, alias bombs, nesting) before compose-go sees them.
// Nothing here judges security: it only produces specs.
package compose

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/yamlpos"
	"github.com/sirupsen/logrus"
)

// Options say which files make the project, like `docker compose` flags.
type Options struct {
	// Files are the -f files, in order; merged like
	// `docker compose -f a -f b`.
	Files []string
	// EnvFiles are --env-file files; by default the project directory's
	// .env, when there is one.
	EnvFiles []string
	// Profiles are the --profile names; by default COMPOSE_PROFILES from
	// the environment.
	Profiles []string
	// WorkingDir is the project directory; by default the first file's
	// directory.
	WorkingDir string
	// Environ is the process environment (KEY=VALUE) interpolation sees
	// before the env files, as `docker compose` does with its own. It is
	// empty by default, so an audit depends only on the files and never on
	// (nor leaks) the environment dockguard runs in; pass os.Environ() for
	// exactly what `docker compose` would do in this shell.
	Environ []string
	// MaxFileSize caps every file read (compose, include, extends, env
	// files); inputs.MaxFileSize (8 MiB) when 0.
	MaxFileSize int64
}

// Service is one service as it will run.
type Service struct {
	Name string
	// Spec is the container in Engine API types, with positions. Subject is
	// {service, Name}; Origin is the service key in the last -f file that
	// defines the service. Spec.Image is left for the caller, which joins
	// the Dockerfile (below) when there is one.
	Spec *container.Spec
	// Dockerfile is the Dockerfile the service builds from (build context +
	// dockerfile), "" when the service does not build or the Dockerfile
	// cannot be read from here (remote context, dockerfile_inline, missing
	// context: a note says so).
	Dockerfile string
	// BuildContext is the build context directory, BuildTarget build.target.
	BuildContext string
	BuildTarget  string
	// EnvFiles are the variables of the service's env_file files, with
	// their file and line (they are also in Spec.Config.Env when the
	// service's own environment does not override them).
	EnvFiles []facts.EnvVar
	// BuildArgs are build.args, with positions; Dynamic when listed without
	// a value.
	BuildArgs []facts.EnvVar
	// UsesSecrets is set when the service receives secrets as files.
	UsesSecrets bool
	// Profiles are the service's profiles (it is active: a service whose
	// profiles are all inactive is not listed).
	Profiles []string
}

// Project is the loaded project.
type Project struct {
	Name string
	// Files are the -f files as given.
	Files    []string
	Services []*Service
	// Networks are the networks services join, by their compose key.
	Networks map[string]*facts.Network
	// Notes are what could not be decided: variables with no value,
	// unreadable build contexts, services left out by their profiles.
	Notes []facts.Note
	// Errors are problems that did not stop the load (an env_file that is
	// missing or too large).
	Errors []*inputs.Error
}

var silenceLogrus sync.Once

// loadState is one Load: the files read so far and how paths are shown.
type loadState struct {
	ctx     context.Context
	limit   int64
	cwd     string
	absView bool // show absolute paths (the user gave absolute -f paths)
	files   []*yamlFile
	byAbs   map[string]*yamlFile
	given   map[string]string // absolute path → -f path as given
	// refs are files named by include or extends, with where.
	refs map[string]facts.Location
}

// Load reads and merges the files. A file that cannot be read or parsed, or
// that compose rejects, is an *inputs.Error with its path (and line, found
// through the file's YAML nodes when compose-go gives only a key path).
func Load(ctx context.Context, opt Options) (*Project, error) {
	silenceLogrus.Do(func() {
		// compose-go logs warnings through logrus' global logger; they
		// would land on the user's terminal in the middle of a report.
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})
	if len(opt.Files) == 0 {
		return nil, &inputs.Error{Message: "compose: no compose file given"}
	}
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "/"
	}
	ld := &loadState{
		ctx:     ctx,
		limit:   opt.MaxFileSize,
		cwd:     cwd,
		absView: filepath.IsAbs(opt.Files[0]),
		byAbs:   map[string]*yamlFile{},
		given:   map[string]string{},
		refs:    map[string]facts.Location{},
	}
	if ld.limit <= 0 {
		ld.limit = inputs.MaxFileSize
	}
	var abs []string
	for _, f := range opt.Files {
		a := absUnder(cwd, f)
		abs = append(abs, a)
		if _, ok := ld.given[a]; !ok {
			ld.given[a] = filepath.Clean(f)
		}
	}
	workDir := filepath.Dir(abs[0])
	if opt.WorkingDir != "" {
		workDir = absUnder(cwd, opt.WorkingDir)
	}

	e, err := ld.environment(opt, workDir)
	if err != nil {
		return nil, err
	}
	var files []*yamlFile
	for _, a := range abs {
		f, err := ld.readFile(a)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, &inputs.Error{Path: ld.display(a), Message: "no such file or directory"}
			}
			return nil, err
		}
		files = append(files, f)
	}

	ix := &indexer{ld: ld}
	positions := newScope()
	for _, f := range files {
		sc, err := ix.fileScope(f, e, workDir, 0, []string{f.abs})
		if err != nil {
			return nil, err
		}
		positions.overlay(sc)
	}

	profiles := opt.Profiles
	if len(profiles) == 0 && e["COMPOSE_PROFILES"] != "" {
		for _, p := range strings.Split(e["COMPOSE_PROFILES"], ",") {
			if p = strings.TrimSpace(p); p != "" {
				profiles = append(profiles, p)
			}
		}
	}
	cp, err := ld.compose(files, e, workDir, profiles)
	if err != nil {
		return nil, ld.composeError(err, files)
	}

	p := &Project{Name: cp.Name, Networks: map[string]*facts.Network{}}
	for _, f := range opt.Files {
		p.Files = append(p.Files, filepath.Clean(f))
	}
	for _, name := range sortedKeys(cp.Services) {
		si := newServiceIndex()
		if x := positions.services[name]; x != nil {
			si = x.live()
		}
		b := &specBuilder{ld: ld, proj: cp, svc: cp.Services[name], si: si, workDir: workDir, env: e}
		p.Services = append(p.Services, b.build())
		p.Notes = append(p.Notes, b.notes...)
		p.Errors = append(p.Errors, b.errs...)
	}
	sort.SliceStable(p.Services, func(i, j int) bool {
		a, b := positionsOf(positions, p.Services[i].Name), positionsOf(positions, p.Services[j].Name)
		if a != b {
			return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
		}
		return p.Services[i].Name < p.Services[j].Name
	})
	for _, name := range sortedKeys(cp.DisabledServices) {
		s := cp.DisabledServices[name]
		at := facts.Location{Path: ld.display(files[0].abs)}
		if si := positions.services[name]; si != nil {
			at = si.origin
		}
		p.Notes = append(p.Notes, facts.Note{At: at, Message: fmt.Sprintf("service %s is not audited: its profiles (%s) are not active", name, strings.Join(s.Profiles, ", "))})
	}
	for _, n := range ix.notes {
		if n.service == "" {
			p.Notes = append(p.Notes, n.Note)
			continue
		}
		if _, ok := cp.Services[n.service]; !ok {
			continue
		}
		if si := positions.services[n.service]; n.scalar && si != nil && si.keys[n.key].at != n.keyAt {
			continue // a later definition replaced the value
		}
		p.Notes = append(p.Notes, n.Note)
	}
	for _, f := range files {
		if f.legacy {
			p.Notes = append(p.Notes, facts.Note{At: facts.Location{Path: f.display}, Message: "legacy compose file format (version 1, services at the top level): read as the current format"})
		}
	}
	p.Networks = networks(cp, positions, files[0])
	used := map[string]bool{}
	for _, s := range cp.Services {
		for n := range s.Networks {
			used[n] = true
		}
	}
	for n := range p.Networks {
		if !used[n] {
			delete(p.Networks, n)
		}
	}
	p.Notes = dedupeNotes(p.Notes)
	sort.SliceStable(p.Notes, func(i, j int) bool {
		a, b := p.Notes[i].At, p.Notes[j].At
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	return p, nil
}

func positionsOf(sc *scope, name string) [2]int {
	if si := sc.services[name]; si != nil {
		return si.order
	}
	return [2]int{1 << 30, 0}
}

// dedupeNotes drops repeated notes: the same message on the same line
// (a service's unknown field and the variable behind it) is said once.
func dedupeNotes(notes []facts.Note) []facts.Note {
	seen := map[string]bool{}
	var out []facts.Note
	for _, n := range notes {
		k := fmt.Sprintf("%s\x00%d\x00%s", n.At.Path, n.At.Line, n.Message)
		if !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	return out
}

// environment builds the interpolation environment: the given process
// environment, then the env files (--env-file, or the project's .env).
func (ld *loadState) environment(opt Options, workDir string) (env, error) {
	base := env{}
	for _, kv := range opt.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			base[k] = v
		}
	}
	var paths []string
	for _, f := range opt.EnvFiles {
		paths = append(paths, absUnder(ld.cwd, f))
	}
	if len(opt.EnvFiles) == 0 {
		dotenv := filepath.Join(workDir, ".env")
		if st, err := os.Stat(dotenv); err == nil && !st.IsDir() {
			paths = append(paths, dotenv)
		}
	}
	displays := make([]string, len(paths))
	for i, p := range paths {
		displays[i] = ld.display(p)
	}
	return readEnvFilesLimit(paths, displays, base, ld.limit)
}

// readFile reads, guards and parses one compose file (once per Load). A
// file that does not exist is the os error, so callers can tell it apart.
func (ld *loadState) readFile(abs string) (*yamlFile, error) {
	if f, ok := ld.byAbs[abs]; ok {
		return f, nil
	}
	if err := ld.ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil && os.IsNotExist(err) {
		return nil, err
	}
	display := ld.display(abs)
	data, err := inputs.Read(abs, ld.limit)
	if err != nil {
		if ie, ok := err.(*inputs.Error); ok {
			ie.Path = display
		}
		return nil, err
	}
	pf, err := yamlpos.Parse(display, data)
	if err != nil {
		if ye, ok := err.(*yamlpos.Error); ok {
			return nil, ye.Input()
		}
		return nil, err
	}
	docs := pf.Docs
	f := &yamlFile{abs: abs, display: display, data: data, pos: pf, docs: docs}
	for _, d := range docs {
		if isLegacy(d) {
			convertLegacy(d)
			f.legacy = true
		}
	}
	if f.legacy {
		if f.data, err = encodeDocs(docs); err != nil {
			return nil, &inputs.Error{Path: display, Message: "cannot convert the legacy compose format: " + err.Error()}
		}
	}
	ld.byAbs[abs] = f
	ld.files = append(ld.files, f)
	return f, nil
}

// order is a file's place in load order.
func (ld *loadState) order(f *yamlFile) int {
	for i, x := range ld.files {
		if x == f {
			return i
		}
	}
	return len(ld.files)
}

// display is how a path is shown: a -f file as given; other files
// relative to the current directory when the -f files were relative and the
// file is below it, else absolute.
func (ld *loadState) display(abs string) string {
	if g, ok := ld.given[abs]; ok {
		return g
	}
	if ld.absView {
		return abs
	}
	rel, err := filepath.Rel(ld.cwd, abs)
	if err != nil {
		return abs
	}
	return rel
}

// compose runs compose-go on the files already read.
func (ld *loadState) compose(files []*yamlFile, e env, workDir string, profiles []string) (proj *types.Project, err error) {
	defer func() {
		// compose-go is third-party code fed untrusted input: a panic there
		// is this project's error, not the end of the audit.
		if r := recover(); r != nil {
			proj, err = nil, fmt.Errorf("compose-go failed: %v", r)
		}
	}()
	details := types.ConfigDetails{WorkingDir: workDir, Environment: types.Mapping{}}
	for k, v := range e {
		details.Environment[k] = v
	}
	for _, f := range files {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: f.abs, Content: f.data})
	}
	name, explicit := loader.NormalizeProjectName(filepath.Base(workDir)), false
	if n := loader.NormalizeProjectName(e["COMPOSE_PROJECT_NAME"]); n != "" {
		name, explicit = n, true
	}
	if name == "" {
		name = "default"
	}
	st := &interpolation{}
	return loader.LoadWithContext(ld.ctx, details, func(o *loader.Options) {
		o.SetProjectName(name, explicit)
		o.Profiles = profiles
		o.ResolvePaths = true
		// The consistency check refuses projects that `docker compose
		// config` would refuse too, but it also refuses a service whose
		// image is a variable with no value: that is an unknown here.
		o.SkipConsistencyCheck = true
		// env_file and label_file are read here instead, with size caps
		// and positions.
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.Interpolate = st.options(o.Interpolate)
	})
}
