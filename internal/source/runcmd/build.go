package runcmd

import (
	"encoding/csv"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/opts"
	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	api "github.com/moby/moby/api/types/container"
)

// builder turns one recognized command's flags into a Spec. What each flag
// does is in the handler tables (handlers.go and the files by topic); this
// file holds the walk over the flags and the bookkeeping they share.
type builder struct {
	cmd  *facts.Command
	inv  *invocation
	spec *container.Spec
	c    *api.Config
	h    *api.HostConfig

	notes []facts.Note
	help  bool

	env      []envItem // -e, in order
	fileEnv  []envItem // --env-file contents, in order
	envAt    *facts.Location
	hc       healthFlags
	restart  *token
	restartN bool // --restart was given and is not "no"
	rm       bool
	networks int
	bindings int
	exposed  int
	cwd      string
	cwdErr   error
}

func newBuilder(cmd *facts.Command, inv *invocation) *builder {
	c := &api.Config{}
	h := &api.HostConfig{}
	b := &builder{cmd: cmd, inv: inv, c: c, h: h}
	b.spec = &container.Spec{
		Config:     c,
		HostConfig: h,
		Origin:     cmd.At,
		Engine:     inv.engine,
		Rootless:   inv.engine == "podman" && !inv.rootful,
		At:         map[string]facts.Location{},
		Unknown:    map[string]string{},
	}
	b.notes = append(b.notes, inv.notes...)
	return b
}

func (b *builder) errorf(at facts.Location, format string, args ...any) *Error {
	return &Error{At: at, Msg: b.inv.tool + " " + b.inv.sub + ": " + fmt.Sprintf(format, args...)}
}

// docker reports whether the line runs Docker's CLI: many value checks are
// the Docker CLI's own, and Podman's CLI accepts what they refuse.
func (b *builder) docker() bool { return b.inv.engine == "docker" }

func (b *builder) build() error {
	words := b.cmd.Args[b.inv.start:]
	lit := literals(b.cmd, b.inv.start)
	sc := b.inv.table.parseFlags(words, lit)
	if sc.err != nil {
		return b.errorf(wordAt(b.cmd, b.inv.start, sc.errWord), "%v", sc.err)
	}
	for _, d := range sc.dropped {
		b.notes = append(b.notes, facts.Note{At: b.cmd.WordAt(b.inv.start + d),
			Message: fmt.Sprintf("%q names flags with a variable; the flags it holds were not seen", words[d])})
	}
	for _, t := range sc.tokens {
		if t.def.name == "help" {
			if v, err := strconv.ParseBool(t.value); err == nil && v {
				b.help = true
				return nil
			}
		}
	}
	for _, t := range sc.tokens {
		if err := b.flag(t); err != nil {
			return err
		}
	}
	if len(sc.pos) == 0 {
		return b.errorf(b.cmd.WordAt(b.inv.subWord), "%q requires at least 1 argument: the image", b.inv.tool+" "+b.inv.sub)
	}
	b.image(sc.pos)
	return b.finish()
}

// at returns where a token's flag was written.
func (b *builder) at(t token) facts.Location { return wordAt(b.cmd, b.inv.start, t.word) }

// literal reports whether a token's value is known before the command runs.
func (b *builder) literal(t token) bool {
	if t.vword < 0 {
		return !strings.ContainsAny(t.value, "$`")
	}
	return literalAt(b.cmd, b.inv.start+t.vword)
}

// why says why a value is unknown.
func why(t token, value string) string {
	what := "a variable"
	if strings.Contains(value, "$(") || strings.Contains(value, "`") {
		what = "a command substitution"
	}
	return fmt.Sprintf("%s %q depends on %s", t.spelled, value, what)
}

// set records where a field was written; the last flag wins, as for the
// value.
func (b *builder) set(field string, at facts.Location) {
	b.spec.At[field] = at
	delete(b.spec.Unknown, field)
}

// first records where a list field was first written.
func (b *builder) first(field string, at facts.Location) {
	if _, ok := b.spec.At[field]; !ok {
		b.spec.At[field] = at
	}
}

func (b *builder) unknown(field string, at facts.Location, reason string) {
	b.spec.At[field] = at
	b.spec.Unknown[field] = reason
}

func display(d *flagDef) string {
	if d.short != 0 {
		return "-" + string(d.short) + ", --" + d.name
	}
	return "--" + d.name
}

func (b *builder) invalid(t token, value string, err error) *Error {
	return b.errorf(b.at(t), "invalid argument %q for %q flag: %v", value, display(t.def), err)
}

// checkKind rejects values the CLI's own flag types reject.
func (b *builder) checkKind(d *flagDef, v string) error {
	var err error
	switch d.kind {
	case vBool:
		_, err = strconv.ParseBool(v)
	case vInt:
		_, err = strconv.ParseInt(v, 0, 64)
	case vUint:
		_, err = strconv.ParseUint(v, 0, 64)
	case vUint16:
		_, err = strconv.ParseUint(v, 0, 16)
	case vDuration:
		_, err = time.ParseDuration(v)
	case vIP:
		if net.ParseIP(strings.TrimSpace(v)) == nil {
			err = fmt.Errorf("failed to parse IP: %q", v)
		}
	case vBytes:
		_, err = units.RAMInBytes(v)
	case vSwap:
		if v != "-1" {
			_, err = units.RAMInBytes(v)
		}
	case vCPUs:
		_, err = b.cpus(v)
	}
	return err
}

func (b *builder) cpus(v string) (int64, error) {
	n, err := opts.ParseCPUs(v)
	if err != nil && b.inv.engine == "podman" {
		// Podman's --cpus is a float.
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && f >= -9e9 && f <= 9e9 {
			return int64(f * 1e9), nil
		}
	}
	return n, err
}

func parseInt(v string) int64 {
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil {
		u, _ := strconv.ParseUint(v, 0, 64)
		n = int64(u)
	}
	return n
}

func parseBool(v string) bool {
	x, _ := strconv.ParseBool(v)
	return x
}

// flag applies one flag occurrence.
func (b *builder) flag(t token) error {
	lit := b.literal(t)
	values := []string{t.value}
	if t.def.split && lit {
		// Podman's string-slice flags take comma-separated lists.
		r := csv.NewReader(strings.NewReader(t.value))
		vs, err := r.Read()
		if err != nil {
			return b.invalid(t, t.value, err)
		}
		values = vs
	}
	for _, v := range values {
		if lit && t.def.kind != vString {
			if err := b.checkKind(t.def, v); err != nil {
				return b.invalid(t, v, err)
			}
		}
		if err := b.apply(t, v, lit); err != nil {
			return err
		}
	}
	return nil
}

// apply hands one value of a flag to the flag's handler. A flag without
// one is accepted and changes nothing the rules read.
func (b *builder) apply(t token, v string, lit bool) error {
	if h := flagHandlers[t.def.key()]; h != nil {
		return h(b, t, v, lit)
	}
	return nil
}

// scalar sets a field the mapper reads: its value when it is known, or
// why it is not.
func (b *builder) scalar(field string, t token, v string, lit bool, setValue func()) {
	at := b.at(t)
	if !lit {
		b.unknown(field, at, why(t, v))
		return
	}
	b.set(field, at)
	setValue()
}

// listItem appends one item to a list field with its position.
func (b *builder) listItem(field string, list *[]string, t token, v string, lit bool) {
	at := b.at(t)
	k := len(*list)
	*list = append(*list, v)
	b.first(field, at)
	b.spec.At[container.Item(field, k)] = at
	if !lit {
		b.spec.Unknown[container.Item(field, k)] = why(t, v)
	}
}

// image takes the first positional word as the image and the rest as the
// command.
func (b *builder) image(pos []int) {
	start := b.inv.start
	words := b.cmd.Args[start:]
	i := pos[0]
	img := words[i]
	at := b.cmd.WordAt(start + i)
	b.c.Image = img
	b.spec.At[container.FieldImage] = at
	if !literalAt(b.cmd, start+i) {
		b.spec.Unknown[container.FieldImage] = fmt.Sprintf("the image %q depends on a variable", img)
		if optionsVariable(img) {
			b.notes = append(b.notes, facts.Note{At: at,
				Message: fmt.Sprintf("%q may hold %s flags before the image; flags in it were not seen", img, b.inv.tool+" "+b.inv.sub)})
		}
	}
	if len(pos) > 1 {
		for _, p := range pos[1:] {
			b.c.Cmd = append(b.c.Cmd, words[p])
		}
		b.spec.At[container.FieldCmd] = b.cmd.WordAt(start + pos[1])
	}
	if b.spec.Subject.Name == "" {
		b.spec.Subject = facts.Subject{Kind: facts.SubjectContainer, Name: img}
	}
}

// optionsVariable reports whether a variable word looks like it holds
// flags rather than an image ("$@", "$DOCKER_OPTS", "${RUN_ARGS[@]}").
func optionsVariable(w string) bool {
	u := strings.ToUpper(w)
	for _, s := range []string{"$@", "$*", "${@}", "${*}", "[@]", "[*]", "OPT", "ARG", "FLAG", "PARAM"} {
		if strings.Contains(u, s) {
			return true
		}
	}
	return false
}

// finish checks what the CLI checks across flags and assembles what
// several flags contribute to (the health check, the environment).
func (b *builder) finish() error {
	if err := b.finishHealth(); err != nil {
		return err
	}
	if b.rm && b.restartN {
		return b.errorf(b.at(*b.restart), "conflicting options: cannot specify both --restart and --rm")
	}
	b.finishEnv()
	return nil
}
