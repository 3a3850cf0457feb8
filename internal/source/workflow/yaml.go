package workflow

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/source/script"
	"github.com/dockguard/dockguard/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// doc is a parsed CI file: its root mapping and the file's lines.
type doc struct {
	path  string
	file  *yamlpos.File
	lines *script.Lines
	root  *yaml.Node
	// seen are the scalars already cut out as shell code: a YAML alias
	// repeats a node, whose findings belong where it is written, once.
	seen map[*yaml.Node]bool
}

// parse reads the first YAML document of a CI file (CI systems read no
// other). A file that is not YAML, or whose top level is not a mapping, is
// an error with its line.
func parse(path string, data []byte, what string) (*doc, error) {
	f, err := yamlpos.ParseFirst(path, data)
	if err != nil {
		ye, ok := err.(*yamlpos.Error)
		switch {
		case !ok:
			return nil, err
		case ye.Kind == yamlpos.Syntax:
			return nil, &inputs.Error{Path: path, Line: ye.Line, Message: "invalid YAML: " + ye.Msg}
		case ye.Kind == yamlpos.Crash:
			return nil, &inputs.Error{Path: path, Message: fmt.Sprintf("cannot parse %s: YAML parser failed: %s", what, ye.Msg)}
		}
		return nil, ye.Input()
	}
	if len(f.Docs) == 0 {
		return nil, &inputs.Error{Path: path, Message: "empty " + what}
	}
	top := yamlpos.Deref(f.Docs[0])
	if top == nil || top.Kind != yaml.MappingNode {
		line := 0
		if top != nil {
			line = top.Line
		}
		return nil, &inputs.Error{Path: path, Line: line, Message: what + ": the top level is not a mapping"}
	}
	return &doc{path: path, file: f, lines: script.NewLines(path, string(data)), root: top, seen: map[*yaml.Node]bool{}}, nil
}

// pair is one key and value of a mapping.
type pair struct {
	key   *yaml.Node
	value *yaml.Node
}

// pairs lists a mapping's entries in order, values dereferenced; merge
// keys (<<) are left out: what they merge is judged where it is written.
func pairs(n *yaml.Node) []pair {
	var out []pair
	for _, p := range yamlpos.Pairs(n) {
		k, v := p.Key, yamlpos.Deref(p.Value)
		if k.Kind != yaml.ScalarNode || k.Value == "<<" || v == nil {
			continue
		}
		out = append(out, pair{k, v})
	}
	return out
}

// get returns a mapping's entry for key.
func get(n *yaml.Node, key string) (k, v *yaml.Node) {
	for _, p := range pairs(n) {
		if p.key.Value == key {
			return p.key, p.value
		}
	}
	return nil, nil
}

// items lists a sequence's items, dereferenced.
func items(n *yaml.Node) []*yaml.Node { return yamlpos.Items(n) }

func isScalar(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" }

// offset is the file offset of a node: yaml.v3 counts columns in
// characters, the file in bytes.
func (d *doc) offset(n *yaml.Node) int { return d.file.Offset(n) }

// at is a node's location.
func (d *doc) at(n *yaml.Node) facts.Location {
	if n == nil {
		return facts.Location{Path: d.path}
	}
	return d.lines.At(d.offset(n))
}

// text cuts a scalar out as shell code, mapping each byte to the file:
// literal block scalars (run: |) line by line, one-line plain and quoted
// scalars byte by byte; anything YAML rewrote (folding, escapes) maps to
// the scalar's first line.
func (d *doc) text(n *yaml.Node) *script.Text {
	v := n.Value
	switch n.Style {
	case yaml.LiteralStyle:
		if t := d.literal(n); t != nil {
			return t
		}
	case 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if !strings.Contains(v, "\n") {
			raw := d.lines.Line(n.Line)
			off := d.offset(n)
			c := off - d.lines.Start(n.Line)
			if n.Style != 0 {
				c++
				off++
			}
			if c >= 0 && c+len(v) <= len(raw) && raw[c:c+len(v)] == v {
				b := script.NewBuilder(off)
				b.Copy(v, off)
				return b.Text()
			}
		}
	}
	if t := d.folded(n); t != nil {
		return t
	}
	b := script.NewBuilder(d.offset(n))
	at := d.offset(n)
	if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
		at = d.lines.Start(n.Line + 1)
	}
	b.Put(v, at)
	return b.Text()
}

// folded maps a scalar YAML folded over several lines (a `>` block, a
// plain or quoted scalar written on several lines): each line's text is
// found in the value in order, and the spaces and newlines folding put
// between them map to the line they replace. nil when the value is not
// made of the lines as written (escapes, comments in the way).
func (d *doc) folded(n *yaml.Node) *script.Text {
	v := n.Value
	line, trim := n.Line, true
	first := d.offset(n) - d.lines.Start(n.Line)
	switch n.Style {
	case yaml.FoldedStyle:
		line, first, trim = n.Line+1, -1, false
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		first++
	case 0:
	default:
		return nil
	}
	indent := -1
	b := script.NewBuilder(d.lines.Start(line))
	vi := 0
	for ln := line; ; ln++ {
		if strings.Trim(v[vi:], " \n") == "" {
			b.Put(v[vi:], d.lines.Start(ln))
			return b.Text()
		}
		if ln > d.lines.Count() {
			return nil
		}
		raw := d.lines.Line(ln)
		start := d.lines.Start(ln)
		var content string
		var at int
		switch {
		case ln == n.Line && first >= 0:
			if first > len(raw) {
				return nil
			}
			content, at = raw[first:], start+first
			if n.Style != 0 {
				content = strings.TrimRight(content, " ")
			}
		case strings.TrimSpace(raw) == "":
			continue
		case trim:
			content = strings.TrimLeft(raw, " \t")
			at = start + len(raw) - len(content)
		default:
			if indent < 0 {
				indent = len(raw) - len(strings.TrimLeft(raw, " "))
			}
			if len(raw) < indent || strings.TrimSpace(raw[:indent]) != "" {
				return nil
			}
			content, at = raw[indent:], start+indent
		}
		if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
			// The closing quote ends the scalar on its last line.
			q := "\""
			if n.Style == yaml.SingleQuotedStyle {
				q = "'"
			}
			if strings.HasSuffix(content, q) && !strings.HasPrefix(v[vi:], content) {
				content = content[:len(content)-1]
			}
		}
		for vi < len(v) && (v[vi] == ' ' || v[vi] == '\n') && !strings.HasPrefix(v[vi:], content) {
			b.Put(v[vi:vi+1], start)
			vi++
		}
		if content == "" || !strings.HasPrefix(v[vi:], content) {
			return nil
		}
		b.Copy(content, at)
		vi += len(content)
	}
}

// literal maps a literal block scalar line by line, checking each line
// against the file; nil when they do not agree (an indentation indicator
// the check does not follow, tabs, …).
func (d *doc) literal(n *yaml.Node) *script.Text {
	first := n.Line + 1
	indent := -1
	vlines := strings.Split(n.Value, "\n")
	for k := range vlines {
		raw := d.lines.Line(first + k)
		if strings.TrimSpace(raw) == "" {
			continue
		}
		indent = len(raw) - len(strings.TrimLeft(raw, " "))
		break
	}
	if indent < 0 {
		return nil
	}
	b := script.NewBuilder(d.lines.Start(first))
	for k, vl := range vlines {
		ln := first + k
		start := d.lines.Start(ln)
		if vl != "" {
			raw := d.lines.Line(ln)
			if ln > d.lines.Count() || len(raw) < indent || raw[indent:] != vl {
				return nil
			}
			b.Copy(vl, start+indent)
		}
		if k < len(vlines)-1 {
			b.Copy("\n", start+len(d.lines.Line(ln)))
		}
	}
	return b.Text()
}

// chunk is a scalar as a piece of shell code, once per node.
func (d *doc) chunk(n *yaml.Node, what string, expressions bool) (script.Chunk, bool) {
	if !isScalar(n) || d.seen[n] {
		return script.Chunk{}, false
	}
	d.seen[n] = true
	t := d.text(n)
	if expressions {
		replaceExpressions(t)
	}
	return script.Chunk{Text: t, Lines: d.lines, What: what, Dialect: "bash"}, true
}
