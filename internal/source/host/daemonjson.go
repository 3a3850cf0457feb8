package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// daemonConfig is daemon.json: its top-level values, decoded into the types
// dockerd reads them as, and the line of every key (nested keys as
// "default-ulimits.nofile").
type daemonConfig struct {
	Path  string
	raw   map[string]json.RawMessage
	lines map[string]int
}

// maxConfigSize caps daemon.json; dockerd's own files are a few KiB.
const maxConfigSize = 1 << 20

// parseDaemonConfig reads daemon.json. A key given twice takes its last
// value, as encoding/json (and so dockerd) decodes it; its line is the last
// one's.
func parseDaemonConfig(path string, data []byte) (*daemonConfig, error) {
	c := &daemonConfig{Path: path, raw: map[string]json.RawMessage{}, lines: map[string]int{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil // dockerd accepts an empty file
	}
	if err := json.Unmarshal(data, &c.raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, jsonError(data, err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := c.walk(dec, data, "", 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// walk records the line of each object key, two levels deep.
func (c *daemonConfig) walk(dec *json.Decoder, data []byte, prefix string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		for dec.More() {
			ktok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := ktok.(string)
			name := key
			if prefix != "" {
				name = prefix + "." + key
			}
			if depth < 2 {
				c.lines[name] = lineAt(data, keyStart(data, dec.InputOffset()))
			}
			if err := c.walk(dec, data, name, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := c.walk(dec, data, prefix, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // closing delimiter
	return err
}

// keyStart finds the opening quote of the key that ends at off.
func keyStart(data []byte, off int64) int64 {
	i := off - 1
	if i >= 0 && i < int64(len(data)) && data[i] == '"' {
		i--
	}
	for i > 0 && !(data[i] == '"' && data[i-1] != '\\') {
		i--
	}
	return i
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func jsonError(data []byte, err error) error {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Errorf("line %d: %v", lineAt(data, se.Offset), err)
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Errorf("line %d: %v", lineAt(data, te.Offset), err)
	}
	return err
}

// key finds how the file spells a key: dockerd decodes daemon.json into
// its configuration struct, so keys match case-insensitively.
func (c *daemonConfig) key(key string) (string, bool) {
	if c == nil {
		return "", false
	}
	if _, ok := c.raw[key]; ok {
		return key, true
	}
	for k := range c.raw {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}

// has reports whether the file sets a key.
func (c *daemonConfig) has(key string) bool {
	_, ok := c.key(key)
	return ok
}

// line is the line of a key, 0 when absent.
func (c *daemonConfig) line(key string) int {
	k, ok := c.key(key)
	if !ok {
		return 0
	}
	return c.lines[k]
}

// get decodes a key's value into v; false when absent or of another type.
func (c *daemonConfig) get(key string, v any) bool {
	k, ok := c.key(key)
	if !ok {
		return false
	}
	return json.Unmarshal(c.raw[k], v) == nil
}

// bool reads a boolean key; dockerd also accepts "true"/"false" strings in
// a few places, but not for these keys, so anything else is not a bool.
func (c *daemonConfig) bool(key string) (bool, bool) {
	var b bool
	ok := c.get(key, &b)
	return b, ok
}

func (c *daemonConfig) string(key string) (string, bool) {
	var s string
	ok := c.get(key, &s)
	return s, ok
}

func (c *daemonConfig) strings(key string) ([]string, bool) {
	var s []string
	ok := c.get(key, &s)
	return s, ok
}

// ulimit is the daemon.json form of a default ulimit.
type ulimit struct {
	Name string
	Soft int64
	Hard int64
}

func (c *daemonConfig) ulimits() (map[string]ulimit, bool) {
	var m map[string]ulimit
	ok := c.get("default-ulimits", &m)
	for k, u := range m {
		if u.Name == "" {
			u.Name = k
		}
		u.Name = strings.ToLower(u.Name)
		m[k] = u
	}
	return m, ok
}
