package harden

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	api "github.com/moby/moby/api/types/container"
)

// RunResult is a hardened command line.
type RunResult struct {
	Line string
	// Fixed are the slugs of the rules whose findings the new line no
	// longer has (for the controls harden changed or found already set).
	Fixed []string
	Notes []Note
	// Plans are the plans of the line's containers, in the order of the
	// commands that start them.
	Plans []*Plan
}

// edit replaces line[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// Run hardens every docker/podman run or create command in a command line.
// The rest of the line (other flags, the image, its command, other
// commands) is kept byte for byte; new flags go just before the image.
func Run(line string, opt Options) (*RunResult, error) {
	// Check the line the way audit reads it: errors are the parser's.
	if _, err := runcmd.ParseLine(line, 1); err != nil {
		return nil, err
	}
	locate := func(off int) facts.Location { return facts.Location{Column: off + 1} }
	cmds, err := shell.Parse(line, locate)
	if err != nil {
		return nil, err
	}
	out := &RunResult{}
	fixed := map[string]bool{}
	var edits []edit
	for _, cmd := range cmds {
		res, ok, err := runcmd.FromCommand(cmd)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		w, ok := runcmd.Layout(cmd)
		if !ok {
			continue
		}
		if cmd.Parent != nil || !wordsInLine(line, cmd, w) {
			out.Notes = append(out.Notes, Note{Message: fmt.Sprintf("the %s command inside another command's string is not rewritten; harden it on its own", w.Engine)})
			continue
		}
		h := &runHardener{line: line, cmd: cmd, w: w, spec: res.Spec, opt: opt, fixed: fixed}
		name := ""
		if f, ok := h.last("name"); ok {
			name = f.Value
		}
		h.lim = opt.LimitsFor(name, res.Spec.Config.Image)
		if _, ok := opt.Observed.lookup(name, opt.Project); len(opt.Observed) > 0 && !ok {
			if name == "" {
				h.note("", "the line has no --name, so no observed container matches it: the limits come from the configuration and defaults")
			} else {
				h.note("", "no running container named %s was observed: the limits come from the configuration and defaults", name)
			}
		}
		h.harden()
		if h.fixed["memory-limit"] || h.fixed["pids-limit"] {
			for _, w := range h.lim.Why {
				h.note("", "%s", w)
			}
		}
		h.finishAdd()
		out.Plans = append(out.Plans, h.plan)
		edits = append(edits, h.edits...)
		out.Notes = append(out.Notes, h.notes...)
	}
	out.Line = apply(line, edits)
	for s := range fixed {
		out.Fixed = append(out.Fixed, s)
	}
	sort.Strings(out.Fixed)
	return out, nil
}

// wordsInLine reports whether every word of the command starts in the line
// at the position the parser gave (not so inside `sh -c '…'`).
func wordsInLine(line string, cmd *facts.Command, w runcmd.Words) bool {
	for i := range cmd.Args {
		if i >= len(cmd.ArgAt) {
			return false
		}
		off := cmd.ArgAt[i].Column - 1
		if off < 0 || off >= len(line) || cmd.ArgAt[i].Line > 1 {
			return false
		}
	}
	return true
}

func apply(line string, edits []edit) string {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	for _, e := range edits {
		line = line[:e.start] + e.text + line[e.end:]
	}
	return line
}

// wordEnd returns the end of the shell word that starts at off.
func wordEnd(s string, off int) int {
	i := off
	for i < len(s) {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')':
			return i
		case '\\':
			i += 2
			continue
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return len(s)
			}
			i += j + 2
			continue
		case '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
			continue
		case '$':
			if i+1 < len(s) && s[i+1] == '(' {
				depth := 0
				for i < len(s) {
					if s[i] == '(' {
						depth++
					} else if s[i] == ')' {
						depth--
						if depth == 0 {
							break
						}
					}
					i++
				}
				i++
				continue
			}
		}
		i++
	}
	if i > len(s) {
		return len(s)
	}
	return i
}

// quote returns v as one shell word.
func quote(v string) string {
	if v != "" && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+%", r))
	}) < 0 {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

type runHardener struct {
	line  string
	cmd   *facts.Command
	w     runcmd.Words
	spec  *container.Spec
	opt   Options
	lim   Limits
	fixed map[string]bool
	edits []edit
	add   []string
	notes []Note
	plan  *Plan
}

func (h *runHardener) off(word int) int { return h.cmd.ArgAt[word].Column - 1 }

func (h *runHardener) flags(names ...string) []runcmd.Flag {
	var out []runcmd.Flag
	for _, f := range h.w.Flags {
		for _, n := range names {
			if f.Name == n {
				out = append(out, f)
			}
		}
	}
	return out
}

func (h *runHardener) last(names ...string) (runcmd.Flag, bool) {
	fs := h.flags(names...)
	if len(fs) == 0 {
		return runcmd.Flag{}, false
	}
	return fs[len(fs)-1], true
}

// literal reports whether a flag's value is written as it is (no variable).
func (h *runHardener) literal(f runcmd.Flag) bool {
	if f.VWord >= 0 && f.VWord < len(h.cmd.Literal) {
		return h.cmd.Literal[f.VWord]
	}
	return !strings.ContainsAny(f.Value, "$`")
}

// set replaces a flag's value.
func (h *runHardener) set(f runcmd.Flag, value string) {
	if f.Word < 0 {
		return
	}
	if f.VWord == f.Word || f.VWord < 0 {
		s := h.off(f.Word)
		h.edits = append(h.edits, edit{s, wordEnd(h.line, s), "--" + f.Name + "=" + quote(value)})
		return
	}
	s := h.off(f.VWord)
	h.edits = append(h.edits, edit{s, wordEnd(h.line, s), quote(value)})
}

// replace replaces the whole flag (its words) with text.
func (h *runHardener) replace(f runcmd.Flag, text string) {
	if f.Word < 0 {
		return
	}
	s := h.off(f.Word)
	last := f.Word
	if f.VWord > last {
		last = f.VWord
	}
	h.edits = append(h.edits, edit{s, wordEnd(h.line, h.off(last)), text})
}

func (h *runHardener) note(rule, format string, args ...any) {
	h.notes = append(h.notes, Note{Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// harden decides the plan of the command's container and writes it.
func (h *runHardener) harden() {
	img := h.spec.Config.Image
	// The image is pinned only where the line names it literally.
	literalImage := h.w.Image >= 0 && h.w.Image < len(h.cmd.Literal) && h.cmd.Literal[h.w.Image]
	fs := findingsOf(h.spec, h.opt.Config)
	plan := decide(planInput{spec: h.spec, findings: fs, found: slugs(fs), lim: h.lim, opt: h.opt, pinnable: literalImage})
	h.plan = plan
	failed := map[string]bool{}
	for _, st := range plan.Steps {
		if st.Note != nil {
			h.planNote(st.Rule, st.Note, img)
			continue
		}
		if !h.write(plan, st.Change) {
			failed[st.Rule] = true
		}
	}
	for _, s := range plan.Covered {
		if !failed[s] {
			h.fixed[s] = true
		}
	}
}

// planNote words a plan's note for a command line.
func (h *runHardener) planNote(rule string, n *PlanNote, image string) {
	a := n.Args
	switch n.Kind {
	case noteScriptDrop:
		h.note(rule, "the image's entrypoint script switches user with %s", a[0])
	case noteDrop:
		h.note(rule, "the command switches user itself (gosu, su-exec, …): no --user added; CHOWN, SETUID and SETGID are kept for it")
	case noteImageUser:
		h.note(rule, "the image runs as its own user %s: no --user added", a[0])
	case noteOwnUser:
		h.note(rule, "%s switches to its own user %s when started as root: --user %s starts it as that user", a[0], a[1], a[1])
	case noteUserReplaced:
		h.note(rule, "--user %s replaced by %s; give the files the app writes to that user", a[0], a[1])
	case noteDataVolume:
		h.note(rule, "the image's VOLUME %s is not mounted: Docker creates an anonymous volume there, writable under --read-only; mount a named volume (-v NAME:%s) so the data outlives this container", a[0], a[0])
	case noteMemoryLowered:
		h.note(rule, "memory limit lowered to maxMemory %s", a[0])
	case noteUlimitInvalid:
		h.note(rule, "--ulimit %s=%s:%s: the soft limit is above the hard one and Docker refuses it; lower the soft limit", a[0], a[1], a[2])
	case noteRestartReplaced:
		h.note(rule, "--restart %s replaced by %s: a crash loop is no longer restarted forever", a[0], a[1])
	case notePublishAll:
		h.note(rule, "-P publishes every exposed port on all interfaces; replace it with -p 127.0.0.1:HOST:CONTAINER for the ports you need")
	case notePin:
		h.notes = append(h.notes, Note{Rule: rule, Message: a[0]})
	}
}

// setOrAdd replaces the value of the last --name flag, or adds the flag.
func (h *runHardener) setOrAdd(name, value string) {
	if f, ok := h.last(name); ok {
		h.set(f, value)
		return
	}
	h.add = append(h.add, "--"+name, value)
}

// write puts one change of the plan into the line: a value that is wrong
// is replaced where it stands, a missing flag is added before the image.
// It reports false when the line cannot take it.
func (h *runHardener) write(plan *Plan, c *Change) bool {
	switch c.Field {
	case container.FieldUser:
		h.setOrAdd("user", c.Text)
	case container.FieldReadonlyRootfs:
		if f, ok := h.last("read-only"); ok {
			h.replace(f, "--read-only")
		} else {
			h.add = append(h.add, "--read-only")
		}
	case container.FieldTmpfs:
		for _, p := range c.Value.([]string) {
			h.add = append(h.add, "--tmpfs", p)
		}
	case container.FieldCapDrop:
		for _, n := range c.Value.([]string) {
			h.add = append(h.add, "--cap-drop", n)
		}
	case container.FieldCapAdd:
		for _, n := range c.Value.([]string) {
			h.add = append(h.add, "--cap-add", n)
		}
	case container.FieldSecurityOpt:
		if c.Add {
			h.add = append(h.add, "--security-opt", c.Text)
			break
		}
		for _, f := range h.flags("security-opt") {
			if _, off := nnpState([]string{f.Value}); off {
				h.set(f, c.Text)
			}
		}
	case container.FieldImage:
		s := h.off(h.w.Image)
		// Before finishAdd's insertion at the same offset, so both apply.
		h.edits = append(h.edits, edit{s, wordEnd(h.line, s), quote(c.Text)})
	case container.FieldMemory:
		h.setOrAdd("memory", c.Text)
	case container.FieldMemorySwap:
		mf, hasMem := h.last("memory")
		if _, ok := c.Value.(SameAs); ok {
			// The limit in a variable: the same word, as written.
			if !hasMem || mf.VWord < 0 || mf.VWord == mf.Word {
				return false
			}
			s := h.off(mf.VWord)
			h.add = append(h.add, "--memory-swap", h.line[s:wordEnd(h.line, s)])
			break
		}
		text := c.Text
		if hasMem && !plan.changes(container.FieldMemory) {
			// The limit the line has, in its own spelling.
			text = mf.Value
		}
		h.setOrAdd("memory-swap", text)
	case container.FieldNanoCPUs:
		h.setOrAdd("cpus", c.Text)
	case container.FieldPidsLimit:
		h.setOrAdd("pids-limit", c.Text)
	case container.FieldUlimits:
		u := c.Value.(*api.Ulimit)
		h.add = append(h.add, "--ulimit", u.Name+"="+ulimitText(c.Text))
	case container.FieldRestartPolicy:
		f, ok := h.last("restart")
		if !ok {
			return false
		}
		h.set(f, c.Text)
	case container.FieldPortBindings:
		all := true
		for _, f := range h.flags("publish") {
			if !h.literal(f) {
				all = false
				continue
			}
			if v, changed := localPublish(f.Value); changed {
				h.set(f, v)
			}
		}
		return all
	default:
		return false
	}
	return true
}

// finish adds the new flags before the image.
func (h *runHardener) finishAdd() {
	if len(h.add) == 0 {
		return
	}
	parts := make([]string, len(h.add))
	for i, a := range h.add {
		parts[i] = quote(a)
	}
	s := h.off(h.w.Image)
	h.edits = append(h.edits, edit{s, s, strings.Join(parts, " ") + " "})
}
