// Package devcontainer reads dev container configurations
// (.devcontainer/devcontainer.json, .devcontainer.json,
// .devcontainer/<name>/devcontainer.json): JSON with comments and
// trailing commas, describing the container an editor starts for a
// developer, with the host's files mounted into it.
//
// The container is expressed as the `docker run` line the dev container
// tools issue (runArgs as they are, then privileged, init, capAdd,
// securityOpt, mounts, workspaceMount, containerUser, containerEnv) and
// read by package runcmd, every word at its place in the file. Two
// features are known to change the container: docker-in-docker runs it
// privileged, docker-outside-of-docker mounts the host's Docker socket.
// Values with dev container variables (`${localEnv:HOME}`) are unknown.
package devcontainer

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/source/script"
)

// Config is a dev container.
type Config struct {
	// Container is the container as run; nil for a dev container that
	// runs a compose service (its compose file is audited as compose).
	Container *runcmd.Result
	// Dockerfile is the Dockerfile the image is built from ("" for an
	// image that is pulled), with its build context and target.
	Dockerfile, BuildContext, BuildTarget string
	// BuildArgs are build.args.
	BuildArgs []facts.EnvVar
	Notes     []facts.Note
}

// Load reads a devcontainer.json. A file that does not parse, or that
// names no image, is an *inputs.Error with its line.
func Load(path string, data []byte) (*Config, error) {
	src := string(data)
	lines := script.NewLines(path, src)
	root, err := ParseJSONC(src)
	if err != nil {
		line := 0
		if se, ok := err.(*SyntaxError); ok {
			line = lines.At(se.Off).Line
		}
		return nil, &inputs.Error{Path: path, Line: line, Message: "cannot parse dev container configuration: " + err.Error()}
	}
	if root.Kind != Object {
		return nil, &inputs.Error{Path: path, Line: lines.At(root.Off).Line, Message: "dev container configuration: the top level is not an object"}
	}
	l := &loader{path: path, lines: lines, root: root, cfg: &Config{}}
	return l.load()
}

type loader struct {
	path  string
	lines *script.Lines
	root  *Value
	cfg   *Config
	cmd   *facts.Command
}

func (l *loader) at(off int) facts.Location { return l.lines.At(off) }

func (l *loader) word(s string, literal bool, off int) {
	l.cmd.Args = append(l.cmd.Args, s)
	l.cmd.Literal = append(l.cmd.Literal, literal)
	l.cmd.ArgAt = append(l.cmd.ArgAt, l.at(off))
}

// str adds a string value as a word; dev container variables make it
// unknown.
func (l *loader) str(v *Value) {
	l.word(v.Str, !strings.Contains(v.Str, "${"), v.Off)
}

func (l *loader) flag(name string, v *Value) {
	l.word(name, true, v.Off)
	l.str(v)
}

func (l *loader) strings(v *Value) []*Value {
	if v == nil {
		return nil
	}
	if v.Kind == String {
		return []*Value{v}
	}
	var out []*Value
	for _, it := range v.Items {
		if it.Kind == String {
			out = append(out, it)
		}
	}
	return out
}

func isTrue(v *Value) bool { return v != nil && v.Kind == Bool && v.Str == "true" }

func (l *loader) load() (*Config, error) {
	r := l.root
	dir := filepath.Dir(l.path)
	image := r.Get("image")
	build := r.Get("build")
	dockerfile := build.Get("dockerfile")
	context := build.Get("context")
	if dockerfile == nil {
		// The old spelling, at the top level.
		dockerfile = r.Get("dockerFile")
		if context == nil {
			context = r.Get("context")
		}
	}
	if dockerfile != nil && dockerfile.Kind == String && dockerfile.Str != "" {
		l.cfg.Dockerfile = filepath.Join(dir, filepath.FromSlash(dockerfile.Str))
		l.cfg.BuildContext = dir
		if context != nil && context.Kind == String {
			l.cfg.BuildContext = filepath.Join(dir, filepath.FromSlash(context.Str))
		}
		if t := build.Get("target"); t != nil && t.Kind == String {
			l.cfg.BuildTarget = t.Str
		}
		if args := build.Get("args"); args != nil && args.Kind == Object {
			for _, m := range args.Members {
				if m.Value.Kind == String {
					l.cfg.BuildArgs = append(l.cfg.BuildArgs, facts.EnvVar{Name: m.Key, Value: m.Value.Str, Dynamic: strings.Contains(m.Value.Str, "${"), At: l.at(m.KeyOff)})
				}
			}
		}
	}
	if l.cfg.Dockerfile == "" && (image == nil || image.Kind != String || image.Str == "") {
		if m, ok := r.Member("dockerComposeFile"); ok {
			svc := r.Get("service")
			name := "its service"
			if svc != nil && svc.Kind == String {
				name = "service " + svc.Str
			}
			l.cfg.Notes = append(l.cfg.Notes, facts.Note{At: l.at(m.KeyOff), Message: fmt.Sprintf("the dev container runs %s of its compose file; settings it adds (runArgs are not used) are not judged here, the compose file is audited as compose", name)})
			return l.cfg, nil
		}
		return nil, &inputs.Error{Path: l.path, Line: l.at(r.Off).Line, Message: "dev container configuration names no image, build.dockerfile or dockerComposeFile"}
	}

	l.cmd = &facts.Command{At: l.at(r.Off)}
	l.cmd.Pipeline = []*facts.Command{l.cmd}
	l.word("docker", true, r.Off)
	l.word("run", true, r.Off)
	for _, a := range l.strings(r.Get("runArgs")) {
		l.str(a)
	}
	if v := r.Get("privileged"); isTrue(v) {
		l.word("--privileged", true, v.Off)
	}
	if v := r.Get("init"); isTrue(v) {
		l.word("--init", true, v.Off)
	}
	for _, c := range l.strings(r.Get("capAdd")) {
		l.flag("--cap-add", c)
	}
	for _, s := range l.strings(r.Get("securityOpt")) {
		l.flag("--security-opt", s)
	}
	mounts := r.Get("mounts")
	var ms []*Value
	if mounts != nil {
		ms = mounts.Items
	}
	if wm := r.Get("workspaceMount"); wm != nil {
		ms = append(ms, wm)
	}
	for _, m := range ms {
		switch m.Kind {
		case String:
			if m.Str != "" {
				l.flag("--mount", m)
			}
		case Object:
			var parts []string
			for _, k := range []string{"type", "source", "target"} {
				if v := m.Get(k); v != nil && v.Kind == String && v.Str != "" {
					parts = append(parts, k+"="+v.Str)
				}
			}
			if len(parts) > 0 {
				s := strings.Join(parts, ",")
				l.word("--mount", true, m.Off)
				l.word(s, !strings.Contains(s, "${"), m.Off)
			}
		}
	}
	if u := r.Get("containerUser"); u != nil && u.Kind == String && u.Str != "" {
		l.flag("-u", u)
	}
	if env := r.Get("containerEnv"); env != nil && env.Kind == Object {
		for _, m := range env.Members {
			if m.Value.Kind != String {
				continue
			}
			l.word("-e", true, m.KeyOff)
			l.word(m.Key+"="+m.Value.Str, !strings.Contains(m.Value.Str, "${"), m.KeyOff)
		}
	}
	if feats := r.Get("features"); feats != nil && feats.Kind == Object {
		for _, f := range feats.Members {
			id := strings.ToLower(f.Key)
			switch {
			case strings.Contains(id, "docker-in-docker"):
				if !isTrue(r.Get("privileged")) {
					l.word("--privileged", true, f.KeyOff)
				}
			case strings.Contains(id, "docker-outside-of-docker"), strings.Contains(id, "docker-from-docker"):
				l.word("--mount", true, f.KeyOff)
				l.word("type=bind,source=/var/run/docker.sock,target=/var/run/docker-host.sock", true, f.KeyOff)
			}
		}
	}
	if l.cfg.Dockerfile != "" {
		// The image is the one built; its name is the tool's to choose.
		l.word("devcontainer-build", true, dockerfile.Off)
	} else {
		l.str(image)
	}
	res, ok, err := runcmd.FromCommand(l.cmd)
	if err != nil {
		at := l.cmd.At
		msg := err.Error()
		if re, ok := err.(*runcmd.Error); ok {
			msg = re.Msg
			if re.At.Path != "" {
				at = re.At
			}
		}
		return nil, &inputs.Error{Path: l.path, Line: at.Line, Message: "runArgs: " + msg}
	}
	if !ok {
		return l.cfg, nil
	}
	name := "devcontainer"
	if n := r.Get("name"); n != nil && n.Kind == String && n.Str != "" {
		name = n.Str
	}
	res.Spec.Subject = facts.Subject{Kind: facts.SubjectContainer, Name: name}
	l.cfg.Container = res
	return l.cfg, nil
}
