package facts

import "strings"

// Build is how an image is built: its stages and the steps each one runs.
// A Dockerfile becomes one; an image's history will too.
type Build struct {
	Path string
	// ContextDir is the build context on disk, "" when unknown.
	ContextDir string
	// Windows is true for Windows images: their RUN bodies are not POSIX
	// shell, so only instruction-level rules apply.
	Windows    bool
	WindowsWhy string
	Stages     []*Stage
	// Global holds the ARGs declared before the first FROM, as a stage of
	// its own (Index -1) that no other stage inherits from; nil when none.
	Global *Stage
	// Target is the stage that becomes the image (the last one unless a
	// target is named).
	Target *Stage
	// Ignore is the build context's .dockerignore, nil when there is none.
	Ignore *IgnoreFile
	// ExposedInContext lists sensitive files (.env, .git, private keys, …)
	// at the top of the build context that no ignore file keeps out.
	ExposedInContext []string
	// Container is the container the target image yields when run as is.
	Container *Container
}

// Stage is one FROM section.
type Stage struct {
	Index int
	Name  string // "" for an unnamed stage
	// Base is the image named in FROM (after ARG expansion), unset when the
	// stage starts from another stage (Parent).
	Base   Value[ImageRef]
	Parent *Stage
	From   Location
	Steps  []*Step
	// Subject is what findings on this stage are about.
	Subject Subject
}

// Chain returns the stage and the stages it inherits from, nearest first.
func (s *Stage) Chain() []*Stage {
	var out []*Stage
	seen := map[*Stage]bool{}
	for st := s; st != nil && !seen[st]; st = st.Parent {
		seen[st] = true
		out = append(out, st)
	}
	return out
}

// Root returns the first stage of the chain, the one built on an image.
func (s *Stage) Root() *Stage {
	c := s.Chain()
	return c[len(c)-1]
}

// ImageRef is an image reference split into its parts.
type ImageRef struct {
	Raw      string
	Registry string // docker.io when none is written
	Repo     string
	Tag      string // "" when none is written (Docker uses latest)
	Digest   string
	Scratch  bool
}

// Step is one instruction.
type Step struct {
	// Instruction is upper case: RUN, ENV, COPY, …
	Instruction string
	At          Location // Line and EndLine span the instruction
	Original    string
	// Lines are the instruction's physical lines as written, the first
	// being At.Line (heredoc bodies included).
	Lines []string
	Flags map[string]string // --chmod=4755 → chmod: 4755 (last wins)

	// RUN in shell form: the commands, parsed. Nil for exec form, Windows
	// images, or a body that does not parse (ParseError says why).
	Commands   []*Command
	ParseError string
	// Exec is the exec (JSON) form of RUN, CMD and ENTRYPOINT.
	Exec []string
	// Shell is the shell form text of CMD and ENTRYPOINT.
	Shell string
	// Mounts are RUN --mount types (secret, ssh, cache, bind).
	Mounts []string

	// KVs are ENV, ARG and LABEL pairs, values expanded where possible.
	KVs []KV

	// Sources and Dest are COPY/ADD operands; From is COPY --from.
	Sources []string
	Dest    string
	From    string
	// Inline holds COPY/ADD heredoc bodies by file name.
	Inline map[string]string

	// Args are the expanded operands of USER, EXPOSE, HEALTHCHECK.
	Args []string
}

// KV is one key=value of ENV, ARG or LABEL.
type KV struct {
	Key      string
	Value    string
	HasValue bool
	// Raw is the value as written, before expansion.
	Raw string
	At  Location
}

// IgnoreFile is a parsed .dockerignore.
type IgnoreFile struct {
	Path string
	// Excludes reports whether the context path (slash separated,
	// relative) is kept out of the context.
	Excludes func(rel string) bool
}

// Command is one simple command a shell runs, with its words as the shell
// would see them after quote removal. Words that depend on variables or
// substitutions keep their written form ($VAR) and are not Literal.
type Command struct {
	Args    []string
	Literal []bool
	// ArgAt is where each word of Args starts.
	ArgAt []Location
	// Assigns are NAME=value prefixes (`DEBIAN_FRONTEND=noninteractive apt-get`).
	Assigns []KV
	At      Location
	// Pipeline is the pipeline this command stands in, in order, and
	// PipeIndex its place there. A lone command has a pipeline of one.
	Pipeline  []*Command
	PipeIndex int
	// FailureIgnored is true when the command's failure cannot stop the
	// build: `cmd || true`, `|| :`, `|| exit 0`, `|| echo`.
	FailureIgnored bool
	// Parent is the command whose arguments hold this one in a command or
	// process substitution (`sh -c "$(curl …)"`, `bash <(curl …)`), or the
	// `sh -c` whose script string holds it.
	Parent *Command
	// Redirects are output/input redirection targets (`>> /etc/sudoers`).
	Redirects []Redirect
}

// Redirect is one redirection of a command.
type Redirect struct {
	Op     string
	Target string
}

// WordAt returns where word i starts, or the command's location.
func (c *Command) WordAt(i int) Location {
	if i >= 0 && i < len(c.ArgAt) {
		return c.ArgAt[i]
	}
	return c.At
}

// Name returns the command's name without its directory (/usr/bin/curl → curl).
func (c *Command) Name() string {
	if len(c.Args) == 0 {
		return ""
	}
	a := c.Args[0]
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == '/' {
			return a[i+1:]
		}
	}
	return a
}

// ParseImageRef splits an image reference the way Docker reads it: the
// first path component is a registry only when it has a dot or a colon or
// is localhost.
func ParseImageRef(s string) ImageRef {
	r := ImageRef{Raw: s}
	if strings.EqualFold(s, "scratch") {
		r.Scratch = true
		return r
	}
	name := s
	if i := strings.Index(name, "@"); i >= 0 {
		r.Digest = name[i+1:]
		name = name[:i]
	}
	if i := strings.LastIndex(name, ":"); i >= 0 && !strings.Contains(name[i:], "/") {
		r.Tag = name[i+1:]
		name = name[:i]
	}
	r.Registry = "docker.io"
	if i := strings.Index(name, "/"); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry = strings.ToLower(first)
			name = name[i+1:]
		}
	}
	switch r.Registry {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		// Docker Hub's other names.
		r.Registry = "docker.io"
	}
	if r.Registry == "docker.io" && !strings.Contains(name, "/") {
		name = "library/" + name
	}
	r.Repo = strings.ToLower(name)
	return r
}
