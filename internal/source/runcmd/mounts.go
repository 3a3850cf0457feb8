package runcmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/docker/cli/opts"
	"github.com/dockguard/dockguard/internal/container"
)

// mountFlags put host paths, volumes and tmpfs in the container.
var mountFlags = handlers{
	"volume":       (*builder).volume,
	"mount":        (*builder).mount,
	"tmpfs":        (*builder).tmpfs,
	"volumes-from": asWritten(func(b *builder, v string) { b.h.VolumesFrom = append(b.h.VolumesFrom, v) }),
}

// pwdRef matches the ways a script names its working directory.
var pwdRef = regexp.MustCompile("\\$PWD\\b|\\$\\{PWD\\}|\\$\\(pwd\\)|`pwd`")

// resolvePWD replaces $PWD, ${PWD}, $(pwd) and `pwd` with the working
// directory, the most common variable part of a bind mount (`-v
// "$(pwd)":/app`). It reports whether what remains is known.
func (b *builder) resolvePWD(v string) (string, bool) {
	if !pwdRef.MatchString(v) {
		return v, false
	}
	if b.cwd == "" && b.cwdErr == nil {
		b.cwd, b.cwdErr = os.Getwd()
	}
	if b.cwdErr != nil {
		return v, false
	}
	r := pwdRef.ReplaceAllLiteralString(v, b.cwd)
	return r, !strings.ContainsAny(r, "$`")
}

// hostPath resolves a host path as the shell and the CLI would: a leading
// ~ (tilde expansion, which the shell parser leaves as written) and a
// path relative to the working directory (the CLI makes `./data` absolute).
func hostPath(p string) string {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		if home, err := os.UserHomeDir(); err == nil && home != "" {
			return home + p[1:]
		}
	case strings.HasPrefix(p, "."):
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	return p
}

func (b *builder) volume(t token, v string, lit bool) error {
	if !lit {
		v, lit = b.resolvePWD(v)
	}
	if lit {
		if strings.TrimSpace(v) == "" {
			return b.errorf(b.at(t), "invalid empty volume spec")
		}
		if host, rest, ok := strings.Cut(v, ":"); ok {
			v = hostPath(host) + ":" + rest
		}
	}
	b.listItem(container.FieldBinds, &b.h.Binds, t, v, lit)
	if !lit {
		b.spec.Unknown[container.Item(container.FieldBinds, len(b.h.Binds)-1)] = why(t, t.value)
	}
	return nil
}

func (b *builder) mount(t token, v string, lit bool) error {
	at := b.at(t)
	if !lit {
		v, lit = b.resolvePWD(v)
	}
	var m opts.MountOpt
	if err := m.Set(v); err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldMounts, t.value), at, why(t, t.value))
			return nil
		}
		return b.invalid(t, v, err)
	}
	mounts := m.Value()
	if len(mounts) == 0 {
		return nil
	}
	// The CLI itself makes a relative src=./x absolute; the shell does not
	// expand ~ inside src=~/x, and neither does the CLI.
	mt := mounts[0]
	k := len(b.h.Mounts)
	b.h.Mounts = append(b.h.Mounts, mt)
	b.first(container.FieldMounts, at)
	b.spec.At[container.Item(container.FieldMounts, k)] = at
	if !lit {
		b.spec.Unknown[container.Item(container.FieldMounts, k)] = why(t, t.value)
	}
	return nil
}

func (b *builder) tmpfs(t token, v string, lit bool) error {
	at := b.at(t)
	path, options, _ := strings.Cut(v, ":")
	if !lit && strings.ContainsAny(path, "$`") {
		b.unknown(container.Key(container.FieldTmpfs, v), at, why(t, v))
		return nil
	}
	if b.h.Tmpfs == nil {
		b.h.Tmpfs = map[string]string{}
	}
	b.h.Tmpfs[path] = options
	b.first(container.FieldTmpfs, at)
	b.set(container.Key(container.FieldTmpfs, path), at)
	return nil
}
