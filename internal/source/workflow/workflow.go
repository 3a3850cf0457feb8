// Package workflow cuts what CI files run out of them: GitHub Actions
// workflows (.github/workflows/*.yml) and GitLab CI pipelines
// (.gitlab-ci.yml). Shell steps become units of shell code for package
// script, with every byte mapped back to the file; the containers the CI
// system starts (a job's container and services) become container specs.
//
// GitHub expressions `${{ … }}` only have a value when the workflow runs:
// each becomes a shell variable of the same width before the shell parser
// sees the step, so a value that depends on one is unknown, not missing.
// GitLab CI variables are shell variables already.
package workflow

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/source/script"
	"go.yaml.in/yaml/v3"
)

// Result is what a CI file runs.
type Result struct {
	Units      []*script.Unit
	Containers []Container
	// Errors are container options Docker would refuse and values that
	// are not what the CI system accepts, each with its line.
	Errors []*inputs.Error
	Notes  []facts.Note
}

// Container is a container the CI system starts.
type Container struct {
	*runcmd.Result
	// DecidedBy names what decides the runtime settings the file cannot
	// express (the GitLab Runner's configuration), "" when the file can.
	DecidedBy string
}

// words assembles a docker command line from a CI file's values, each word
// with its place in the file, for package runcmd to read.
type words struct {
	cmd *facts.Command
}

func newWords(at facts.Location, first ...string) *words {
	w := &words{cmd: &facts.Command{At: at}}
	w.cmd.Pipeline = []*facts.Command{w.cmd}
	for _, f := range first {
		w.add(f, true, at)
	}
	return w
}

func (w *words) add(s string, literal bool, at facts.Location) {
	w.cmd.Args = append(w.cmd.Args, s)
	w.cmd.Literal = append(w.cmd.Literal, literal)
	w.cmd.ArgAt = append(w.cmd.ArgAt, at)
}

// value is a scalar's text, with GitHub expressions replaced when
// expressions is set; literal is false when it holds one.
func (d *doc) value(n *yaml.Node, expressions bool) (string, bool) {
	if !isScalar(n) {
		return "", false
	}
	if !expressions || !strings.Contains(n.Value, "${{") {
		return n.Value, true
	}
	t := &script.Text{Src: n.Value}
	replaceExpressions(t)
	return t.Src, false
}

// shellWords adds the words of a shell-quoted option string (a GitHub
// container's options:), each at its place in the file.
func (d *doc) shellWords(w *words, n *yaml.Node, what string) *inputs.Error {
	t := d.text(n)
	replaceExpressions(t)
	locate := func(off int) facts.Location { return d.lines.At(t.FileOffset(off)) }
	cmds, err := shell.Parse(t.Src, locate)
	if err != nil {
		at := d.at(n)
		msg := err.Error()
		if se, ok := err.(*shell.Error); ok {
			at, msg = se.At, se.Msg
		}
		return &inputs.Error{Path: d.path, Line: at.Line, Message: "cannot read " + what + " as docker options: " + msg}
	}
	for _, c := range cmds {
		if c.Parent != nil {
			continue
		}
		for i := range c.Args {
			w.add(c.Args[i], c.Literal[i], c.WordAt(i))
		}
	}
	return nil
}

// env reads a mapping of environment variables.
func (d *doc) env(n *yaml.Node, expressions bool) []facts.EnvVar {
	var out []facts.EnvVar
	for _, p := range pairs(n) {
		v := p.value
		if v.Kind == yaml.MappingNode {
			// GitLab: {value: …, description: …}
			_, v = get(v, "value")
		}
		if !isScalar(v) {
			continue
		}
		val, lit := d.value(v, expressions)
		out = append(out, facts.EnvVar{Name: p.key.Value, Value: val, Dynamic: !lit, At: d.at(p.key)})
	}
	return out
}

// fromCommand turns assembled words into a container.
func (r *Result) fromCommand(d *doc, w *words, subject facts.Subject, decidedBy string) {
	res, ok, err := runcmd.FromCommand(w.cmd)
	if err != nil {
		at := w.cmd.At
		msg := err.Error()
		if re, ok := err.(*runcmd.Error); ok {
			msg = re.Msg
			if re.At.Path != "" {
				at = re.At
			}
		}
		r.Errors = append(r.Errors, &inputs.Error{Path: d.path, Line: at.Line, Message: msg})
		return
	}
	if !ok {
		return
	}
	res.Spec.Subject = subject
	r.Containers = append(r.Containers, Container{Result: res, DecidedBy: decidedBy})
}
