package compose

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
)

// .env files: the project's (or --env-file) for interpolation, and the
// env_file and label_file of services, each variable with its line.

// readEnvFilesLimit reads .env style files in order into one environment, each
// interpolated with base (the process environment given) and what the files
// before set; base wins over the files, as in `docker compose`.
func readEnvFilesLimit(paths, displays []string, base env, limit int64) (env, error) {
	fromFiles := env{}
	for i, p := range paths {
		data, err := inputs.Read(p, limit)
		if err != nil {
			if ie, ok := err.(*inputs.Error); ok {
				ie.Path = displays[i]
			}
			return nil, err
		}
		vars, err := dotenv.ParseWithLookup(bytes.NewReader(data), func(k string) (string, bool) {
			if v, ok := base[k]; ok {
				return v, true
			}
			v, ok := fromFiles[k]
			return v, ok
		})
		if err != nil {
			return nil, envFileError(displays[i], err)
		}
		for k, v := range vars {
			fromFiles[k] = v
		}
	}
	out := env{}
	for k, v := range fromFiles {
		out[k] = v
	}
	for k, v := range base {
		out[k] = v
	}
	return out, nil
}

func envFileError(display string, err error) *inputs.Error {
	msg := err.Error()
	line := 0
	if m := envErrorLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &inputs.Error{Path: display, Line: line, Message: "cannot parse env file: " + msg}
}

// envLines returns the line where each variable of a .env file is last
// defined.
func envLines(data []byte) map[string]int {
	out := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		l := strings.TrimLeft(line, " \t")
		l = strings.TrimPrefix(l, "export ")
		l = strings.TrimLeft(l, " \t")
		end := strings.IndexAny(l, "=: \t")
		if end <= 0 || strings.HasPrefix(l, "#") {
			continue
		}
		rest := strings.TrimLeft(l[end:], " \t")
		if rest == "" || rest[0] != '=' && rest[0] != ':' {
			continue
		}
		out[l[:end]] = i + 1
	}
	return out
}

// envErrorLine finds the line a dotenv error names ("line 4: …").
var envErrorLine = regexp.MustCompile(`(?:^|: )line (\d+):`)

// readMappingFile reads an env_file or label_file whose values are
// interpolated with the project's environment.
func (b *specBuilder) readMappingFile(p, format string, required bool, key string) (map[string]string, map[string]facts.Location, bool) {
	lookup := func(k string) (string, bool) {
		v, ok := b.env[k]
		return v, ok
	}
	return b.readMappingFileLookup(p, format, required, key, lookup)
}

// readMappingFileLookup reads an env_file or label_file: missing (when not
// required), too large or unparsable files are reported in Errors and
// skipped, as the load goes on.
func (b *specBuilder) readMappingFileLookup(p, format string, required bool, key string, lookup func(string) (string, bool)) (map[string]string, map[string]facts.Location, bool) {
	display := b.ld.display(p)
	if _, err := os.Stat(p); os.IsNotExist(err) {
		if required {
			at := b.keyAt(key)
			b.errs = append(b.errs, &inputs.Error{Path: at.Path, Line: at.Line, Message: fmt.Sprintf("service %s: %s %s not found", b.svc.Name, key, display)})
		}
		return nil, nil, false
	}
	data, err := inputs.Read(p, b.ld.limit)
	if err != nil {
		if ie, ok := err.(*inputs.Error); ok {
			ie.Path = display
			b.errs = append(b.errs, ie)
		} else {
			b.errs = append(b.errs, &inputs.Error{Path: display, Message: err.Error()})
		}
		return nil, nil, false
	}
	vars := map[string]string{}
	if err := dotenv.ParseWithFormat(bytes.NewReader(data), display, vars, lookup, format); err != nil {
		b.errs = append(b.errs, envFileError(display, err))
		return nil, nil, false
	}
	lines := envLines(data)
	at := map[string]facts.Location{}
	for k := range vars {
		at[k] = facts.Location{Path: display, Line: lines[k]}
	}
	return vars, at, true
}
