// Package audit finds the inputs a user names, reads each once, turns it into
// facts, and judges them, spreading the work over every core.
package audit

import (
	"context"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/source/image"
)

// Kinds of input.
const (
	KindDockerfile inputs.Kind = "dockerfile"
	KindCompose    inputs.Kind = "compose"
)

// Options are what the user asked for.
type Options struct {
	// Paths are files and folders; folders are searched for every kind of
	// input (see Kinds).
	Paths []string
	// ComposeFiles (-f) form one compose project, merged in order.
	ComposeFiles []string
	// EnvFiles (--env-file) and Profiles (--profile) apply to every compose
	// project.
	EnvFiles []string
	Profiles []string
	// RunLines are command lines given with --run.
	RunLines []string
	// Stdin is an input read from standard input, of a kind the user
	// names (`--stdin-type shell -`).
	Stdin   *Stdin
	Target  string
	Config  rules.Config
	MaxSize int64
	// Workers bounds parallelism; 0 means one per core.
	Workers int
	// Engines are Docker engines audited live (--engine, -H): their
	// containers, Swarm services, networks and host. Live tunes how they
	// are read (stopped containers, concurrency, progress).
	Engines []engine.Endpoint
	Live    engine.Options
	// Images are image references (--image), read with Image's options.
	Images []string
	Image  image.Options
	// Profile, when set, marks every finding that enforcement under that
	// profile (and EnforceRules, enforce.rules) would deny, and runs the
	// profile's rules that the configuration leaves off for the audit.
	Profile      rules.Profile
	EnforceRules map[string]string
}

// Note is information about an input that is not an error.
type Note struct {
	Path    string
	Line    int
	Index   int // for --run lines
	Message string
}

// Stdin is an input read from standard input.
type Stdin struct {
	Kind inputs.Kind
	Data []byte
	// Err is why standard input could not be read (too large, …).
	Err *inputs.Error
}

// StdinPath is the path of what standard input held, in findings.
const StdinPath = "<stdin>"

// Result is everything an audit found.
type Result struct {
	// Inputs counts the inputs audited; ByKind by kind (Kinds).
	Inputs int
	ByKind map[inputs.Kind]int
	// Skipped are folders and files left out (dependency folders, what
	// .dockguardignore matches) and files recognized but not audited
	// (Kubernetes manifests), sorted by path.
	Skipped  []inputs.Skipped
	Findings []rules.Finding
	Errors   []*inputs.Error
	Notes    []Note
	// Profile is the enforcement profile findings were marked for.
	Profile string
}

// MatchDockerfile recognizes Dockerfile names: Dockerfile, Dockerfile.*,
// Dockerfile-*, *.Dockerfile, *.dockerfile, Containerfile (and
// Containerfile.*). Per-Dockerfile ignore files (Dockerfile.dockerignore)
// are not Dockerfiles.
func MatchDockerfile(base string) inputs.Kind {
	if strings.HasSuffix(base, ".dockerignore") || strings.HasSuffix(base, ".containerignore") {
		return ""
	}
	switch {
	case base == "Dockerfile", base == "Containerfile", base == "dockerfile",
		strings.HasPrefix(base, "Dockerfile."), strings.HasPrefix(base, "Dockerfile-"),
		strings.HasPrefix(base, "Containerfile."),
		strings.HasSuffix(base, ".Dockerfile"), strings.HasSuffix(base, ".dockerfile"):
		return KindDockerfile
	}
	return ""
}

// MatchCompose recognizes compose file names: compose.yaml, compose.yml,
// docker-compose.yaml, docker-compose.yml, and their variants
// (compose.override.yaml, docker-compose.prod.yml, …).
func MatchCompose(base string) inputs.Kind {
	ext := filepath.Ext(base)
	if ext != ".yml" && ext != ".yaml" {
		return ""
	}
	stem := strings.TrimSuffix(base, ext)
	if stem == "compose" || stem == "docker-compose" || strings.HasPrefix(stem, "compose.") || strings.HasPrefix(stem, "docker-compose.") || strings.HasPrefix(stem, "docker-compose-") {
		return KindCompose
	}
	return ""
}

func match(base string) inputs.Kind {
	if k := MatchDockerfile(base); k != "" {
		return k
	}
	return MatchCompose(base)
}

// collector gathers results from parallel work.
type collector struct {
	mu  sync.Mutex
	res *Result
}

func (c *collector) add(findings []rules.Finding, notes []Note, errs ...*inputs.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Findings = append(c.res.Findings, findings...)
	c.res.Notes = append(c.res.Notes, notes...)
	for _, e := range errs {
		if e != nil {
			c.res.Errors = append(c.res.Errors, e)
		}
	}
}

// parallel runs fn(i) for i in [0,n) on the given number of workers.
func parallel(ctx context.Context, workers, n int, fn func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// Run audits the inputs. Problems with one input are collected in the
// result and the others are still audited.
func Run(ctx context.Context, opt Options) *Result {
	res := &Result{ByKind: map[inputs.Kind]int{}}
	col := &collector{res: res}
	var files []inputs.File
	if len(opt.Paths) > 0 {
		var errs []*inputs.Error
		files, res.Skipped, errs = inputs.Walk(ctx, opt.Paths, inputs.Options{
			Match: classify, Fallback: kindByContent, SkipDirs: skipDirs, IgnoreFile: IgnoreFile,
			Tentative: map[inputs.Kind]bool{kindMaybeShell: true, kindMaybeYAML: true},
		})
		col.add(nil, nil, errs...)
	}
	explicit := explicitFiles(opt.Paths)
	var dockerfiles, composeFiles []string
	var others []inputs.File
	var preread [][]byte
	for _, f := range files {
		if explicit[f.Path] && (f.Kind == kindMaybeShell || f.Kind == kindMaybeYAML) {
			// Named explicitly: always audited, by content.
			f.Kind = kindByContent
		}
		var data []byte
		if f.Kind == kindByContent {
			// Read now: the content decides whether it joins the
			// Dockerfiles, the compose files or the others.
			var err error
			if data, err = inputs.Read(f.Path, opt.MaxSize); err != nil {
				res.ByKind[KindDockerfile]++
				col.add(nil, nil, asInputError(f.Path, err))
				continue
			}
			kind, skip := byContent(f.Path, data)
			if skip != "" {
				res.Skipped = append(res.Skipped, inputs.Skipped{Path: f.Path, Reason: skip})
				continue
			}
			f.Kind = kind
		}
		switch f.Kind {
		case KindDockerfile:
			dockerfiles = append(dockerfiles, f.Path)
		case KindCompose:
			composeFiles = append(composeFiles, f.Path)
		default:
			others = append(others, f)
			preread = append(preread, data)
		}
	}
	pol := policy.New(opt.Config)
	if !opt.Profile.IsZero() {
		pol = policy.WithProfile(opt.Config, opt.Profile, opt.EnforceRules)
		res.Profile = opt.Profile.String()
	}
	// Engines are read over the network while files are parsed.
	var engines sync.WaitGroup
	engines.Go(func() { auditEngines(ctx, opt, pol, col) })
	engines.Go(func() { auditImages(ctx, opt, pol, col) })
	builds := newBuildCache(opt)

	// Scripts, Makefiles, CI files and dev containers (and the files only
	// their content can tell apart) are audited while compose projects and
	// Dockerfiles are: nothing there waits for them.
	done := make([]*otherResult, len(others), len(others)+1)
	var othersDone sync.WaitGroup
	othersDone.Go(func() {
		parallel(ctx, opt.Workers, len(others), func(i int) {
			done[i] = auditOther(others[i], preread[i], opt, pol, builds)
		})
	})

	projects := groupCompose(composeFiles, explicit)
	if len(opt.ComposeFiles) > 0 {
		projects = append(projects, opt.ComposeFiles)
	}

	// Compose projects name the Dockerfiles they build; those are audited
	// as Dockerfiles too, once, whether or not the walk found them.
	loaded := loadProjects(ctx, opt, projects, col)
	seen := map[string]bool{}
	for _, d := range dockerfiles {
		seen[filepath.Clean(d)] = true
	}
	var extraDockerfiles []string
	for _, p := range loaded {
		for _, s := range p.project.Services {
			if s.Dockerfile != "" {
				extraDockerfiles = append(extraDockerfiles, s.Dockerfile)
			}
		}
	}
	addDockerfiles := func(list *[]string, extra []string) {
		for _, d := range extra {
			if !seen[filepath.Clean(d)] && builds.exists(d) {
				seen[filepath.Clean(d)] = true
				*list = append(*list, d)
			}
		}
	}
	addDockerfiles(&dockerfiles, extraDockerfiles)
	sort.Strings(dockerfiles)

	// Projects first: the Dockerfiles they build are parsed once and kept
	// for their own audit; every other Dockerfile is dropped once judged.
	parallel(ctx, opt.Workers, len(loaded), func(i int) {
		findings, notes := auditProject(loaded[i], pol, builds)
		col.add(findings, notes)
	})
	parallel(ctx, opt.Workers, len(dockerfiles), func(i int) {
		findings, notes, err := auditDockerfile(dockerfiles[i], opt, pol, builds)
		col.add(findings, notes, err)
	})

	othersDone.Wait()
	if opt.Stdin != nil {
		done = append(done, auditStdin(ctx, opt, pol, builds))
	}
	// Dev containers (and standard input) may build from Dockerfiles no
	// one has audited yet.
	var late []string
	for _, r := range done {
		if r == nil {
			continue
		}
		if r.kind != "" {
			res.ByKind[r.kind]++
		}
		if r.skip != "" {
			res.Skipped = append(res.Skipped, inputs.Skipped{Path: r.path, Reason: r.skip})
		}
		addDockerfiles(&late, r.dockerfiles)
		col.add(r.v.findings, r.v.notes, r.v.errs...)
	}
	parallel(ctx, opt.Workers, len(late), func(i int) {
		findings, notes, err := auditDockerfile(late[i], opt, pol, builds)
		col.add(findings, notes, err)
	})
	dockerfiles = append(dockerfiles, late...)
	for i, line := range opt.RunLines {
		findings, notes, err := auditRunLine(line, i+1, pol)
		col.add(findings, notes, err)
	}

	res.ByKind[KindDockerfile] += len(dockerfiles)
	for _, p := range projects {
		res.ByKind[KindCompose] += len(p)
	}
	res.ByKind[KindRunLine] += len(opt.RunLines)
	engines.Wait()
	if len(opt.Engines) > 0 {
		res.ByKind[KindEngine] += len(opt.Engines)
	}
	res.ByKind[KindImage] += len(opt.Images)
	for _, n := range res.ByKind {
		res.Inputs += n
	}
	if ctx.Err() != nil {
		col.add(nil, nil, &inputs.Error{Message: "audit stopped: " + ctx.Err().Error()})
	}
	policy.Sort(res.Findings)
	sort.SliceStable(res.Errors, func(i, j int) bool {
		if res.Errors[i].Path != res.Errors[j].Path {
			return res.Errors[i].Path < res.Errors[j].Path
		}
		return res.Errors[i].Line < res.Errors[j].Line
	})
	sort.SliceStable(res.Notes, func(i, j int) bool {
		a, b := res.Notes[i], res.Notes[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
	res.Notes = dedupNotes(res.Notes)
	sort.SliceStable(res.Skipped, func(i, j int) bool { return res.Skipped[i].Path < res.Skipped[j].Path })
	return res
}

// explicitFiles are the paths the user named that are files, not folders:
// each is its own project, not merged with an override file.
func explicitFiles(paths []string) map[string]bool {
	out := map[string]bool{}
	for _, p := range paths {
		out[filepath.Clean(p)] = true
	}
	return out
}

// groupCompose forms projects from discovered compose files the way
// `docker compose` picks them up in a folder: the main file
// (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml, in
// that order of preference) merged with its override file
// (compose.override.y*ml / docker-compose.override.y*ml). Every other
// compose file is a project of its own.
func groupCompose(files []string, explicit map[string]bool) [][]string {
	byDir := map[string][]string{}
	var dirs []string
	var out [][]string
	for _, f := range files {
		if explicit[filepath.Clean(f)] {
			out = append(out, []string{f})
			continue
		}
		d := filepath.Dir(f)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], f)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		fs := byDir[d]
		var main, override string
		for _, name := range []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"} {
			for _, f := range fs {
				if filepath.Base(f) == name && main == "" {
					main = f
				}
			}
		}
		if main != "" {
			prefix := strings.TrimSuffix(filepath.Base(main), filepath.Ext(main))
			for _, f := range fs {
				b := filepath.Base(f)
				if b == prefix+".override.yaml" || b == prefix+".override.yml" {
					override = f
				}
			}
		}
		for _, f := range fs {
			switch f {
			case main:
				if override != "" {
					out = append(out, []string{main, override})
				} else {
					out = append(out, []string{main})
				}
			case override:
			default:
				out = append(out, []string{f})
			}
		}
	}
	return out
}

// dedupNotes drops repeated notes: a source and the mapper may both note
// the same undecidable value.
func dedupNotes(notes []Note) []Note {
	out := notes[:0]
	for i, n := range notes {
		if i > 0 && n == notes[i-1] {
			continue
		}
		out = append(out, n)
	}
	return out
}
