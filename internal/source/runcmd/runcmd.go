// Package runcmd turns `docker run` / `docker create` / `docker container
// run|create` / `podman run|create` command lines into container specs.
//
// A command line is read the way the CLI reads it: Docker CLI v29's flags
// (and Podman's), parsed with pflag like the CLIs do, so that every valid
// command line parses, flags that take a value consume it, booleans do not,
// and the first word that is not a flag is the image. The values are then
// expressed in the Engine API's types (container.Config and HostConfig) with
// the position of each flag, for the one container mapper to decode.
//
// Values that only exist when the command runs (`--memory "$MEM"`,
// `-u "$(id -u)"`) are recorded as unknown, never as missing: a rule must
// not report a missing memory limit for a line that sets one from a
// variable.
package runcmd

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// Result is one container a command line starts.
type Result struct {
	// Spec is ready for container.Map.
	Spec *container.Spec
	// Notes are what this package could not decide or read (an env file
	// that does not exist, flags hidden in a variable). Values that depend
	// on a variable are in Spec.Unknown instead, and the mapper notes them.
	Notes []facts.Note
}

// Error is a command line Docker (or Podman) itself would refuse: an
// unknown flag, a malformed value, a missing image. At is where.
type Error struct {
	At  facts.Location
	Msg string
}

func (e *Error) Error() string {
	if at := e.At.String(); at != "" {
		return at + ": " + e.Msg
	}
	return e.Msg
}

// FromCommand recognizes a parsed shell command (from any script) that runs
// or creates a container, and builds its Spec. ok is false when the command
// is something else (docker ps, docker build, echo docker run …). Errors
// are *Error values with the location of the offending word.
func FromCommand(cmd *facts.Command) (res *Result, ok bool, err error) {
	if cmd == nil {
		return nil, false, nil
	}
	inv, ok, err := recognize(cmd)
	if !ok || err != nil {
		return nil, ok, err
	}
	b := newBuilder(cmd, inv)
	if err := b.build(); err != nil {
		return nil, true, err
	}
	if b.help {
		// `docker run --help` prints the usage and starts nothing.
		return nil, false, nil
	}
	return &Result{Spec: b.spec, Notes: b.notes}, true, nil
}

// ParseLine parses one command line given on dockguard's command line with
// --run (index is its 1-based position among the --run flags). The line is
// shell: quotes, `sudo`, `env X=1`, `&&` chains, `sh -c '…'` and line
// continuations work, and every docker/podman run or create command in it
// becomes a Result. Locations are {Path: "--run", Index: index, Column:
// byte column of the word}.
func ParseLine(line string, index int) ([]*Result, error) {
	locate := func(off int) facts.Location {
		return facts.Location{Path: facts.RunPath, Index: index, Column: off + 1}
	}
	cmds, err := shell.Parse(line, locate)
	if err != nil {
		at := facts.Location{Path: facts.RunPath, Index: index}
		msg := err.Error()
		if se, ok := err.(*shell.Error); ok {
			at = se.At
			msg = se.Msg
		}
		return nil, &Error{At: at, Msg: "the command line is not valid shell: " + msg}
	}
	var out []*Result
	for _, c := range cmds {
		res, ok, err := FromCommand(c)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, res)
		}
	}
	if len(out) == 0 {
		return nil, &Error{
			At:  facts.Location{Path: facts.RunPath, Index: index},
			Msg: "no docker run, docker create or podman run|create command in " + quoteShort(line),
		}
	}
	return out, nil
}

func quoteShort(s string) string {
	const max = 80
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// invocation is a recognized run/create command.
type invocation struct {
	engine string // "docker" or "podman"
	tool   string // docker, podman, nerdctl: how the program was named
	sub    string // run or create
	sudo   bool
	// rootful is true when sudo/doas runs the command as root.
	rootful bool
	subWord int // index in cmd.Args of the run/create word
	start   int // index in cmd.Args of the first word after it
	table   *flagTable
	notes   []facts.Note
}

func base(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func literalAt(cmd *facts.Command, i int) bool {
	if i < 0 || i >= len(cmd.Literal) {
		return true
	}
	return cmd.Literal[i]
}

func literals(cmd *facts.Command, from int) []bool {
	out := make([]bool, len(cmd.Args)-from)
	for i := range out {
		out[i] = literalAt(cmd, from+i)
	}
	return out
}

// sudoUser returns the user sudo or doas runs the command as ("" for root).
func sudoUser(flags []string) string {
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		switch {
		case f == "-u" || f == "--user":
			if i+1 < len(flags) {
				return flags[i+1]
			}
		case strings.HasPrefix(f, "--user="):
			return strings.TrimPrefix(f, "--user=")
		case strings.HasPrefix(f, "-u") && len(f) > 2 && !strings.HasPrefix(f, "--"):
			return f[2:]
		}
	}
	return ""
}

func isRoot(user string) bool {
	return user == "" || user == "root" || user == "0" || user == "#0"
}

// recognize finds a run/create command: docker, podman or nerdctl after any
// wrappers (env, exec, nohup, sudo, doas), their global flags, and the
// run/create subcommand, directly or under `container`.
func recognize(cmd *facts.Command) (*invocation, bool, error) {
	args := cmd.Args
	eff := shell.Effective(args)
	if len(eff) == 0 {
		return nil, false, nil
	}
	inv := &invocation{}
	if n := base(eff[0]); n == "sudo" || n == "doas" {
		inner := shell.WithoutSudo(eff)
		if len(inner) == 0 {
			return nil, false, nil
		}
		inv.sudo = true
		inv.rootful = isRoot(sudoUser(eff[1 : len(eff)-len(inner)]))
		eff = inner
	}
	prog := len(args) - len(eff)
	if !literalAt(cmd, prog) {
		return nil, false, nil
	}
	var global *flagTable
	switch base(eff[0]) {
	case "docker", "docker.exe":
		inv.engine, inv.tool, global = "docker", "docker", dockerGlobalTable
	case "nerdctl":
		inv.engine, inv.tool, global = "docker", "nerdctl", nerdctlGlobalTable
	case "podman", "podman-remote":
		inv.engine, inv.tool, global = "podman", "podman", podmanGlobalTable
	default:
		return nil, false, nil
	}
	from := prog + 1
	words := args[from:]
	sc := global.parseFlags(words, literals(cmd, from))
	if sc.err != nil {
		// A global flag the CLI does not know: the command fails, but only
		// report it when it was meant to run or create a container.
		for i := sc.errWord + 1; i >= 0 && i < len(words); i++ {
			if literalAt(cmd, from+i) && (words[i] == "run" || words[i] == "create") {
				return nil, true, &Error{At: wordAt(cmd, from, sc.errWord), Msg: inv.tool + ": " + sc.err.Error()}
			}
		}
		return nil, false, nil
	}
	for _, t := range sc.tokens {
		if t.def.name == "help" || t.def.name == "version" {
			return nil, false, nil
		}
	}
	for _, d := range sc.dropped {
		inv.notes = append(inv.notes, facts.Note{At: cmd.WordAt(from + d),
			Message: fmt.Sprintf("%q names flags with a variable; the %s flags it holds were not seen", words[d], inv.tool)})
	}
	pos := sc.pos
	// `docker $DOCKER_OPTS run …`: a variable that holds global flags.
	for len(pos) > 1 && !literalAt(cmd, from+pos[0]) && literalAt(cmd, from+pos[1]) &&
		(words[pos[1]] == "run" || words[pos[1]] == "create" || words[pos[1]] == "container") {
		inv.notes = append(inv.notes, facts.Note{At: cmd.WordAt(from + pos[0]),
			Message: fmt.Sprintf("%q may hold %s global flags; they were not seen", words[pos[0]], inv.tool)})
		pos = pos[1:]
	}
	if len(pos) == 0 || !literalAt(cmd, from+pos[0]) {
		return nil, false, nil
	}
	sub := pos[0]
	if words[sub] == "container" {
		if len(pos) < 2 || !literalAt(cmd, from+pos[1]) {
			return nil, false, nil
		}
		sub = pos[1]
	}
	switch words[sub] {
	case "run", "create":
		inv.sub = words[sub]
	default:
		return nil, false, nil
	}
	inv.subWord = from + sub
	inv.start = inv.subWord + 1
	switch {
	case inv.engine == "podman" && inv.sub == "run":
		inv.table = podmanRunTable
	case inv.engine == "podman":
		inv.table = podmanCreateTable
	case inv.sub == "run":
		inv.table = dockerRunTable
	default:
		inv.table = dockerCreateTable
	}
	return inv, true, nil
}

// wordAt is the location of word i of the words starting at cmd.Args[from],
// or the command's location when i is unknown (-1).
func wordAt(cmd *facts.Command, from, i int) facts.Location {
	if i < 0 {
		return cmd.At
	}
	return cmd.WordAt(from + i)
}
