package audit

import (
	"context"
	"fmt"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/source/devcontainer"
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
	// asDockerfile, asCompose: a file named explicitly whose content says
	// it is one; it joins the Dockerfiles or compose files.
	asDockerfile, asCompose bool
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

func auditOther(f inputs.File, opt Options, pol *policy.Policy, builds *buildCache) *otherResult {
	r := &otherResult{path: f.Path}
	kind := f.Kind
	var data []byte
	var err error
	switch kind {
	case kindMaybeShell:
		var ok bool
		data, ok, err = inputs.ReadIf(f.Path, opt.MaxSize, shebangHead, func(h []byte) bool { return script.Shebang(h) != "" })
		if !ok {
			return nil // not a script; not an input
		}
		kind = KindShell
	case kindMaybeYAML:
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
	case kindByContent:
		data, err = inputs.Read(f.Path, opt.MaxSize)
		if err != nil {
			r.kind = KindDockerfile
			r.v.errs = append(r.v.errs, asInputError(f.Path, err))
			return r
		}
		var skip string
		kind, skip = byContent(f.Path, data)
		switch kind {
		case "":
			r.skip = skip
			return r
		case KindDockerfile:
			r.asDockerfile = true
			return r
		case KindCompose:
			r.asCompose = true
			return r
		}
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
	r := &otherResult{path: StdinPath, kind: opt.Stdin.Kind}
	r.audit(StdinPath, opt.Stdin.Kind, opt.Stdin.Data, opt, pol, builds)
	return r
}
