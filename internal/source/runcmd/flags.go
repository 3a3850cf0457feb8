package runcmd

import (
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// vkind is the type of a flag's value, as the CLI that defines the flag
// parses it. It decides which values the CLI itself rejects.
type vkind uint8

const (
	vString   vkind = iota
	vBool           // strconv.ParseBool
	vInt            // strconv.ParseInt(v, 0, 64), as pflag's int flags
	vUint           // strconv.ParseUint(v, 0, 64)
	vUint16         // strconv.ParseUint(v, 0, 16)
	vDuration       // time.ParseDuration
	vIP             // net.ParseIP
	vBytes          // go-units RAMInBytes (512m, 1g)
	vSwap           // like vBytes, and -1 for unlimited
	vCPUs           // a decimal number of CPUs
)

// flagDef is one flag of a command: its long name, its one-letter
// shorthand, the type of its value and, for flags whose value is optional
// (booleans), the value it takes when none is written.
type flagDef struct {
	name  string
	short byte
	kind  vkind
	noOpt string
	// canon is the flag this one is an alias of (--net for --network).
	canon string
	// split marks Podman's string-slice flags, whose values are
	// comma-separated lists (`--cap-add NET_ADMIN,SYS_TIME`).
	split bool
}

func (d *flagDef) key() string {
	if d.canon != "" {
		return d.canon
	}
	return d.name
}

// Helpers that keep the tables below readable.
func str(name string) flagDef              { return flagDef{name: name} }
func strP(name string, short byte) flagDef { return flagDef{name: name, short: short} }
func typed(name string, k vkind) flagDef   { return flagDef{name: name, kind: k} }
func boolf(name string) flagDef            { return flagDef{name: name, kind: vBool, noOpt: "true"} }
func boolP(name string, short byte) flagDef {
	return flagDef{name: name, short: short, kind: vBool, noOpt: "true"}
}
func alias(name, canon string) flagDef       { return flagDef{name: name, canon: canon} }
func slice(name string) flagDef              { return flagDef{name: name, split: true} }
func sliceP(name string, short byte) flagDef { return flagDef{name: name, short: short, split: true} }
func optional(name, noOpt string) flagDef    { return flagDef{name: name, noOpt: noOpt} }
func typedP(name string, short byte, k vkind) flagDef {
	return flagDef{name: name, short: short, kind: k}
}

// dockerContainerFlags are the flags `docker run` and `docker create` share
// (docker CLI v29, cli/command/container/opts.go and create.go).
var dockerContainerFlags = []flagDef{
	strP("attach", 'a'),
	str("device-cgroup-rule"),
	str("device"),
	str("gpus"),
	strP("env", 'e'),
	str("env-file"),
	str("entrypoint"),
	str("group-add"),
	strP("hostname", 'h'),
	str("domainname"),
	boolP("interactive", 'i'),
	strP("label", 'l'),
	str("label-file"),
	boolf("read-only"),
	str("restart"),
	str("stop-signal"),
	typed("stop-timeout", vInt),
	str("sysctl"),
	boolP("tty", 't'),
	str("ulimit"),
	strP("user", 'u'),
	strP("workdir", 'w'),
	boolf("rm"),

	str("cap-add"),
	str("cap-drop"),
	boolf("privileged"),
	str("security-opt"),
	str("userns"),
	str("cgroupns"),

	str("add-host"),
	str("dns"),
	alias("dns-opt", "dns-option"),
	str("dns-option"),
	str("dns-search"),
	str("expose"),
	typed("ip", vIP),
	typed("ip6", vIP),
	str("link"),
	str("link-local-ip"),
	str("mac-address"),
	strP("publish", 'p'),
	boolP("publish-all", 'P'),
	alias("net", "network"),
	str("network"),
	alias("net-alias", "network-alias"),
	str("network-alias"),

	str("log-driver"),
	str("volume-driver"),
	str("log-opt"),
	str("storage-opt"),
	str("tmpfs"),
	str("volumes-from"),
	strP("volume", 'v'),
	str("mount"),

	str("health-cmd"),
	typed("health-interval", vDuration),
	typed("health-retries", vInt),
	typed("health-timeout", vDuration),
	typed("health-start-period", vDuration),
	typed("health-start-interval", vDuration),
	boolf("no-healthcheck"),

	typed("blkio-weight", vUint16),
	str("blkio-weight-device"),
	str("cidfile"),
	str("cpuset-cpus"),
	str("cpuset-mems"),
	typed("cpu-count", vInt),
	typed("cpu-percent", vInt),
	typed("cpu-period", vInt),
	typed("cpu-quota", vInt),
	typed("cpu-rt-period", vInt),
	typed("cpu-rt-runtime", vInt),
	typedP("cpu-shares", 'c', vInt),
	typed("cpus", vCPUs),
	str("device-read-bps"),
	str("device-read-iops"),
	str("device-write-bps"),
	str("device-write-iops"),
	typed("io-maxbandwidth", vBytes),
	typed("io-maxiops", vUint),
	typedP("memory", 'm', vBytes),
	typed("memory-reservation", vBytes),
	typed("memory-swap", vSwap),
	typed("memory-swappiness", vInt),
	boolf("oom-kill-disable"),
	typed("oom-score-adj", vInt),
	typed("pids-limit", vInt),

	str("cgroup-parent"),
	str("ipc"),
	str("isolation"),
	str("pid"),
	typed("shm-size", vBytes),
	str("uts"),
	str("runtime"),
	str("umask"),
	boolf("init"),
	str("annotation"),
	typed("kernel-memory", vBytes),

	// create.go / run.go
	str("name"),
	str("pull"),
	boolP("quiet", 'q'),
	boolf("use-api-socket"),
	boolf("help"),
	str("platform"),
	boolf("disable-content-trust"),
}

// dockerRunOnly are the flags `docker run` has and `docker create` has not.
var dockerRunOnly = []flagDef{
	boolP("detach", 'd'),
	boolf("sig-proxy"),
	str("detach-keys"),
}

// dockerGlobalFlags come before the subcommand (`docker -H tcp://x run`).
var dockerGlobalFlags = []flagDef{
	str("config"),
	boolP("debug", 'D'),
	strP("log-level", 'l'),
	boolf("tls"),
	boolf("tlsverify"),
	str("tlscacert"),
	str("tlscert"),
	str("tlskey"),
	strP("host", 'H'),
	strP("context", 'c'),
	boolP("help", 'h'),
	boolP("version", 'v'),
	optional("cloud", "default"),
}

// nerdctlGlobalFlags are nerdctl's global flags; its run flags are taken to
// be Docker's.
var nerdctlGlobalFlags = []flagDef{
	strP("address", 'a'),
	{name: "host", short: 'H', canon: "address"},
	strP("namespace", 'n'),
	str("snapshotter"),
	alias("storage-driver", "snapshotter"),
	str("cni-path"),
	str("cni-netconfpath"),
	str("data-root"),
	str("cgroup-manager"),
	str("hosts-dir"),
	str("host-gateway-ip"),
	str("bridge-ip"),
	str("cdi-spec-dirs"),
	boolf("debug"),
	boolf("debug-full"),
	boolf("insecure-registry"),
	boolf("experimental"),
	boolf("kube-hide-dupe"),
	boolP("help", 'h'),
	boolP("version", 'v'),
}

// podmanPersistentFlags are Podman's global flags that may also follow the
// subcommand (cobra persistent flags).
var podmanPersistentFlags = []flagDef{
	str("cgroup-manager"),
	str("cpu-profile"),
	str("memory-profile"),
	str("conmon"),
	str("network-cmd-path"),
	str("network-config-dir"),
	alias("cni-config-dir", "network-config-dir"),
	str("default-mounts-file"),
	str("events-backend"),
	str("hooks-dir"),
	typed("max-workers", vInt),
	str("namespace"),
	str("root"),
	str("registries-conf"),
	str("runroot"),
	str("runtime"),
	str("storage-driver"),
	str("tmpdir"),
	str("imagestore"),
	str("volumepath"),
	str("db-backend"),
	str("cdi-spec-dir"),
	boolf("transient-store"),
	boolf("trace"),
	str("storage-opt"),
	boolf("help"),
	str("log-level"),
	str("runtime-flag"),
	boolf("syslog"),
	str("out"),
	boolf("noout"),
	str("ssh"),
	str("config"),
}

// podmanRootFlags are the global flags only accepted before the subcommand.
var podmanRootFlags = []flagDef{
	strP("connection", 'c'),
	str("url"),
	strP("host", 'H'),
	str("context"),
	str("identity"),
	boolP("remote", 'r'),
	str("module"),
	boolP("help", 'h'),
	boolP("version", 'v'),
	boolf("debug"),
}

// podmanContainerFlags are what `podman run|create` accept beyond (or
// differently from) Docker's flags: Podman's own flags, its string-slice
// flags (comma-separated lists) and its value types.
var podmanContainerFlags = []flagDef{
	slice("annotation"),
	sliceP("attach", 'a'),
	str("authfile"),
	slice("cap-add"),
	slice("cap-drop"),
	str("cgroups"),
	str("cert-dir"),
	slice("cgroup-conf"),
	slice("chrootdirs"),
	str("conmon-pidfile"),
	str("creds"),
	slice("decryption-key"),
	slice("device"),
	slice("device-cgroup-rule"),
	slice("device-read-bps"),
	slice("device-read-iops"),
	slice("device-write-bps"),
	slice("device-write-iops"),
	slice("dns"),
	slice("dns-option"),
	slice("dns-search"),
	boolf("env-host"),
	str("env-merge"),
	slice("env-file"),
	slice("expose"),
	str("gidmap"),
	slice("gpus"),
	slice("group-add"),
	str("group-entry"),
	str("health-interval"),
	str("health-log-destination"),
	typed("health-max-log-count", vUint),
	typed("health-max-log-size", vUint),
	str("health-on-failure"),
	typed("health-retries", vUint),
	str("health-start-period"),
	str("health-startup-cmd"),
	str("health-startup-interval"),
	typed("health-startup-retries", vUint),
	typed("health-startup-success", vUint),
	str("health-startup-timeout"),
	str("health-timeout"),
	str("hosts-file"),
	slice("hostuser"),
	boolf("http-proxy"),
	str("image-volume"),
	str("init-path"),
	str("arch"),
	str("os"),
	str("variant"),
	slice("label-file"),
	slice("log-opt"),
	boolf("no-hostname"),
	boolf("no-hosts"),
	slice("network-alias"),
	str("passwd-entry"),
	str("personality"),
	str("pidfile"),
	str("pod"),
	str("pod-id-file"),
	sliceP("publish", 'p'),
	str("rdt-class"),
	boolf("read-only-tmpfs"),
	boolf("replace"),
	slice("requires"),
	typed("retry", vUint),
	str("retry-delay"),
	boolf("rootfs"),
	str("sdnotify"),
	str("seccomp-policy"),
	str("secret"),
	str("shm-size-systemd"),
	str("signature-policy"),
	typed("stop-timeout", vUint),
	str("subgidname"),
	str("subuidname"),
	slice("sysctl"),
	str("systemd"),
	typed("timeout", vUint),
	optional("tls-verify", "true"),
	str("tz"),
	str("uidmap"),
	slice("ulimit"),
	str("unsetenv"),
	boolf("unsetenv-all"),
	typed("cpu-period", vUint),
	typed("cpu-rt-period", vUint),
	typedP("cpu-shares", 'c', vUint),
	typed("memory-swap", vSwap),
}

// podmanRunOnly are the flags `podman run` has and `podman create` has not.
var podmanRunOnly = []flagDef{
	boolP("detach", 'd'),
	boolf("sig-proxy"),
	str("detach-keys"),
	boolf("rmi"),
	typed("preserve-fds", vUint),
	slice("preserve-fd"),
	boolf("passwd"),
}

// flagTable indexes a command's flags by long name and shorthand.
type flagTable struct {
	long  map[string]*flagDef
	short map[byte]*flagDef
	defs  []*flagDef
}

// newTable merges groups of flags; a later definition of a name replaces an
// earlier one (Podman's typing of a flag Docker also has).
func newTable(groups ...[]flagDef) *flagTable {
	t := &flagTable{long: map[string]*flagDef{}, short: map[byte]*flagDef{}}
	for _, g := range groups {
		for i := range g {
			d := g[i]
			if old, ok := t.long[d.name]; ok {
				if d.short == 0 {
					d.short = old.short
				}
				*old = d
				continue
			}
			nd := &d
			t.long[d.name] = nd
			t.defs = append(t.defs, nd)
		}
	}
	for _, d := range t.defs {
		if d.short != 0 {
			t.short[d.short] = d
		}
	}
	return t
}

var (
	dockerRunTable     = newTable(dockerContainerFlags, dockerRunOnly)
	dockerCreateTable  = newTable(dockerContainerFlags)
	dockerGlobalTable  = newTable(dockerGlobalFlags)
	nerdctlGlobalTable = newTable(nerdctlGlobalFlags)
	podmanRunTable     = newTable(dockerContainerFlags, podmanPersistentFlags, podmanContainerFlags, podmanRunOnly)
	podmanCreateTable  = newTable(dockerContainerFlags, podmanPersistentFlags, podmanContainerFlags)
	podmanGlobalTable  = newTable(podmanPersistentFlags, podmanRootFlags)
)

// flagSet builds the pflag set the table describes. Every flag is a string
// flag: values are decoded by the handlers, with the CLI's own types.
func (t *flagTable) flagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, d := range t.defs {
		if d.short != 0 {
			fs.StringP(d.name, string(d.short), "", "")
		} else {
			fs.String(d.name, "", "")
		}
		if d.noOpt != "" {
			fs.Lookup(d.name).NoOptDefVal = d.noOpt
		}
	}
	return fs
}

// token is one flag occurrence.
type token struct {
	def   *flagDef
	value string
	// word is the index of the word that holds the flag, vword of the word
	// that holds its value (the same word for --flag=value, -m512m, or the
	// next one); both -1 when unknown.
	word, vword int
	// spelled is how the flag was written: "--memory" or "-m".
	spelled string
}

// scanned is a command's words split into flags and positional arguments.
type scanned struct {
	tokens []token
	// rest is the index of the first positional word (len(words) if none).
	rest int
	// pos are the indices of the positional words (the image and its
	// command).
	pos []int
	// dropped are flag words whose flag name depends on a variable.
	dropped []int
	err     error
	errWord int
}

// variableFlag reports whether a word in flag position names its flags with
// a variable or substitution (`--$OPT`, `-$X`): which flags it holds, and
// whether they take the next word as a value, is only known at run time.
func (t *flagTable) variableFlag(s string) bool {
	if strings.HasPrefix(s, "--") {
		name, _, _ := strings.Cut(s[2:], "=")
		return strings.ContainsAny(name, "$`")
	}
	sh := s[1:]
	for len(sh) > 0 {
		if strings.HasPrefix(sh, "test.") {
			return false
		}
		if sh[0] == '$' || sh[0] == '`' {
			return true
		}
		d := t.short[sh[0]]
		if d == nil {
			return false
		}
		if len(sh) > 1 && sh[1] == '=' {
			return false
		}
		if d.noOpt == "" {
			return false
		}
		sh = sh[1:]
	}
	return false
}

// scan splits words into flags and positional arguments following pflag's
// rules for a flag set that does not intersperse: --name=value, --name
// value, -abc groups of shorthands where the last may take the rest of the
// word or the next word, `--` ending the flags, and the first word that is
// not a flag starting the positional arguments. It mirrors pflag so that
// each flag keeps the position of the word it was written in; parse checks
// that both agree.
func (t *flagTable) scan(words []string, lit []bool) scanned {
	var sc scanned
	i := 0
	fail := func(err error) scanned {
		sc.err, sc.errWord = err, i
		return sc
	}
	for i < len(words) {
		s := words[i]
		if len(s) == 0 || s[0] != '-' || len(s) == 1 {
			sc.rest = i
			return sc
		}
		if i < len(lit) && !lit[i] && t.variableFlag(s) {
			sc.dropped = append(sc.dropped, i)
			i++
			continue
		}
		if s[1] == '-' {
			if len(s) == 2 {
				sc.rest = i + 1
				return sc
			}
			name := s[2:]
			if name[0] == '-' || name[0] == '=' {
				return fail(&syntaxError{s})
			}
			n, v, eq := strings.Cut(name, "=")
			d := t.long[n]
			if d == nil {
				return fail(&unknownError{flag: "--" + n})
			}
			tok := token{def: d, word: i, vword: i, spelled: "--" + n}
			switch {
			case eq:
				tok.value = v
			case d.noOpt != "":
				tok.value = d.noOpt
			case i+1 < len(words):
				tok.value, tok.vword = words[i+1], i+1
				i++
			default:
				return fail(&needsArgError{flag: "--" + n})
			}
			sc.tokens = append(sc.tokens, tok)
			i++
			continue
		}
		sh := s[1:]
		next := i + 1
		for len(sh) > 0 {
			if strings.HasPrefix(sh, "test.") {
				break
			}
			c := sh[0]
			d := t.short[c]
			if d == nil {
				return fail(&unknownError{flag: "-" + string(c), short: true, group: sh})
			}
			tok := token{def: d, word: i, vword: i, spelled: "-" + string(c)}
			switch {
			case len(sh) > 2 && sh[1] == '=':
				tok.value, sh = sh[2:], ""
			case d.noOpt != "":
				tok.value, sh = d.noOpt, sh[1:]
			case len(sh) > 1:
				tok.value, sh = sh[1:], ""
			case i+1 < len(words):
				tok.value, tok.vword, sh = words[i+1], i+1, ""
				next = i + 2
			default:
				return fail(&needsArgError{flag: "-" + string(c), short: true, group: sh})
			}
			sc.tokens = append(sc.tokens, tok)
		}
		i = next
	}
	sc.rest = len(words)
	return sc
}

// Errors worded as pflag words them, so a message reads the same whether
// it came from the scanner or from pflag.
type syntaxError struct{ word string }

func (e *syntaxError) Error() string { return "bad flag syntax: " + e.word }

type unknownError struct {
	flag  string
	short bool
	group string
}

func (e *unknownError) Error() string {
	if e.short {
		return "unknown shorthand flag: '" + e.flag[1:] + "' in -" + e.group
	}
	return "unknown flag: " + e.flag
}

type needsArgError struct {
	flag  string
	short bool
	group string
}

func (e *needsArgError) Error() string {
	if e.short {
		return "flag needs an argument: '" + e.flag[1:] + "' in -" + e.group
	}
	return "flag needs an argument: " + e.flag
}

// onDisagree is called when the scanner and pflag read a command line
// differently; tests set it to fail.
var onDisagree = func(words []string) {}

// parseFlags reads words with pflag, the authority on what a command line
// means, and takes each flag's word position from the scanner. If the two
// ever disagree, pflag's reading is kept and positions fall back to the
// command's (word -1).
func (t *flagTable) parseFlags(words []string, lit []bool) scanned {
	sc := t.scan(words, lit)
	keep := make([]string, 0, len(words))
	index := make([]int, 0, len(words))
	dropped := map[int]bool{}
	for _, d := range sc.dropped {
		dropped[d] = true
	}
	for i, w := range words {
		if !dropped[i] {
			keep = append(keep, w)
			index = append(index, i)
		}
	}
	type pair struct{ name, value string }
	var got []pair
	fs := t.flagSet()
	perr := fs.ParseAll(keep, func(f *pflag.Flag, v string) error {
		got = append(got, pair{f.Name, v})
		return nil
	})
	rest := fs.Args()
	agree := (perr == nil) == (sc.err == nil) && len(got) == len(sc.tokens)
	if agree {
		for i, g := range got {
			if g.name != sc.tokens[i].def.name || g.value != sc.tokens[i].value {
				agree = false
				break
			}
		}
	}
	if agree && perr == nil {
		n := 0
		for i := sc.rest; i < len(words); i++ {
			if !dropped[i] {
				n++
			}
		}
		agree = n == len(rest)
	}
	if agree {
		if perr != nil {
			sc.err = perr
			return sc
		}
		for i := sc.rest; i < len(words); i++ {
			if !dropped[i] {
				sc.pos = append(sc.pos, i)
			}
		}
		return sc
	}
	onDisagree(words)
	out := scanned{err: perr, errWord: -1, dropped: sc.dropped}
	for _, g := range got {
		out.tokens = append(out.tokens, token{def: t.long[g.name], value: g.value, word: -1, vword: -1, spelled: "--" + g.name})
	}
	// Positional words: the last len(rest) kept words (pflag does not
	// intersperse, so they are a suffix).
	out.rest = len(words)
	if len(rest) <= len(index) {
		out.pos = index[len(index)-len(rest):]
		if len(out.pos) > 0 {
			out.rest = out.pos[0]
		}
	}
	return out
}
