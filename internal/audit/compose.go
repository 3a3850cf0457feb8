package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/compose"
)

type loadedProject struct {
	files   []string
	project *compose.Project
}

// loadProjects loads every compose project in parallel; a project that
// cannot be loaded is an error and the others go on.
func loadProjects(ctx context.Context, opt Options, projects [][]string, col *collector) []*loadedProject {
	out := make([]*loadedProject, len(projects))
	parallel(ctx, opt.Workers, len(projects), func(i int) {
		p, err := compose.Load(ctx, compose.Options{Files: projects[i], EnvFiles: opt.EnvFiles, Profiles: opt.Profiles, MaxFileSize: opt.MaxSize})
		if err != nil {
			col.add(nil, nil, asInputError(projects[i][0], err))
			return
		}
		var notes []Note
		for _, n := range p.Notes {
			notes = append(notes, noteOf(n))
		}
		col.add(nil, notes, p.Errors...)
		out[i] = &loadedProject{files: projects[i], project: p}
	})
	var loaded []*loadedProject
	for _, p := range out {
		if p != nil {
			loaded = append(loaded, p)
		}
	}
	return loaded
}

// auditProject maps each service through the one container mapper, joined
// with the Dockerfile it builds from, and judges the services one by one and
// together.
func auditProject(lp *loadedProject, pol *policy.Policy, builds *buildCache) ([]rules.Finding, []Note) {
	var findings []rules.Finding
	var notes []Note
	p := lp.project
	fp := &facts.Project{Name: p.Name, Path: lp.files[0], Origin: facts.Location{Path: lp.files[0], Line: 1}, Networks: p.Networks}
	for _, s := range p.Services {
		spec := s.Spec
		if s.Dockerfile != "" {
			b, _, err := builds.get(s.Dockerfile, s.BuildTarget, s.BuildContext)
			switch {
			case err == nil:
				spec.Image = b.Container
			case !builds.exists(s.Dockerfile):
				notes = append(notes, Note{Path: spec.Origin.Path, Line: spec.Origin.Line, Message: fmt.Sprintf("service %s builds from %s, which does not exist; its image's user is unknown", s.Name, s.Dockerfile)})
			default:
				notes = append(notes, Note{Path: spec.Origin.Path, Line: spec.Origin.Line, Message: fmt.Sprintf("service %s builds from %s, which cannot be read (%s); judged without its image", s.Name, s.Dockerfile, firstLine(err.Error()))})
			}
		}
		c := container.Map(spec)
		c.BuiltFrom = s.Dockerfile
		c.EnvFiles = s.EnvFiles
		c.BuildArgs = s.BuildArgs
		c.UsesSecrets = s.UsesSecrets
		for _, n := range c.Notes {
			notes = append(notes, noteOf(n))
		}
		findings = append(findings, pol.Container(c)...)
		fp.Containers = append(fp.Containers, c)
	}
	findings = append(findings, pol.Project(fp)...)
	return findings, notes
}

func noteOf(n facts.Note) Note {
	return Note{Path: n.At.Path, Line: n.At.Line, Index: n.At.Index, Message: n.Message}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
