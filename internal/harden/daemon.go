package harden

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// daemonSetting is one daemon.json key harden sets, with its value and the
// rule it answers.
type daemonSetting struct {
	key, value, slug string
	ok               func(raw json.RawMessage) bool
}

func isJSON(want string) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		var a, b any
		return json.Unmarshal(raw, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && fmt.Sprint(a) == fmt.Sprint(b)
	}
}

func daemonSettings() []daemonSetting {
	soft, hard, _ := strings.Cut(DefaultNoFile, ":")
	ul := `{"nofile": {"Name": "nofile", "Soft": ` + soft + `, "Hard": ` + hard + `}, "nproc": {"Name": "nproc", "Soft": ` + DefaultNProc + `, "Hard": ` + DefaultNProc + `}}`
	return []daemonSetting{
		{"icc", "false", "daemon-icc-on", isJSON("false")},
		{"userns-remap", `"default"`, "daemon-userns-off", func(raw json.RawMessage) bool {
			var s string
			return json.Unmarshal(raw, &s) == nil && s != ""
		}},
		{"no-new-privileges", "true", "daemon-no-new-privileges-off", isJSON("true")},
		{"live-restore", "true", "", isJSON("true")},
		{"userland-proxy", "false", "", isJSON("false")},
		{"default-ulimits", ul, "daemon-ulimits-missing", func(raw json.RawMessage) bool {
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) != nil {
				return false
			}
			_, f := m["nofile"]
			_, p := m["nproc"]
			return f && p
		}},
	}
}

// Daemon hardens a daemon.json: icc false, userns-remap default,
// no-new-privileges, live-restore, userland-proxy false and default
// nofile/nproc ulimits. Keys already set well are kept; a key set
// otherwise has its value replaced where it stands; missing keys are added
// at the end of the object. Everything else stays byte for byte. A file
// that does not exist is hardened from `{}`; one that is not a JSON object
// is an error and is never rewritten.
func Daemon(path string) (*FileResult, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	src := string(data)
	res := &FileResult{Path: path, Old: src, Fixed: map[string][]string{}}
	if strings.TrimSpace(src) == "" {
		src = "{\n}\n"
	}
	type span struct{ start, end int }
	values := map[string]span{}
	raws := map[string]json.RawMessage{}
	dec := json.NewDecoder(strings.NewReader(src))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s: not rewritten: not a JSON object", path)
	}
	indent := "  "
	first := true
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: not rewritten: %v", path, err)
		}
		key, _ := kt.(string)
		after := int(dec.InputOffset())
		if first {
			// The first key's indentation is the file's.
			q := strings.LastIndex(src[:after-1], `"`+key)
			if q < 0 {
				q = strings.LastIndexByte(src[:after-1], '"')
			}
			ls := strings.LastIndexByte(src[:max(q, 0)], '\n') + 1
			if in := src[ls:max(q, ls)]; strings.TrimSpace(in) == "" && in != "" {
				indent = in
			}
			first = false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: not rewritten: %v", path, err)
		}
		end := int(dec.InputOffset())
		start := after
		for start < end && (src[start] == ' ' || src[start] == '\t' || src[start] == '\n' || src[start] == '\r' || src[start] == ':') {
			start++
		}
		values[key] = span{start, end}
		raws[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: not rewritten: %v", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: not rewritten: more than one JSON value", path)
	}
	closing := int(dec.InputOffset()) - 1
	for closing > 0 && src[closing] != '}' {
		closing--
	}
	t := newText(src)
	var add []string
	fixed := []string{}
	for _, s := range daemonSettings() {
		if sp, ok := values[s.key]; ok {
			if s.ok(raws[s.key]) {
				continue
			}
			t.replace(sp.start, sp.end, s.value)
		} else {
			add = append(add, indent+`"`+s.key+`": `+s.value)
		}
		if s.slug != "" {
			fixed = append(fixed, s.slug)
		}
		switch s.key {
		case "userns-remap":
			res.Notes = append(res.Notes, Note{Rule: s.slug, Message: "userns-remap gives the daemon a new storage area: images and containers must be pulled or created again, and bind mounts need the remapped owner"})
		case "live-restore":
			res.Notes = append(res.Notes, Note{Message: "live-restore cannot be used with Swarm mode; leave it out on Swarm nodes"})
		}
	}
	if len(add) > 0 {
		// After the last value (or the opening brace), before the closing one.
		at := strings.LastIndexFunc(src[:closing], func(r rune) bool { return !strings.ContainsRune(" \t\r\n", r) }) + 1
		sep := ",\n"
		if len(values) == 0 {
			sep = "\n"
		}
		text := sep + strings.Join(add, ",\n")
		// Keep what followed the last value (its newline and the brace's
		// indentation); without one, end the last added line.
		if !strings.Contains(src[at:closing], "\n") {
			text += "\n"
		}
		t.replace(at, at, text)
	}
	res.New = t.result()
	if res.Old == "" && len(add) == 0 {
		res.New = ""
	}
	var check map[string]any
	if err := json.Unmarshal([]byte(res.New), &check); err != nil {
		return nil, fmt.Errorf("%s: not rewritten: the hardened file would not parse (a dockguard bug): %v", path, err)
	}
	res.Fixed["daemon"] = fixed
	return res, nil
}
