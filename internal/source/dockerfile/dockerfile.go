// Package dockerfile reads a Dockerfile with BuildKit's own parser and turns
// it into build facts: stages, what each step runs (RUN bodies parsed as
// shell), and the container the target stage yields.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	bkshell "github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Options tune how a Dockerfile is read.
type Options struct {
	// Target names the stage to judge; "" is the last stage.
	Target string
	// ContextDir is the build context; "" means the Dockerfile's folder,
	// as with `docker build -f dir/Dockerfile dir`.
	ContextDir string
}

// Note is something the user should know about an input that is not a
// problem with the input: a rule set that does not apply, a value that
// could not be decided.
type Note struct {
	At      facts.Location
	Message string
}

// Load parses a Dockerfile's bytes. It returns an *inputs.Error (with path
// and line) when the file cannot be parsed.
func Load(path string, data []byte, opt Options) (b *facts.Build, notes []Note, err error) {
	defer func() {
		// BuildKit's parser is third-party code fed untrusted input: a
		// panic there is this file's error, not the end of the audit.
		if r := recover(); r != nil {
			b, err = nil, &inputs.Error{Path: path, Message: fmt.Sprintf("cannot parse Dockerfile: parser failed: %v", r)}
		}
	}()
	res, perr := parser.Parse(bytes.NewReader(data))
	if perr != nil {
		return nil, nil, parseError(path, perr)
	}
	l := &loader{
		path:  path,
		lines: splitLines(data),
		esc:   res.EscapeToken,
		opt:   opt,
		build: &facts.Build{Path: path},
	}
	if opt.ContextDir != "" {
		l.build.ContextDir = opt.ContextDir
	} else {
		l.build.ContextDir = filepath.Dir(path)
	}
	if err := l.load(res.AST); err != nil {
		return nil, l.notes, err
	}
	return l.build, l.notes, nil
}

func parseError(path string, err error) error {
	line := 0
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line = le.Locations[0][0].Start.Line
	}
	msg := err.Error()
	if strings.Contains(msg, "file with no instructions") {
		// About the whole file: BuildKit's last-line position would mislead.
		return &inputs.Error{Path: path, Message: "cannot parse Dockerfile: file with no instructions"}
	}
	if line > 0 {
		// BuildKit's messages repeat nothing of the location; keep them short.
		msg = strings.TrimPrefix(msg, fmt.Sprintf("dockerfile parse error on line %d: ", line))
	}
	return &inputs.Error{Path: path, Line: line, Message: "cannot parse Dockerfile: " + msg}
}

func splitLines(data []byte) []string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.Split(s, "\n")
}

type loader struct {
	path  string
	lines []string
	esc   rune
	opt   Options
	build *facts.Build
	notes []Note

	metaArgs map[string]*string
	stage    *facts.Stage
	env      map[string]string // variables visible to the current stage
	unknown  map[string]bool   // declared without a value
	envByStg map[*facts.Stage]map[string]string
	pending  []pendingRun
}

func (l *loader) at(line int) facts.Location { return facts.FileAt(l.path, line) }

func (l *loader) load(ast *parser.Node) error {
	l.metaArgs = map[string]*string{}
	l.envByStg = map[*facts.Stage]map[string]string{}
	for _, n := range ast.Children {
		cmd, err := instructions.ParseInstruction(n)
		if err != nil {
			return parseError(l.path, parser.WithLocation(err, n.Location()))
		}
		if st, ok := cmd.(*instructions.Stage); ok {
			l.from(n, st)
			continue
		}
		if l.stage == nil {
			if a, ok := cmd.(*instructions.ArgCommand); ok {
				for _, kv := range a.Args {
					l.metaArgs[kv.Key] = kv.Value
				}
				l.globalArg(n, a)
				continue
			}
			return &inputs.Error{Path: l.path, Line: n.StartLine, Message: fmt.Sprintf("cannot parse Dockerfile: %s before the first FROM", strings.ToUpper(n.Value))}
		}
		l.step(n, cmd)
	}
	if len(l.build.Stages) == 0 {
		return &inputs.Error{Path: l.path, Message: "cannot parse Dockerfile: no FROM instruction"}
	}
	target := l.build.Stages[len(l.build.Stages)-1]
	if l.opt.Target != "" {
		target = nil
		for _, s := range l.build.Stages {
			if strings.EqualFold(s.Name, l.opt.Target) {
				target = s
			}
		}
		if target == nil {
			return &inputs.Error{Path: l.path, Message: fmt.Sprintf("target stage %q not found", l.opt.Target)}
		}
	}
	l.build.Target = target
	if l.build.Global != nil {
		l.build.Global.Subject = facts.Subject{Kind: facts.SubjectStage, Name: l.path + " (global ARGs)"}
	}
	for _, s := range l.build.Stages {
		s.Subject = facts.Subject{Kind: facts.SubjectStage, Name: s.Name}
		if s.Name == "" {
			s.Subject.Name = fmt.Sprintf("%s (stage %d)", l.path, s.Index)
			if s == l.build.Stages[len(l.build.Stages)-1] {
				s.Subject.Name = l.path
			}
		}
	}
	l.detectWindows()
	l.parsePending()
	l.loadIgnore()
	l.scanContext()
	l.build.Container = l.container(target)
	return nil
}

// expand substitutes build variables the way BuildKit does for the
// instructions it expands (FROM, USER, EXPOSE, ENV, ARG, COPY, …). ok is
// false when a variable has no value, so the result is unknown.
func (l *loader) expand(word string, env map[string]string) (string, bool) {
	// Quotes go through the lexer too: BuildKit removes them (ENV A="0" is 0).
	if !strings.ContainsAny(word, "$\"'") {
		return word, true
	}
	lex := bkshell.NewLex(l.esc)
	res, err := lex.ProcessWordWithMatches(word, envGetter(env))
	if err != nil {
		return word, false
	}
	return res.Result, len(res.Unmatched) == 0
}

type envGetter map[string]string

func (e envGetter) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e envGetter) Keys() []string {
	out := make([]string, 0, len(e))
	for k := range e {
		out = append(out, k)
	}
	return out
}

func (l *loader) from(n *parser.Node, st *instructions.Stage) {
	meta := map[string]string{}
	for k, v := range l.metaArgs {
		if v != nil {
			meta[k] = *v
		}
	}
	s := &facts.Stage{Index: len(l.build.Stages), Name: strings.ToLower(st.Name), From: l.at(n.StartLine)}
	base, ok := l.expand(st.BaseName, meta)
	if !ok {
		s.Base = facts.UnknownBecause[facts.ImageRef](s.From, fmt.Sprintf("FROM %s depends on a build argument with no default", st.BaseName))
		l.notes = append(l.notes, Note{At: s.From, Message: fmt.Sprintf("FROM %s depends on a build argument with no default: the base image is unknown", st.BaseName)})
	} else {
		for _, prev := range l.build.Stages {
			if prev.Name != "" && strings.EqualFold(prev.Name, base) {
				s.Parent = prev
			}
		}
		if s.Parent == nil {
			s.Base = facts.SetAt(facts.ParseImageRef(base), s.From)
		}
	}
	l.build.Stages = append(l.build.Stages, s)
	l.stage = s
	l.env = map[string]string{}
	l.unknown = map[string]bool{}
	if s.Parent != nil {
		for k, v := range l.envByStg[s.Parent] {
			l.env[k] = v
		}
	}
	l.envByStg[s] = l.env
}

func (l *loader) step(n *parser.Node, cmd any) {
	st := &facts.Step{
		Instruction: strings.ToUpper(n.Value),
		At:          facts.Location{Path: l.path, Line: n.StartLine, EndLine: n.EndLine},
		Original:    n.Original,
		Flags:       parseFlags(n.Flags),
	}
	if n.StartLine >= 1 && n.EndLine <= len(l.lines) && n.StartLine <= n.EndLine {
		st.Lines = l.lines[n.StartLine-1 : n.EndLine]
	}
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		l.run(n, c, st)
	case *instructions.CmdCommand:
		if c.PrependShell {
			st.Shell = strings.Join(c.CmdLine, " ")
		} else {
			st.Exec = c.CmdLine
		}
	case *instructions.EntrypointCommand:
		if c.PrependShell {
			st.Shell = strings.Join(c.CmdLine, " ")
		} else {
			st.Exec = c.CmdLine
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			v, ok := l.expand(kv.Value, l.env)
			l.env[kv.Key] = v
			if ok {
				delete(l.unknown, kv.Key)
			} else {
				l.unknown[kv.Key] = true
			}
			st.KVs = append(st.KVs, facts.KV{Key: kv.Key, Value: v, HasValue: true, Raw: kv.Value, At: l.keyLine(n, kv.Key)})
		}
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			item := facts.KV{Key: kv.Key, At: l.keyLine(n, kv.Key)}
			switch {
			case kv.Value != nil:
				v, _ := l.expand(*kv.Value, l.env)
				item.Value, item.Raw, item.HasValue = v, *kv.Value, true
				l.env[kv.Key] = v
			case l.metaArgs[kv.Key] != nil:
				// A global ARG re-declared in a stage takes its default.
				l.env[kv.Key] = *l.metaArgs[kv.Key]
			default:
				l.unknown[kv.Key] = true
			}
			st.KVs = append(st.KVs, item)
		}
	case *instructions.LabelCommand:
		for _, kv := range c.Labels {
			v, _ := l.expand(kv.Value, l.env)
			st.KVs = append(st.KVs, facts.KV{Key: kv.Key, Value: v, HasValue: true, Raw: kv.Value, At: l.keyLine(n, kv.Key)})
		}
	case *instructions.CopyCommand:
		l.sources(&c.SourcesAndDest, st)
		st.From = c.From
	case *instructions.AddCommand:
		l.sources(&c.SourcesAndDest, st)
	case *instructions.UserCommand:
		v, ok := l.expand(c.User, l.env)
		if !ok {
			v = c.User
			l.notes = append(l.notes, Note{At: st.At, Message: fmt.Sprintf("USER %s uses a variable this Dockerfile gives no value (the base image may set it): the runtime user is unknown", c.User)})
			st.Args = []string{v, "unknown"}
		} else {
			st.Args = []string{v}
		}
	case *instructions.ExposeCommand:
		for _, p := range c.Ports {
			for _, f := range strings.Fields(p) {
				v, _ := l.expand(f, l.env)
				st.Args = append(st.Args, v)
			}
		}
	case *instructions.HealthCheckCommand:
		if c.Health != nil {
			st.Args = c.Health.Test
		}
	case *instructions.ShellCommand:
		st.Exec = c.Shell
	case *instructions.WorkdirCommand:
		v, _ := l.expand(c.Path, l.env)
		st.Args = []string{v}
	}
	l.stage.Steps = append(l.stage.Steps, st)
}

// keyLine finds the physical line of an ENV/ARG/LABEL key inside a
// multi-line instruction, so a finding points at the pair, not the keyword.
func (l *loader) keyLine(n *parser.Node, key string) facts.Location {
	for i := n.StartLine; i <= n.EndLine && i-1 < len(l.lines); i++ {
		line := l.lines[i-1]
		// The key must stand as a word: TOKEN is not the tail of NPM_TOKEN.
		for off := 0; off < len(line); {
			idx := strings.Index(line[off:], key)
			if idx < 0 {
				break
			}
			idx += off
			rest := line[idx+len(key):]
			if (idx == 0 || line[idx-1] == ' ' || line[idx-1] == '\t') &&
				(rest == "" || rest[0] == '=' || rest[0] == ' ' || rest[0] == '\t') {
				return facts.Location{Path: l.path, Line: i, Column: idx + 1}
			}
			off = idx + 1
		}
	}
	return l.at(n.StartLine)
}

func (l *loader) sources(sd *instructions.SourcesAndDest, st *facts.Step) {
	for _, s := range sd.SourcePaths {
		v, _ := l.expand(s, l.env)
		st.Sources = append(st.Sources, v)
	}
	for _, c := range sd.SourceContents {
		if st.Inline == nil {
			st.Inline = map[string]string{}
		}
		st.Inline[c.Path] = c.Data
		st.Sources = append(st.Sources, c.Path)
	}
	st.Dest, _ = l.expand(sd.DestPath, l.env)
}

// parseFlags reads instruction flags (--chmod=4755, --mount=…); repeated
// flags such as --mount are joined with a newline.
func parseFlags(flags []string) map[string]string {
	if len(flags) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, f := range flags {
		f = strings.TrimPrefix(f, "--")
		k, v, _ := strings.Cut(f, "=")
		k = strings.ToLower(k)
		if prev, ok := out[k]; ok && k == "mount" {
			v = prev + "\n" + v
		}
		out[k] = v
	}
	return out
}

// readContext reads a file of the build context, capped, for the joins
// that need it (entrypoint scripts).
func (l *loader) readContext(rel string) (string, bool) {
	if l.build.ContextDir == "" {
		return "", false
	}
	p := filepath.Join(l.build.ContextDir, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	data, err := inputs.Read(p, 1<<20)
	if err != nil {
		return "", false
	}
	return string(data), true
}

// globalArg records an ARG before the first FROM, so secret rules judge its
// default and its name like any other ARG.
func (l *loader) globalArg(n *parser.Node, a *instructions.ArgCommand) {
	if l.build.Global == nil {
		l.build.Global = &facts.Stage{Index: -1, From: l.at(n.StartLine)}
	}
	st := &facts.Step{Instruction: "ARG", At: facts.Location{Path: l.path, Line: n.StartLine, EndLine: n.EndLine}, Original: n.Original}
	for _, kv := range a.Args {
		item := facts.KV{Key: kv.Key, At: l.keyLine(n, kv.Key)}
		if kv.Value != nil {
			item.Value, item.Raw, item.HasValue = *kv.Value, *kv.Value, true
		}
		st.KVs = append(st.KVs, item)
	}
	l.build.Global.Steps = append(l.build.Global.Steps, st)
}
