package facts

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

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

// ImageRef is an image reference split into its parts, as ParseImageRef
// reads it.
type ImageRef struct {
	Raw string
	// Registry is the registry host (and port), in lower case: docker.io
	// when none is written and for Docker Hub's other names
	// (index.docker.io, registry-1.docker.io, registry.hub.docker.com).
	Registry string
	// Repo is the repository path on the registry, with Docker Hub's
	// official images under library/ (ubuntu is library/ubuntu).
	Repo   string
	Tag    string // "" when none is written (Docker uses latest)
	Digest string // "" when none is written
	// Scratch is FROM scratch: no image at all.
	Scratch bool
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

// ParseImageRef splits an image reference the way Docker reads it. It is
// the one place dockguard parses image references: go-containerregistry's
// parser, with Docker's own readings where the two differ.
//
//   - The first path component is a registry when it has a dot or a colon,
//     is localhost, or is not lower case (Docker's rule: repositories are
//     lower case, so Corp/app names the registry Corp).
//   - A name on Docker Hub without a namespace is an official image:
//     ubuntu, docker.io/ubuntu and index.docker.io/ubuntu are all
//     docker.io, library/ubuntu.
//   - A reference with both a tag and a digest keeps both; Docker pulls by
//     the digest.
//   - No tag is Tag "" (Docker pulls latest), so a caller can tell
//     `ubuntu` from `ubuntu:latest`.
//   - scratch, in any case, is Scratch and nothing else.
//
// A string Docker refuses (upper case in the repository, an empty or
// malformed tag or digest, an unexpanded ${VAR}) never panics and is split
// as dockguard always split it: everything after the first @ is the
// digest, what follows the last colon not followed by a slash the tag, the
// first component the registry only when it has a dot or a colon or is
// localhost, and the repository is lower-cased. Rules then still see the
// registry, name and tag a person reading the line would.
func ParseImageRef(s string) ImageRef {
	if strings.EqualFold(s, "scratch") {
		return ImageRef{Raw: s, Scratch: true}
	}
	r, err := parseRef(s)
	if err != nil {
		r = splitLoosely(s)
	}
	r.Raw = s
	r.Registry = Registry(r.Registry)
	if r.Registry == "docker.io" && !strings.Contains(r.Repo, "/") {
		r.Repo = "library/" + r.Repo
	}
	return r
}

// Registry returns a registry host as dockguard names it: Docker Hub's
// other names (go-containerregistry calls it index.docker.io) are
// docker.io, as Docker shows it.
func Registry(host string) string {
	switch host {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return host
}

// parseRef reads a reference Docker accepts. WithDefaultTag("") leaves Tag
// empty when none is written, which the latest rule needs to tell apart.
func parseRef(s string) (ImageRef, error) {
	opts := []name.Option{name.WeakValidation, name.WithDefaultTag("")}
	ref, err := name.ParseReference(s, opts...)
	registry := ""
	if err != nil {
		// Docker takes a first component that is not lower case for a
		// registry host; go-containerregistry refuses it as a repository.
		// The rest is parsed under localhost, a registry name it always
		// recognizes, so that tags and digests are read the same way.
		domain, rest, ok := strings.Cut(s, "/")
		if !ok || strings.ToLower(domain) == domain || !hostLabel.MatchString(domain) {
			return ImageRef{}, err
		}
		s = "localhost/" + rest
		if ref, err = name.ParseReference(s, opts...); err != nil || ref.Context().RegistryStr() != "localhost" {
			return ImageRef{}, fmt.Errorf("could not parse reference: %s/%s", domain, rest)
		}
		registry = domain
	}
	if registry == "" {
		registry = ref.Context().RegistryStr()
	}
	r := ImageRef{Registry: strings.ToLower(registry), Repo: ref.Context().RepositoryStr()}
	switch ref := ref.(type) {
	case name.Tag:
		r.Tag = ref.TagStr()
	case name.Digest:
		r.Digest = ref.DigestStr()
		// A digest reference drops the tag written beside it; read it
		// from the part before the @, which parsed already.
		before, _, _ := strings.Cut(s, "@")
		if t, err := name.NewTag(before, opts...); err == nil {
			r.Tag = t.TagStr()
		}
	}
	return r, nil
}

// hostLabel is a host name without dots, as Docker's reference grammar
// allows it for a registry: the only kind of registry the upper-case rule
// can name, since a name with a dot or colon is a registry anyway.
var hostLabel = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)

// splitLoosely splits a string Docker would refuse by the delimiters
// alone, so that callers still get a registry, repository and tag to show
// and match; see ParseImageRef.
func splitLoosely(s string) ImageRef {
	var r ImageRef
	rest := s
	if i := strings.Index(rest, "@"); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
		r.Tag = rest[i+1:]
		rest = rest[:i]
	}
	r.Registry = "docker.io"
	if i := strings.Index(rest, "/"); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry = strings.ToLower(first)
			rest = rest[i+1:]
		}
	}
	r.Repo = strings.ToLower(rest)
	return r
}

// Familiar is the repository as Docker shows it: Docker Hub's registry
// left out, and library/ too for official images (ubuntu, bitnami/redis,
// quay.io/org/app, localhost:5000/app). Per-image tables are keyed by it.
// It is "scratch" for scratch.
func (r ImageRef) Familiar() string {
	switch {
	case r.Scratch:
		return "scratch"
	case r.Registry != "docker.io":
		return r.Registry + "/" + r.Repo
	}
	short := r.Repo
	if s, ok := strings.CutPrefix(short, "library/"); ok && !strings.Contains(s, "/") {
		short = s
	}
	if first, _, ok := strings.Cut(short, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		// Without docker.io/ it would read as another registry.
		return "docker.io/" + short
	}
	return short
}
