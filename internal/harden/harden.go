// Package harden turns what dockguard audits into its hardened form: the
// same input with the settings that fix the findings dockguard knows how to
// fix, written into the user's own text (the bytes around each change are
// kept as they were), and notes for what needs a person.
package harden

import (
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/shell"
)

// Defaults are the limits used when the configuration sets none.
const (
	DefaultMemory  = "512m"
	DefaultCPUs    = "1"
	DefaultPids    = 256
	DefaultNoFile  = "1024:2048"
	DefaultNProc   = "512"
	DefaultRetries = 5
	// DefaultHeadroom multiplies observed usage into a limit.
	DefaultHeadroom = 2.0
	// User is the numeric user and group given to containers that would
	// run as root: numeric so that it works on any base, scratch and
	// distroless included.
	User = "10001:10001"
)

// Options are the limits harden writes and what it may change.
type Options struct {
	// Config is the rules configuration (.dockguard.yaml): its maxMemory,
	// maxPids and maxRestartRetries cap the limits written (LimitsFor).
	Config rules.Config
	// PublicPorts keeps published ports on every interface.
	PublicPorts bool
	// NoComments leaves out the "# dockguard:" comments (compose).
	NoComments bool
	// Harden is the harden section of the configuration: limits per
	// service, per image and defaults (see LimitsFor).
	Harden config.Harden
	// Observed is the usage read from running containers (--observe);
	// Project is the compose project whose containers match services by
	// name ("" matches any); Headroom multiplies observed peaks (0: 2).
	Observed Observed
	Project  string
	Headroom float64
	// Image tells what is known of an image (its VOLUMEs, repository
	// digests); nil, or a nil answer, when nothing is.
	Image func(ref string) *ImageInfo
	// Resolve gives the digest an image reference names (--resolve);
	// nil leaves references as they are.
	Resolve func(ref string) (string, error)
}

func bytesText(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "g"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "m"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

// Note is something harden did not change and a person should.
type Note struct {
	Rule    string // slug, "" when no rule
	Message string
}

func (n Note) String() string {
	if n.Rule == "" {
		return n.Message
	}
	return n.Rule + ": " + n.Message
}

// rootOrUnset reports whether a user value leaves the container as root:
// no user name (the image's, root unless the image says otherwise) or
// root in any spelling ("0", "00", "root:1000", …).
func rootOrUnset(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return strings.TrimSpace(name) == "" || facts.IsRootUser(u)
}

// dropsPrivileges reports whether a command line (entrypoint and command)
// names a tool that switches user (shell.IsDropTool), in any word of it:
// harden keeps the root start of such a container.
func dropsPrivileges(words []string) bool {
	for _, w := range words {
		for _, f := range strings.Fields(w) {
			if shell.IsDropTool(f) {
				return true
			}
		}
	}
	return false
}

// hostPort splits a -p value into host IP and the rest; ok is false when
// the value has no host IP.
func splitPublish(v string) (ip, rest string) {
	if strings.HasPrefix(v, "[") {
		if i := strings.Index(v, "]:"); i > 0 {
			return v[:i+1], v[i+2:]
		}
		return "", v
	}
	parts := strings.Split(v, ":")
	if len(parts) >= 3 {
		return parts[0], strings.Join(parts[1:], ":")
	}
	return "", v
}

// localPublish rewrites a -p value to bind 127.0.0.1; changed is false when
// it binds a specific address already.
func localPublish(v string) (string, bool) {
	ip, rest := splitPublish(v)
	switch ip {
	case "", "0.0.0.0", "::", "[::]":
	default:
		return v, false
	}
	if !strings.Contains(rest, ":") {
		return "127.0.0.1::" + rest, true
	}
	return "127.0.0.1:" + rest, true
}
