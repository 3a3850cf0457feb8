// Package shell turns shell text (a RUN body, a script, a CI step) into the
// simple commands it runs, so rules judge what a command does rather than
// what a line contains: `find / -iname sudo` does not run sudo, and
// `curl … | sh` is a pipeline into a shell, however it is spelled.
package shell

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"mvdan.cc/sh/v3/syntax"
)

// maxNesting bounds how deep `sh -c '…'` bodies and substitutions are
// followed, so hostile input cannot recurse without end.
const maxNesting = 4

// Locate maps a byte offset in the parsed text to a location.
type Locate func(offset int) facts.Location

// Error is a shell syntax error with the location it points at.
type Error struct {
	At  facts.Location
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Parse parses src as bash (a superset of POSIX sh for what matters here) and
// returns its simple commands in source order.
func Parse(src string, at Locate) ([]*facts.Command, error) {
	p := &walker{at: at}
	if err := p.parse(src, nil, 0, at); err != nil {
		return p.out, err
	}
	return p.out, nil
}

type walker struct {
	at  Locate
	out []*facts.Command
}

func (w *walker) parse(src string, parent *facts.Command, depth int, at Locate) (err error) {
	// The parser is third-party code fed untrusted text; a panic there must
	// become an error for this input, not a crash of the whole audit.
	defer func() {
		if r := recover(); r != nil {
			err = &Error{At: at(0), Msg: fmt.Sprintf("shell parser failed: %v", r)}
		}
	}()
	f, perr := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if perr != nil {
		var pe syntax.ParseError
		if errors.As(perr, &pe) {
			return &Error{At: at(int(pe.Pos.Offset())), Msg: pe.Text}
		}
		return &Error{At: at(0), Msg: perr.Error()}
	}
	c := &ctx{w: w, src: src, at: at, parent: parent, depth: depth}
	for _, st := range f.Stmts {
		c.stmt(st, false)
	}
	return nil
}

type ctx struct {
	w      *walker
	src    string
	at     Locate
	parent *facts.Command
	depth  int
}

// stmt walks a statement; ignored says its failure cannot stop the script.
func (c *ctx) stmt(s *syntax.Stmt, ignored bool) []*facts.Command {
	if s == nil {
		return nil
	}
	var cmds []*facts.Command
	switch x := s.Cmd.(type) {
	case *syntax.CallExpr:
		cmd := c.call(x)
		if cmd != nil {
			cmd.FailureIgnored = ignored || s.Negated
			cmd.Pipeline = []*facts.Command{cmd}
			cmds = append(cmds, cmd)
		}
	case *syntax.DeclClause:
		cmd := &facts.Command{At: c.at(int(x.Pos().Offset())), Parent: c.parent}
		cmd.Args = []string{x.Variant.Value}
		cmd.Literal = []bool{true}
		for _, a := range x.Args {
			if a.Name != nil {
				v, _ := c.word(a.Value)
				cmd.Assigns = append(cmd.Assigns, facts.KV{Key: a.Name.Value, Value: v, HasValue: a.Value != nil, At: c.at(int(a.Pos().Offset()))})
			} else if a.Value != nil {
				v, lit := c.word(a.Value)
				cmd.Args = append(cmd.Args, v)
				cmd.Literal = append(cmd.Literal, lit)
			}
		}
		cmd.Pipeline = []*facts.Command{cmd}
		cmd.FailureIgnored = ignored
		c.w.out = append(c.w.out, cmd)
		cmds = append(cmds, cmd)
	case *syntax.BinaryCmd:
		switch x.Op {
		case syntax.Pipe, syntax.PipeAll:
			var stmts []*syntax.Stmt
			c.flattenPipe(x, &stmts)
			var pipe []*facts.Command
			for _, ps := range stmts {
				pipe = append(pipe, c.stmt(ps, ignored)...)
			}
			for i, pc := range pipe {
				pc.Pipeline = pipe
				pc.PipeIndex = i
			}
			cmds = append(cmds, pipe...)
		case syntax.OrStmt:
			// `a || true` hides a's failure; `a || b` runs b only when a fails.
			cmds = append(cmds, c.stmt(x.X, ignored || neverFails(x.Y))...)
			cmds = append(cmds, c.stmt(x.Y, ignored)...)
		default:
			cmds = append(cmds, c.stmt(x.X, ignored)...)
			cmds = append(cmds, c.stmt(x.Y, ignored)...)
		}
	case *syntax.Subshell:
		cmds = c.stmts(x.Stmts, ignored)
	case *syntax.Block:
		cmds = c.stmts(x.Stmts, ignored)
	case *syntax.IfClause:
		for cl := x; cl != nil; cl = cl.Else {
			// A failing condition only selects a branch.
			cmds = append(cmds, c.stmts(cl.Cond, true)...)
			cmds = append(cmds, c.stmts(cl.Then, ignored)...)
		}
	case *syntax.WhileClause:
		cmds = append(cmds, c.stmts(x.Cond, true)...)
		cmds = append(cmds, c.stmts(x.Do, ignored)...)
	case *syntax.ForClause:
		cmds = c.stmts(x.Do, ignored)
	case *syntax.CaseClause:
		for _, it := range x.Items {
			cmds = append(cmds, c.stmts(it.Stmts, ignored)...)
		}
	case *syntax.FuncDecl:
		cmds = c.stmt(x.Body, ignored)
	case *syntax.TimeClause:
		cmds = c.stmt(x.Stmt, ignored)
	case *syntax.CoprocClause:
		cmds = c.stmt(x.Stmt, ignored)
	}
	if len(s.Redirs) > 0 && len(cmds) > 0 {
		last := cmds[len(cmds)-1]
		for _, r := range s.Redirs {
			if r.Word == nil {
				continue
			}
			t, _ := c.word(r.Word)
			last.Redirects = append(last.Redirects, facts.Redirect{Op: r.Op.String(), Target: t})
			c.substitutions(r.Word, last)
		}
	}
	return cmds
}

func (c *ctx) stmts(list []*syntax.Stmt, ignored bool) []*facts.Command {
	var out []*facts.Command
	for _, s := range list {
		out = append(out, c.stmt(s, ignored)...)
	}
	return out
}

func (c *ctx) flattenPipe(b *syntax.BinaryCmd, out *[]*syntax.Stmt) {
	if l, ok := b.X.Cmd.(*syntax.BinaryCmd); ok && (l.Op == syntax.Pipe || l.Op == syntax.PipeAll) && len(b.X.Redirs) == 0 {
		c.flattenPipe(l, out)
	} else {
		*out = append(*out, b.X)
	}
	*out = append(*out, b.Y)
}

// neverFails reports whether a fallback makes the whole `a || b` succeed.
func neverFails(s *syntax.Stmt) bool {
	call, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) == 0 {
		return false
	}
	switch call.Args[0].Lit() {
	case "true", ":", "echo", "printf":
		return true
	case "exit", "return":
		return len(call.Args) == 1 || call.Args[1].Lit() == "0"
	}
	return false
}

func (c *ctx) call(x *syntax.CallExpr) *facts.Command {
	cmd := &facts.Command{Parent: c.parent}
	if len(x.Args) > 0 {
		cmd.At = c.at(int(x.Args[0].Pos().Offset()))
	} else if len(x.Assigns) > 0 {
		cmd.At = c.at(int(x.Assigns[0].Pos().Offset()))
	}
	for _, a := range x.Assigns {
		if a.Name == nil {
			continue
		}
		v, _ := c.word(a.Value)
		cmd.Assigns = append(cmd.Assigns, facts.KV{Key: a.Name.Value, Value: v, HasValue: a.Value != nil, At: c.at(int(a.Pos().Offset()))})
	}
	for _, a := range x.Args {
		v, lit := c.word(a)
		cmd.Args = append(cmd.Args, v)
		cmd.Literal = append(cmd.Literal, lit)
		cmd.ArgAt = append(cmd.ArgAt, c.at(int(a.Pos().Offset())))
	}
	c.w.out = append(c.w.out, cmd)
	for _, a := range x.Assigns {
		if a.Value != nil {
			c.substitutions(a.Value, cmd)
		}
	}
	for _, a := range x.Args {
		c.substitutions(a, cmd)
	}
	c.nestedScript(cmd, x)
	return cmd
}

// substitutions walks command and process substitutions inside a word; the
// commands found there feed the command that holds the word.
func (c *ctx) substitutions(w *syntax.Word, holder *facts.Command) {
	if w == nil || c.depth >= maxNesting {
		return
	}
	syntax.Walk(w, func(n syntax.Node) bool {
		var stmts []*syntax.Stmt
		switch s := n.(type) {
		case *syntax.CmdSubst:
			stmts = s.Stmts
		case *syntax.ProcSubst:
			stmts = s.Stmts
		default:
			return true
		}
		inner := &ctx{w: c.w, src: c.src, at: c.at, parent: holder, depth: c.depth + 1}
		inner.stmts(stmts, true)
		return false
	})
}

// shells are interpreters whose -c argument is itself a shell script.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true, "mksh": true, "busybox": true}

// nestedScript follows `sh -c 'script'` (also `su -c`, `runuser -c`), so
// what the inner script runs is judged like the rest.
func (c *ctx) nestedScript(cmd *facts.Command, x *syntax.CallExpr) {
	if c.depth >= maxNesting {
		return
	}
	name := cmd.Name()
	args := cmd.Args
	if name == "busybox" && len(args) > 1 && shells[args[1]] {
		args = args[1:]
		name = args[0]
	}
	if !shells[name] && name != "su" && name != "runuser" {
		return
	}
	for i := 1; i < len(args)-1; i++ {
		a := args[i]
		if a == "-c" || (shells[name] && strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.HasSuffix(a, "c")) {
			idx := i + 1 + (len(cmd.Args) - len(args))
			if idx >= len(x.Args) || !cmd.Literal[idx] {
				return
			}
			loc := c.at(int(x.Args[idx].Pos().Offset()))
			_ = c.w.parse(cmd.Args[idx], cmd, c.depth+1, func(int) facts.Location { return loc })
			return
		}
	}
}

// word renders a word after quote removal. Parts that only exist at run time
// (variables, substitutions) keep their source text and make it non-literal.
func (c *ctx) word(w *syntax.Word) (string, bool) {
	if w == nil {
		return "", true
	}
	var b strings.Builder
	lit := true
	for _, p := range w.Parts {
		if !c.part(&b, p, false) {
			lit = false
		}
	}
	return b.String(), lit
}

func (c *ctx) part(b *strings.Builder, p syntax.WordPart, quoted bool) bool {
	switch x := p.(type) {
	case *syntax.Lit:
		b.WriteString(unescape(x.Value, quoted))
		return true
	case *syntax.SglQuoted:
		if x.Dollar {
			b.WriteString(ansiC(x.Value))
		} else {
			b.WriteString(x.Value)
		}
		return true
	case *syntax.DblQuoted:
		lit := true
		for _, q := range x.Parts {
			if !c.part(b, q, true) {
				lit = false
			}
		}
		return lit
	default:
		start, end := int(p.Pos().Offset()), int(p.End().Offset())
		if start >= 0 && end <= len(c.src) && start <= end {
			b.WriteString(c.src[start:end])
		}
		return false
	}
}

// unescape removes the backslashes the shell removes: before any character
// outside quotes, and before $ ` " \ and newline inside double quotes.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			n := s[i+1]
			if !quoted || strings.IndexByte("$`\"\\\n", n) >= 0 {
				if n != '\n' {
					b.WriteByte(n)
				}
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ansiC decodes the common escapes of $'…' strings.
func ansiC(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, `\'`, "'", `\"`, `"`)
	return r.Replace(s)
}
