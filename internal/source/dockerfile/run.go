package dockerfile

import (
	"regexp"
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// script is a RUN body rebuilt from the file's own lines, with a map from
// byte offsets back to physical lines so findings inside a long RUN point at
// the line of the offending command.
type script struct {
	text string
	segs []segment
}

type segment struct{ off, line, col int }

func (s *script) locate(path string) shell.Locate {
	return func(off int) facts.Location {
		i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].off > off }) - 1
		if i < 0 {
			i = 0
		}
		if len(s.segs) == 0 {
			return facts.Location{Path: path}
		}
		sg := s.segs[i]
		return facts.Location{Path: path, Line: sg.line, Column: sg.col + off - sg.off + 1}
	}
}

func (l *loader) run(n *parser.Node, c *instructions.RunCommand, st *facts.Step) {
	for _, m := range strings.Split(st.Flags["mount"], "\n") {
		if m == "" {
			continue
		}
		typ := "bind"
		for _, kv := range strings.Split(m, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if strings.EqualFold(strings.TrimSpace(k), "type") {
				typ = strings.ToLower(strings.TrimSpace(v))
			}
		}
		st.Mounts = append(st.Mounts, typ)
	}
	if !c.PrependShell {
		st.Exec = c.CmdLine
		return
	}
	sc := l.runScript(n)
	l.pending = append(l.pending, pendingRun{step: st, script: sc})
}

type pendingRun struct {
	step   *facts.Step
	script *script
}

// parsePending parses RUN bodies once the file is known not to be a
// Windows image.
func (l *loader) parsePending() {
	for _, p := range l.pending {
		if l.build.Windows {
			continue
		}
		cmds, err := shell.Parse(p.script.text, p.script.locate(l.path))
		p.step.Commands = cmds
		if err != nil {
			p.step.ParseError = err.Error()
			at := p.step.At
			if se, ok := err.(*shell.Error); ok {
				at = se.At
			}
			l.notes = append(l.notes, Note{At: at, Message: "RUN body is not valid shell (" + err.Error() + "); its commands were judged only as far as they parsed"})
		}
	}
}

var continuation = map[rune]*regexp.Regexp{}

func continuationRE(esc rune) *regexp.Regexp {
	if re, ok := continuation[esc]; ok {
		return re
	}
	return regexp.MustCompile(regexp.QuoteMeta(string(esc)) + `[ \t]*$`)
}

var (
	reBackslashCont = regexp.MustCompile(`\\[ \t]*$`)
	reBacktickCont  = regexp.MustCompile("`[ \t]*$")
	reHeredocOnly   = regexp.MustCompile(`^<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)(["']?)\s*$`)
)

func init() {
	continuation['\\'] = reBackslashCont
	continuation['`'] = reBacktickCont
}

// runScript rebuilds the shell text of a RUN instruction the way BuildKit
// joins it (continuation lines appended, comment and empty lines inside the
// continuation dropped), strips the keyword and its flags, and keeps heredoc
// bodies as the lines that follow.
func (l *loader) runScript(n *parser.Node) *script {
	var b strings.Builder
	var segs []segment
	re := continuationRE(l.esc)
	i := n.StartLine
	first := true
	for ; i <= n.EndLine && i-1 < len(l.lines); i++ {
		raw := strings.TrimRight(l.lines[i-1], "\r")
		trimmed := strings.TrimSpace(raw)
		if !first && (strings.HasPrefix(trimmed, "#") || trimmed == "") {
			continue
		}
		segs = append(segs, segment{off: b.Len(), line: i})
		loc := re.FindStringIndex(raw)
		if loc != nil {
			b.WriteString(raw[:loc[0]])
		} else {
			b.WriteString(raw)
		}
		first = false
		if loc == nil {
			i++
			break
		}
	}
	text := b.String()
	// Drop the keyword and the flags (which may sit on continuation lines).
	skip := len(text) - len(strings.TrimLeft(text, " \t"))
	skip += len(n.Value)
	for {
		rest := text[skip:]
		ws := len(rest) - len(strings.TrimLeft(rest, " \t"))
		if !strings.HasPrefix(rest[ws:], "--") {
			skip += ws
			break
		}
		end := strings.IndexAny(rest[ws:], " \t")
		if end < 0 {
			skip = len(text)
			break
		}
		skip += ws + end
	}
	if skip > len(text) {
		skip = len(text)
	}
	cmdline := text[skip:]
	sc := &script{}
	for _, sg := range segs {
		o := sg.off - skip
		col := 0
		if o < 0 {
			col, o = -o, 0
		}
		sc.segs = append(sc.segs, segment{off: o, line: sg.line, col: col})
	}
	var body strings.Builder
	var bodySegs []segment
	for ; i <= n.EndLine && i-1 < len(l.lines); i++ {
		bodySegs = append(bodySegs, segment{off: body.Len(), line: i})
		body.WriteString(strings.TrimRight(l.lines[i-1], "\r"))
		body.WriteByte('\n')
	}
	if m := reHeredocOnly.FindStringSubmatch(strings.TrimSpace(cmdline)); m != nil && len(n.Heredocs) == 1 {
		// `RUN <<EOF` runs the heredoc itself as the script.
		content := n.Heredocs[0].Content
		if strings.HasPrefix(content, "#!") && !isShellShebang(content) {
			return &script{}
		}
		lines := strings.Split(body.String(), "\n")
		if len(lines) >= 2 {
			// the last non-empty line is the terminator
			lines = lines[:len(lines)-2]
		}
		return &script{text: strings.Join(lines, "\n"), segs: bodySegs}
	}
	sc.text = cmdline + "\n" + body.String()
	base := len(cmdline) + 1
	for _, sg := range bodySegs {
		sc.segs = append(sc.segs, segment{off: base + sg.off, line: sg.line})
	}
	return sc
}

func isShellShebang(s string) bool {
	line, _, _ := strings.Cut(s, "\n")
	for _, sh := range []string{"/sh", "/bash", "/ash", "/dash", "/zsh", " sh", " bash"} {
		if strings.Contains(line, sh) {
			return true
		}
	}
	return false
}
