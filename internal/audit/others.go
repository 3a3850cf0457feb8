package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/source/compose"
	"github.com/dockguard/dockguard/internal/source/devcontainer"
	"github.com/dockguard/dockguard/internal/source/dockerfile"
	"github.com/dockguard/dockguard/internal/source/makefile"
	"github.com/dockguard/dockguard/internal/source/script"
	"github.com/dockguard/dockguard/internal/source/workflow"
)

// otherResult is one file that is not (known to be) a Dockerfile or a
// compose file, audited.
type otherResult struct {
	path string
	// kind is what the file was audited as ("" when it was not).
	kind inputs.Kind
	// skip says why a recognized file was not audited.
	skip string
	// dockerfiles are the Dockerfiles the input builds from (dev
	// containers), audited as Dockerfiles too.
	dockerfiles []string
	v           verdict
}

// Sniffing reads this much of a file to recognize it: a #! line, the
// top-level keys of a YAML document.
const (
	shebangHead = 256
	yamlHead    = 8 << 10
)

func auditOther(f inputs.File, data []byte, opt Options, pol *policy.Policy, builds *buildCache) *otherResult {
	r := &otherResult{path: f.Path}
	kind := f.Kind
	var err error
	switch {
	case data != nil:
		// Read already, to tell what it is.
	case kind == kindMaybeShell:
		var ok bool
		data, ok, err = inputs.ReadIf(f.Path, opt.MaxSize, shebangHead, func(h []byte) bool { return script.Shebang(h) != "" })
		if !ok {
			return nil // not a script; not an input
		}
		kind = KindShell
	case kind == kindMaybeYAML:
		k8s := false
		inputs.ReadIf(f.Path, opt.MaxSize, yamlHead, func(h []byte) bool {
			k8s = looksKubernetes(h)
			return false
		})
		if k8s {
			r.skip = SkipKubernetes
			return r
		}
		return nil
	default:
		data, err = inputs.Read(f.Path, opt.MaxSize)
	}
	r.kind = kind
	if err != nil {
		r.v.errs = append(r.v.errs, asInputError(f.Path, err))
		return r
	}
	r.audit(f.Path, kind, data, opt, pol, builds)
	return r
}

// audit judges a file's content as the given kind.
func (r *otherResult) audit(path string, kind inputs.Kind, data []byte, opt Options, pol *policy.Policy, builds *buildCache) {
	switch kind {
	case KindShell:
		r.v.merge(judgeUnit(script.Load(path, data), pol))
	case KindMakefile:
		for _, u := range makefile.Load(path, data) {
			r.v.merge(judgeUnit(u, pol))
		}
	case KindGitHub, KindGitLab:
		read := workflow.GitHub
		if kind == KindGitLab {
			read = workflow.GitLab
		}
		res, err := read(path, data)
		if err != nil {
			r.v.errs = append(r.v.errs, asInputError(path, err))
			return
		}
		r.v.workflow(res, pol)
	case KindDevcontainer:
		cfg, err := devcontainer.Load(path, data)
		if err != nil {
			r.v.errs = append(r.v.errs, asInputError(path, err))
			return
		}
		for _, n := range cfg.Notes {
			r.v.note(n)
		}
		if cfg.Container == nil {
			return
		}
		for _, n := range cfg.Container.Notes {
			r.v.note(n)
		}
		spec := cfg.Container.Spec
		if cfg.Dockerfile != "" {
			r.dockerfiles = append(r.dockerfiles, cfg.Dockerfile)
			b, _, err := builds.get(cfg.Dockerfile, cfg.BuildTarget, cfg.BuildContext)
			switch {
			case err == nil:
				spec.Image = b.Container
			case !builds.exists(cfg.Dockerfile):
				r.v.notes = append(r.v.notes, Note{Path: path, Line: spec.Origin.Line, Message: fmt.Sprintf("the dev container builds from %s, which does not exist; its image's user is unknown", cfg.Dockerfile)})
			default:
				r.v.notes = append(r.v.notes, Note{Path: path, Line: spec.Origin.Line, Message: fmt.Sprintf("the dev container builds from %s, which cannot be read (%s); judged without its image", cfg.Dockerfile, firstLine(err.Error()))})
			}
		}
		c := container.Map(spec)
		c.BuiltFrom = cfg.Dockerfile
		c.BuildArgs = cfg.BuildArgs
		r.v.container(c, pol)
	}
}

// workflow judges what a CI file runs: its shell code and the containers
// the CI system starts.
func (v *verdict) workflow(res *workflow.Result, pol *policy.Policy) {
	v.errs = append(v.errs, res.Errors...)
	for _, n := range res.Notes {
		v.note(n)
	}
	for _, u := range res.Units {
		v.merge(judgeUnit(u, pol))
	}
	for _, c := range res.Containers {
		for _, n := range c.Notes {
			v.note(n)
		}
		fc := container.Map(c.Spec)
		if c.DecidedBy != "" {
			fc.RuntimeBy = c.DecidedBy
			if fc.SecurityOpt.NoNewPrivileges.State == facts.Unset {
				fc.SecurityOpt.NoNewPrivileges = facts.UnknownBecause[bool](fc.Origin, workflow.RunnerDecides)
			}
		}
		v.container(fc, pol)
	}
}

// auditStdin audits what standard input held, as the kind the user named.
func auditStdin(ctx context.Context, opt Options, pol *policy.Policy, builds *buildCache) *otherResult {
	in := opt.Stdin
	r := &otherResult{path: StdinPath, kind: in.Kind}
	if in.Err != nil {
		r.v.errs = append(r.v.errs, in.Err)
		return r
	}
	if err := inputs.CheckText(StdinPath, in.Data); err != nil {
		r.v.errs = append(r.v.errs, asInputError(StdinPath, err))
		return r
	}
	switch in.Kind {
	case KindDockerfile:
		// The build context is the working folder, as with
		// `docker build -f - .`.
		b, notes, err := dockerfile.Load(StdinPath, in.Data, dockerfile.Options{Target: opt.Target, ContextDir: "."})
		for _, n := range notes {
			r.v.notes = append(r.v.notes, Note{Path: n.At.Path, Line: n.At.Line, Message: n.Message})
		}
		if err != nil {
			r.v.errs = append(r.v.errs, asInputError(StdinPath, err))
			return r
		}
		r.v.findings = append(r.v.findings, pol.Build(b)...)
	case KindCompose:
		r.v = stdinCompose(ctx, opt, in.Data, pol, builds, &r.dockerfiles)
	default:
		r.audit(StdinPath, in.Kind, in.Data, opt, pol, builds)
	}
	return r
}

// stdinCompose loads a compose file read from standard input the way
// `docker compose -f -` does: the project folder is the working folder.
// compose-go reads files by path, so the file goes through a private
// temporary copy, whose path is then replaced with <stdin> everywhere.
func stdinCompose(ctx context.Context, opt Options, data []byte, pol *policy.Policy, builds *buildCache, dockerfiles *[]string) verdict {
	var v verdict
	dir, err := os.MkdirTemp("", "dockguard-stdin-")
	if err != nil {
		v.errs = append(v.errs, &inputs.Error{Path: StdinPath, Message: "cannot keep standard input for compose: " + err.Error()})
		return v
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		v.errs = append(v.errs, &inputs.Error{Path: StdinPath, Message: "cannot keep standard input for compose: " + err.Error()})
		return v
	}
	wd, _ := os.Getwd()
	p, err := compose.Load(ctx, compose.Options{Files: []string{tmp}, EnvFiles: opt.EnvFiles, Profiles: opt.Profiles, MaxFileSize: opt.MaxSize, WorkingDir: wd})
	rename := func(path string) string {
		if path == tmp {
			return StdinPath
		}
		return strings.ReplaceAll(path, tmp, StdinPath)
	}
	if err != nil {
		e := asInputError(StdinPath, err)
		e.Path, e.Message = rename(e.Path), strings.ReplaceAll(e.Message, tmp, StdinPath)
		v.errs = append(v.errs, e)
		return v
	}
	for _, n := range p.Notes {
		v.note(n)
	}
	v.errs = append(v.errs, p.Errors...)
	findings, notes := auditProject(&loadedProject{files: []string{tmp}, project: p}, pol, builds)
	v.findings = append(v.findings, findings...)
	v.notes = append(v.notes, notes...)
	for _, s := range p.Services {
		if s.Dockerfile != "" {
			*dockerfiles = append(*dockerfiles, s.Dockerfile)
		}
	}
	for i := range v.findings {
		v.findings[i].At.Path = rename(v.findings[i].At.Path)
		v.findings[i].Message = strings.ReplaceAll(v.findings[i].Message, tmp, StdinPath)
	}
	for i := range v.notes {
		v.notes[i].Path = rename(v.notes[i].Path)
		v.notes[i].Message = strings.ReplaceAll(v.notes[i].Message, tmp, StdinPath)
	}
	for _, e := range v.errs {
		e.Path = rename(e.Path)
		e.Message = strings.ReplaceAll(e.Message, tmp, StdinPath)
	}
	return v
}

// StdinKinds are the kinds --stdin-type accepts, with the short names
// users may type.
var StdinKinds = map[string]inputs.Kind{
	"shell": KindShell, "sh": KindShell, "bash": KindShell,
	"makefile": KindMakefile, "make": KindMakefile,
	"dockerfile": KindDockerfile, "containerfile": KindDockerfile,
	"compose":        KindCompose,
	"github-actions": KindGitHub, "github": KindGitHub,
	"gitlab-ci": KindGitLab, "gitlab": KindGitLab,
	"devcontainer": KindDevcontainer,
}
