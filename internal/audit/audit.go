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
	"github.com/dockguard/dockguard/internal/source/dockerfile"
)

// Kinds of input.
const (
	KindDockerfile inputs.Kind = "dockerfile"
)

// Options are what the user asked for.
type Options struct {
	Paths   []string
	Target  string
	Config  rules.Config
	MaxSize int64
	// Workers bounds parallelism; 0 means one per core.
	Workers int
}

// Note is information about an input that is not an error.
type Note struct {
	Path    string
	Line    int
	Message string
}

// Result is everything an audit found.
type Result struct {
	Inputs   int
	Findings []rules.Finding
	Errors   []*inputs.Error
	Notes    []Note
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

// Run audits the inputs. Problems with one input are collected in the
// result and the others are still audited.
func Run(ctx context.Context, opt Options) *Result {
	files, errs := inputs.Discover(ctx, opt.Paths, MatchDockerfile, KindDockerfile)
	res := &Result{Errors: errs}
	pol := policy.New(opt.Config)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type out struct {
		findings []rules.Finding
		err      *inputs.Error
		notes    []Note
	}
	outs := make([]out, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f := files[i]
				o := &outs[i]
				if ctx.Err() != nil {
					o.err = &inputs.Error{Path: f.Path, Message: "not audited: " + ctx.Err().Error()}
					continue
				}
				o.findings, o.notes, o.err = auditFile(f, opt, pol)
			}
		}()
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, f := range files {
		if f.Kind == KindDockerfile {
			res.Inputs++
		}
	}
	for _, o := range outs {
		res.Findings = append(res.Findings, o.findings...)
		res.Notes = append(res.Notes, o.notes...)
		if o.err != nil {
			res.Errors = append(res.Errors, o.err)
		}
	}
	policy.Sort(res.Findings)
	sort.SliceStable(res.Errors, func(i, j int) bool {
		if res.Errors[i].Path != res.Errors[j].Path {
			return res.Errors[i].Path < res.Errors[j].Path
		}
		return res.Errors[i].Line < res.Errors[j].Line
	})
	return res
}

func auditFile(f inputs.File, opt Options, pol *policy.Policy) ([]rules.Finding, []Note, *inputs.Error) {
	data, err := inputs.Read(f.Path, opt.MaxSize)
	if err != nil {
		return nil, nil, asInputError(f.Path, err)
	}
	b, notes, err := dockerfile.Load(f.Path, data, dockerfile.Options{Target: opt.Target, ContextDir: filepath.Dir(f.Path)})
	var out []Note
	for _, n := range notes {
		out = append(out, Note{Path: n.At.Path, Line: n.At.Line, Message: n.Message})
	}
	if err != nil {
		return nil, out, asInputError(f.Path, err)
	}
	return pol.Build(b), out, nil
}

func asInputError(path string, err error) *inputs.Error {
	if ie, ok := err.(*inputs.Error); ok {
		return ie
	}
	return &inputs.Error{Path: path, Message: err.Error()}
}
