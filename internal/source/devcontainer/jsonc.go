package devcontainer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is a JSON value's type.
type Kind uint8

// JSON value kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is one JSON value with the byte offset where it starts.
type Value struct {
	Kind Kind
	// Str is a string's value, or a number's or boolean's text.
	Str     string
	Off     int
	Members []Member // objects, in order
	Items   []*Value // arrays
}

// Member is one key of an object.
type Member struct {
	Key    string
	KeyOff int
	Value  *Value
}

// Get returns an object's last value for key (JSON parsers keep the last
// of duplicate keys).
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	var out *Value
	for _, m := range v.Members {
		if m.Key == key {
			out = m.Value
		}
	}
	return out
}

// Member returns an object's last member for key.
func (v *Value) Member(key string) (Member, bool) {
	var out Member
	ok := false
	if v != nil && v.Kind == Object {
		for _, m := range v.Members {
			if m.Key == key {
				out, ok = m, true
			}
		}
	}
	return out, ok
}

// SyntaxError is where and why a document does not parse.
type SyntaxError struct {
	Off int
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 256

// ParseJSONC parses JSON with comments (// and /* */) and trailing commas,
// the dialect of devcontainer.json and VS Code settings.
func ParseJSONC(src string) (*Value, error) {
	p := &jparser{src: src}
	if strings.HasPrefix(src, "\uFEFF") {
		p.i = 3
	}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.err != nil {
		return nil, p.err
	}
	if p.i < len(p.src) {
		return nil, p.fail("unexpected %s after the top-level value", p.what())
	}
	return v, nil
}

type jparser struct {
	src string
	i   int
	err error
}

func (p *jparser) fail(format string, args ...any) error {
	return &SyntaxError{Off: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *jparser) what() string {
	if p.i >= len(p.src) {
		return "end of file"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.i:])
	return strconv.QuoteRune(r)
}

// space skips blanks and comments.
func (p *jparser) space() {
	for p.i < len(p.src) {
		switch c := p.src[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case c == '/' && p.i+1 < len(p.src) && p.src[p.i+1] == '/':
			j := strings.IndexByte(p.src[p.i:], '\n')
			if j < 0 {
				p.i = len(p.src)
			} else {
				p.i += j + 1
			}
		case c == '/' && p.i+1 < len(p.src) && p.src[p.i+1] == '*':
			j := strings.Index(p.src[p.i+2:], "*/")
			if j < 0 {
				if p.err == nil {
					p.err = p.fail("comment not closed")
				}
				p.i = len(p.src)
				return
			}
			p.i += j + 4
		default:
			return
		}
	}
}

func (p *jparser) value(depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, p.fail("nested deeper than %d levels", maxDepth)
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.i >= len(p.src) {
		return nil, p.fail("unexpected end of file")
	}
	start := p.i
	switch c := p.src[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: s, Off: start}, nil
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.src) && strings.IndexByte("0123456789+-.eE", p.src[j]) >= 0 {
			j++
		}
		text := p.src[p.i:j]
		if _, err := strconv.ParseFloat(text, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			// Too large for a float64 is still a number.
			return nil, p.fail("bad number %q", text)
		}
		p.i = j
		return &Value{Kind: Number, Str: text, Off: start}, nil
	default:
		for _, lit := range []struct {
			text string
			kind Kind
		}{{"true", Bool}, {"false", Bool}, {"null", Null}} {
			if strings.HasPrefix(p.src[p.i:], lit.text) {
				p.i += len(lit.text)
				return &Value{Kind: lit.kind, Str: lit.text, Off: start}, nil
			}
		}
		return nil, p.fail("unexpected %s", p.what())
	}
}

func (p *jparser) object(depth int) (*Value, error) {
	v := &Value{Kind: Object, Off: p.i}
	p.i++
	for {
		p.space()
		if p.i < len(p.src) && p.src[p.i] == '}' {
			p.i++
			return v, nil
		}
		if p.i >= len(p.src) || p.src[p.i] != '"' {
			return nil, p.fail("expected a key in quotes or }, found %s", p.what())
		}
		koff := p.i
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return nil, p.fail("expected : after key %q, found %s", k, p.what())
		}
		p.i++
		p.space()
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Members = append(v.Members, Member{Key: k, KeyOff: koff, Value: val})
		p.space()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.src) && p.src[p.i] == '}' {
			p.i++
			return v, nil
		}
		return nil, p.fail("expected , or } after a value, found %s", p.what())
	}
}

func (p *jparser) array(depth int) (*Value, error) {
	v := &Value{Kind: Array, Off: p.i}
	p.i++
	for {
		p.space()
		if p.i < len(p.src) && p.src[p.i] == ']' {
			p.i++
			return v, nil
		}
		it, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, it)
		p.space()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.src) && p.src[p.i] == ']' {
			p.i++
			return v, nil
		}
		return nil, p.fail("expected , or ] after a value, found %s", p.what())
	}
}

// string reads a quoted string with JSON's escapes.
func (p *jparser) string() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.src) {
			return "", p.fail("string not closed")
		}
		c := p.src[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\n':
			return "", p.fail("newline in a string")
		case c == '\\':
			if p.i+1 >= len(p.src) {
				return "", p.fail("string not closed")
			}
			e := p.src[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("bad \\u escape")
				}
				if utf16.IsSurrogate(r) && strings.HasPrefix(p.src[p.i:], `\u`) {
					p.i += 2
					r2, ok := p.hex4()
					if !ok {
						return "", p.fail("bad \\u escape")
					}
					r = utf16.DecodeRune(r, r2)
				}
				b.WriteRune(r)
			default:
				p.i--
				return "", p.fail("bad escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.src) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.src[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
