package runcmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dockguard/dockguard/internal/facts"
)

// maxEnvFile is the largest --env-file read.
const maxEnvFile = 1 << 20

// envFile reads an --env-file the way the CLI does (one KEY=value a line,
// leading whitespace and # comments ignored, values taken as written), so
// its variables are judged like -e ones, each at its file and line. A file
// that cannot be read is a note: the line is audited without it. A file the
// CLI would refuse is an error at the --env-file flag, naming file:line.
func (b *builder) envFile(t token, v string, lit bool) error {
	at := b.at(t)
	if !lit {
		v, lit = b.resolvePWD(v)
	}
	if !lit {
		b.notes = append(b.notes, facts.Note{At: at, Message: why(t, t.value) + "; its variables were not read"})
		return nil
	}
	path := hostPath(v)
	note := func(format string, args ...any) error {
		b.notes = append(b.notes, facts.Note{At: at, Message: fmt.Sprintf("%s %s ", t.spelled, path) + fmt.Sprintf(format, args...) + "; its variables were not audited"})
		return nil
	}
	// Stat before opening: opening a fifo would block.
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return note("cannot be read (%v)", unwrapPath(err))
	case !fi.Mode().IsRegular():
		return note("is not a regular file")
	case fi.Size() > maxEnvFile:
		return note("is larger than %d MiB", maxEnvFile>>20)
	}
	f, err := os.Open(path)
	if err != nil {
		return note("cannot be read (%v)", unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil {
		return note("cannot be read (%v)", unwrapPath(err))
	}
	if len(data) > maxEnvFile {
		return note("is larger than %d MiB", maxEnvFile>>20)
	}
	if b.envAt == nil {
		b.envAt = &at
	}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		lineAt := facts.Location{Path: path, Line: n}
		where := fmt.Sprintf("%s %s:%d", t.spelled, path, n)
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if !utf8.ValidString(line) {
			return b.errorf(at, "%s: invalid UTF-8", where)
		}
		line = strings.TrimLeftFunc(line, unicode.IsSpace)
		if line == "" || line[0] == '#' {
			continue
		}
		key, _, hasValue := strings.Cut(line, "=")
		if key == "" {
			// The line is not echoed: its value may be a secret.
			return b.errorf(at, "%s: no variable name", where)
		}
		if strings.ContainsAny(key, " \t") {
			return b.errorf(at, "%s: the variable name contains whitespace", where)
		}
		it := envItem{text: line, at: lineAt}
		if !hasValue {
			it.unknown = fmt.Sprintf("%s in %s takes its value from the environment %s runs in", key, path, b.inv.tool)
		}
		b.fileEnv = append(b.fileEnv, it)
	}
	return nil
}

// unwrapPath drops the path from an *os.PathError, which the note names
// already.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
