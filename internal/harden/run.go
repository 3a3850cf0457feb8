package harden

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/runcmd"
)

// RunResult is a hardened command line.
type RunResult struct {
	Line string
	// Fixed are the slugs of the rules whose findings the new line no
	// longer has (for the controls harden changed or found already set).
	Fixed []string
	Notes []Note
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

func (h *runHardener) unknown(field string) bool {
	_, ok := h.spec.Unknown[field]
	return ok
}

func (h *runHardener) note(rule, format string, args ...any) {
	h.notes = append(h.notes, Note{Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// user is the user given to a container of image that would run as root
// (userFor), with a note when it is the image's own.
func (h *runHardener) user(image string) string {
	u, own := userFor(image)
	if own {
		h.note("root-user", "%s switches to its own user %s when started as root: --user %s starts it as that user", image, u, u)
	}
	return u
}

func (h *runHardener) harden() {
	c, hc := h.spec.Config, h.spec.HostConfig
	// What the container runs: the line's entrypoint and command, else
	// the image's when the daemon holds it.
	info := h.opt.image(c.Image)
	drop := dropsPrivileges(info.starts(h.spec))

	// User.
	if _, set := h.spec.At[container.FieldUser]; !set {
		if tool := info.scriptDrop(h.spec, drop); tool != "" {
			drop = true
			h.note("root-user", "the image's entrypoint script switches user with %s", tool)
		}
		switch u := info.nonRootUser(); {
		case drop:
			h.note("root-user", "the command switches user itself (gosu, su-exec, …): no --user added; CHOWN, SETUID and SETGID are kept for it")
		case u != "":
			h.note("root-user", "the image runs as its own user %s: no --user added", u)
		default:
			h.add = append(h.add, "--user", h.user(c.Image))
			h.fixed["root-user"] = true
		}
	} else if !h.unknown(container.FieldUser) && rootOrUnset(c.User) && !drop {
		if f, ok := h.last("user"); ok {
			u := h.user(c.Image)
			h.set(f, u)
			h.fixed["root-user"] = true
			h.note("root-user", "--user %s replaced by %s; give the files the app writes to that user", c.User, u)
		}
	}

	// Read-only root filesystem, with a writable /tmp.
	if !h.unknown(container.FieldReadonlyRootfs) {
		if !hc.ReadonlyRootfs {
			if f, ok := h.last("read-only"); ok {
				h.replace(f, "--read-only")
			} else {
				h.add = append(h.add, "--read-only")
			}
			tmpfs, data := h.opt.writablePaths(c.Image, h.lim)
			for _, p := range tmpfs {
				if !h.hasTarget(p) {
					h.add = append(h.add, "--tmpfs", p)
				}
			}
			for _, p := range data {
				if !mountedAround(h.spec, p) {
					h.note("read-only-rootfs", "the image's VOLUME %s is not mounted: Docker creates an anonymous volume there, writable under --read-only; mount a named volume (-v NAME:%s) so the data outlives this container", p, p)
				}
			}
		}
		h.fixed["read-only-rootfs"] = true
	}

	// Capabilities.
	if !h.unknown(container.FieldCapDrop) {
		all := false
		for _, cp := range hc.CapDrop {
			if strings.EqualFold(strings.TrimPrefix(strings.ToUpper(cp), "CAP_"), "ALL") {
				all = true
			}
		}
		if !all {
			h.add = append(h.add, "--cap-drop", "ALL")
			// No NET_BIND_SERVICE for published ports under 1024: Docker
			// (20.10 and later) sets net.ipv4.ip_unprivileged_port_start=0
			// in a container's own network namespace, so any user binds
			// them, and a capability added for a non-root user never
			// becomes effective (Docker sets no ambient capabilities).
			// Both measured on a private daemon (CapEff 0, bind allowed).
			need := []string{}
			if drop {
				need = append(need, "CHOWN", "SETUID", "SETGID")
			}
			for _, n := range need {
				if !h.hasCap(n) {
					h.add = append(h.add, "--cap-add", n)
				}
			}
		}
		h.fixed["capabilities-not-dropped"] = true
	}

	// no-new-privileges.
	if !h.unknown(container.FieldSecurityOpt) {
		on := false
		for _, f := range h.flags("security-opt") {
			k, v, _ := strings.Cut(strings.ReplaceAll(f.Value, "=", ":"), ":")
			if k != "no-new-privileges" {
				continue
			}
			if b, err := strconv.ParseBool(v); v != "" && (err != nil || !b) {
				h.set(f, "no-new-privileges")
			}
			on = true
		}
		if !on {
			h.add = append(h.add, "--security-opt", "no-new-privileges")
		}
		h.fixed["no-new-privileges-missing"] = true
		h.fixed["no-new-privileges-disabled"] = true
	}

	h.pinImage()
	h.memory()
	h.cpus()
	h.pids()
	h.ulimits()
	h.restart()
	h.ports()
}

func (h *runHardener) hasTarget(path string) bool { return hasTarget(h.spec, path) }

func (h *runHardener) hasCap(name string) bool {
	for _, cp := range h.spec.HostConfig.CapAdd {
		if strings.EqualFold(strings.TrimPrefix(strings.ToUpper(cp), "CAP_"), name) {
			return true
		}
	}
	return false
}

func (h *runHardener) memory() {
	hc := h.spec.HostConfig
	if h.unknown(container.FieldMemory) {
		mf, _ := h.last("memory")
		if _, ok := h.last("memory-swap"); !ok && mf.VWord >= 0 && mf.VWord != mf.Word {
			s := h.off(mf.VWord)
			h.add = append(h.add, "--memory-swap", h.line[s:wordEnd(h.line, s)])
			h.fixed["memory-swap"] = true
		}
		return
	}
	mem := h.lim.Memory
	memBytes := h.lim.MemoryBytes
	mf, hasMem := h.last("memory")
	switch {
	case hc.Memory <= 0:
		if hasMem {
			h.set(mf, mem)
		} else {
			h.add = append(h.add, "--memory", mem)
		}
	case h.opt.Config.MaxMemory > 0 && hc.Memory > h.opt.Config.MaxMemory:
		h.set(mf, mem)
		h.note("memory-limit", "memory limit lowered to maxMemory %s", mem)
	default:
		mem = mf.Value
		memBytes = hc.Memory
	}
	h.fixed["memory-limit"] = true
	if h.unknown(container.FieldMemorySwap) {
		return
	}
	if sf, ok := h.last("memory-swap"); ok {
		if hc.MemorySwap != memBytes {
			h.set(sf, mem)
		}
	} else {
		h.add = append(h.add, "--memory-swap", mem)
	}
	h.fixed["memory-swap"] = true
}

func (h *runHardener) cpus() {
	hc := h.spec.HostConfig
	if h.unknown(container.FieldNanoCPUs) || h.unknown(container.FieldCPUQuota) {
		return
	}
	if hc.NanoCPUs > 0 || hc.CPUQuota > 0 {
		h.fixed["cpu-limit"] = true
		return
	}
	if f, ok := h.last("cpus"); ok {
		h.set(f, h.lim.CPUs)
	} else {
		h.add = append(h.add, "--cpus", h.lim.CPUs)
	}
	h.fixed["cpu-limit"] = true
}

func (h *runHardener) pids() {
	if h.unknown(container.FieldPidsLimit) {
		return
	}
	p := h.spec.HostConfig.PidsLimit
	want := h.lim.Pids
	ok := p != nil && *p > 0 && (h.opt.Config.MaxPids <= 0 || *p <= h.opt.Config.MaxPids)
	if !ok {
		if f, has := h.last("pids-limit"); has {
			h.set(f, strconv.FormatInt(want, 10))
		} else {
			h.add = append(h.add, "--pids-limit", strconv.FormatInt(want, 10))
		}
	}
	h.fixed["pids-limit"] = true
}

func (h *runHardener) ulimits() {
	if h.unknown(container.FieldUlimits) {
		return
	}
	has := map[string]bool{}
	for _, u := range h.spec.HostConfig.Ulimits {
		has[u.Name] = true
		if u.Soft > u.Hard && u.Hard >= 0 {
			h.note("ulimit-invalid", "--ulimit %s=%d:%d: the soft limit is above the hard one and Docker refuses it; lower the soft limit", u.Name, u.Soft, u.Hard)
		}
	}
	if !has["nofile"] {
		h.add = append(h.add, "--ulimit", "nofile="+ulimitText(h.lim.NoFile))
	}
	if !has["nproc"] {
		h.add = append(h.add, "--ulimit", "nproc="+ulimitText(h.lim.NProc))
	}
	h.fixed["ulimits-missing"] = true
}

func (h *runHardener) restart() {
	if h.unknown(container.FieldRestartPolicy) {
		return
	}
	rp := h.spec.HostConfig.RestartPolicy
	f, ok := h.last("restart")
	if !ok {
		return
	}
	want := "on-failure:" + strconv.Itoa(h.lim.Retries)
	switch {
	case rp.Name == "always" || rp.Name == "unless-stopped":
		h.set(f, want)
		h.note("restart-policy", "--restart %s replaced by %s: a crash loop is no longer restarted forever", rp.Name, want)
	case rp.Name == "on-failure" && (rp.MaximumRetryCount <= 0 ||
		(h.opt.Config.MaxRestartRetries > 0 && rp.MaximumRetryCount > h.opt.Config.MaxRestartRetries)):
		h.set(f, want)
	}
	h.fixed["restart-policy"] = true
}

func (h *runHardener) ports() {
	if h.lim.Public {
		return
	}
	if h.spec.HostConfig.PublishAllPorts {
		h.note("publish-all", "-P publishes every exposed port on all interfaces; replace it with -p 127.0.0.1:HOST:CONTAINER for the ports you need")
	}
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
	if all {
		h.fixed["port-all-interfaces"] = true
	}
}

// pinImage adds the digest to the image (--resolve), keeping its tag.
func (h *runHardener) pinImage() {
	img := h.spec.Config.Image
	if h.w.Image < 0 || h.w.Image >= len(h.cmd.Literal) || !h.cmd.Literal[h.w.Image] {
		return
	}
	pinned, n := h.opt.pin(img)
	if n != nil {
		h.notes = append(h.notes, *n)
	}
	if pinned == "" {
		return
	}
	s := h.off(h.w.Image)
	// Before finishAdd's insertion at the same offset, so both apply.
	h.edits = append(h.edits, edit{s, wordEnd(h.line, s), quote(pinned)})
	h.fixed["image-unpinned"] = true
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
