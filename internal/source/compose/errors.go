package compose

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// compose-go's errors name the key path of the problem
// (`services.web.privileged must be a boolean`, `services.web additional
// properties 'foo' not allowed`, `error while interpolating
// services.web.ports.[]: …`) but no line: the line is found by walking that
// path through the YAML nodes of the files.

var (
	fileInError = regexp.MustCompile(`^(?:validating|failed to parse) (.+?): `)
	keyPath     = regexp.MustCompile(`(?:^|[\s'"(*])((?:services|networks|volumes|secrets|configs|models|jobs|include|name|version)(?:[.\[][^\s:'",]*)?)(?:$|[\s:'",])`)
	extraProp   = regexp.MustCompile(`additional propert(?:y|ies) '([^']+)'`)
	serviceRef  = regexp.MustCompile(`service "([^"]+)"`)
)

func (ld *loadState) composeError(err error, files []*yamlFile) error {
	var ie *inputs.Error
	if errors.As(err, &ie) {
		return ie
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	var named *yamlFile
	if m := fileInError.FindStringSubmatch(msg); m != nil {
		named = ld.byAbs[m[1]]
		msg = msg[len(m[0]):]
	}
	for _, f := range ld.files {
		msg = strings.ReplaceAll(msg, f.abs, f.display)
	}
	msg = strings.Replace(msg, " false schema", ": unknown key, not allowed here", 1)
	out := &inputs.Error{Path: files[0].display, Message: "compose: " + oneLine(msg)}
	if named != nil {
		out.Path = named.display
	}
	// A file named by include or extends that is missing: point at the
	// reference.
	for abs, at := range ld.refs {
		if strings.Contains(err.Error(), abs) {
			if _, read := ld.byAbs[abs]; !read {
				out.Path, out.Line = at.Path, at.Line
				return out
			}
		}
	}
	parts := errorPath(msg)
	if len(parts) == 0 {
		if at, ok := valueInMessage(msg, candidatesOf(named, ld.files)); ok {
			out.Path, out.Line = at.Path, at.Line
		}
		return out
	}
	candidates := candidatesOf(named, ld.files)
	var partial *facts.Location
	for _, f := range candidates {
		for _, doc := range f.docs {
			if doc == nil {
				continue
			}
			n, full := yamlpos.Locate(doc, parts)
			if n == nil {
				continue
			}
			at := f.at(n)
			if full {
				out.Path, out.Line = at.Path, at.Line
				return out
			}
			if partial == nil {
				partial = &at
			}
		}
	}
	if partial != nil {
		out.Path, out.Line = partial.Path, partial.Line
	}
	return out
}

func candidatesOf(named *yamlFile, files []*yamlFile) []*yamlFile {
	if named == nil {
		return files
	}
	return append([]*yamlFile{named}, files...)
}

// valueInMessage finds the value an error quotes at its end
// ("confusing device mapping, please use long syntax: a:b:c:d", "invalid
// containerPort: def"): the first scalar equal to it, or holding it as a
// `:`, `/`, `=` or `,` separated part.
func valueInMessage(msg string, files []*yamlFile) (facts.Location, bool) {
	line := msg
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	i := strings.LastIndex(line, ": ")
	if i < 0 {
		return facts.Location{}, false
	}
	v := strings.Trim(strings.TrimSpace(line[i+2:]), `"'`)
	if v == "" {
		return facts.Location{}, false
	}
	var partial *facts.Location
	for _, f := range files {
		for _, doc := range f.docs {
			var found *yaml.Node
			yamlpos.WalkScalars(doc, func(n *yaml.Node) bool {
				if n.Value == v {
					found = n
					return false
				}
				if partial == nil {
					for _, p := range strings.FieldsFunc(n.Value, func(r rune) bool { return strings.ContainsRune(":/=,", r) }) {
						if p == v {
							at := f.at(n)
							partial = &at
							break
						}
					}
				}
				return true
			})
			if found != nil {
				return f.at(found), true
			}
		}
	}
	if partial != nil {
		return *partial, true
	}
	return facts.Location{}, false
}

// errorPath extracts the key path an error message is about, as parts.
func errorPath(msg string) []string {
	var path string
	if m := keyPath.FindStringSubmatch(msg); m != nil {
		path = m[1]
	} else if m := serviceRef.FindStringSubmatch(msg); m != nil {
		path = "services." + m[1]
	}
	path = strings.TrimSuffix(path, ".")
	// mapstructure writes services[web].mem_limit.
	path = strings.NewReplacer("[]", ".[]", "[", ".", "]", "").Replace(path)
	path = strings.ReplaceAll(path, "..", ".")
	var parts []string
	for _, p := range strings.Split(path, ".") {
		if p != "" {
			// compose-go writes a dot inside a key as a ghost.
			parts = append(parts, strings.ReplaceAll(p, "👻", "."))
		}
	}
	if m := extraProp.FindStringSubmatch(msg); m != nil {
		parts = append(parts, m[1])
	}
	return parts
}

func oneLine(s string) string {
	s = strings.TrimPrefix(s, "decoding failed due to the following error(s):")
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\n\n", "\n")
	return strings.ReplaceAll(s, "\n", "; ")
}
