// Package yamlpos reads YAML files for the sources that audit them
// (compose files, CI pipelines, Kubernetes manifests): every value keeps
// the file, line and column it was written at, so that a finding can point
// at it; aliases and merge keys resolve as a YAML decoder resolves them;
// and a hostile file (an alias bomb, absurd nesting, thousands of
// documents) is refused, with an error naming the file and line, before
// anything expands it.
//
// It works on go.yaml.in/yaml/v3 nodes, which keep positions, comments
// and styles, so that a source can also splice a rewrite into the bytes at
// a node's offset. What belongs to one format (compose interpolation,
// GitHub expressions, a schema) stays in that format's source.
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"go.yaml.in/yaml/v3"
)

// Limits on what one file may expand to. Real files use a handful of
// anchors (defaults merged into each service or job) and nest a few levels;
// anything past these is an attack on whatever decodes the file, the
// "billion laughs" alias bomb above all, which a decoder into Go values
// (compose-go, Kubernetes' own) would expand in memory.
const (
	// MaxAliases caps the alias expansions of one document.
	MaxAliases = 10000
	// MaxDepth caps how deep a document nests once its aliases are
	// expanded.
	MaxDepth = 100
	// MaxNodes caps the nodes a document expands to: a few aliases of one
	// huge anchor are a bomb too.
	MaxNodes = 2 << 20
	// MaxDocuments caps the `---` separated documents of one file: a file
	// of empty documents costs whoever loads each of them a full load.
	MaxDocuments = 100
)

// File is a parsed YAML file.
type File struct {
	// Path is the file as shown to the user, in positions and errors.
	Path string
	// Docs are the roots of the file's documents, in order (an empty
	// document is a null scalar; a document go-yaml gives no root at all
	// is nil). The nodes may be changed in place: positions are read from
	// the nodes, and a node the caller makes up (line 0) is placed at the
	// file alone.
	Docs []*yaml.Node

	data   []byte
	starts []int // byte offset where each line starts
}

// Parse reads every document of a file, refusing alias bombs and absurd
// nesting before anything expands them. A failure is an *Error.
func Parse(path string, data []byte) (*File, error) {
	return parse(path, data, MaxDocuments+1)
}

// ParseFirst reads the first document of a file alone, for formats that
// have one (a CI pipeline): what follows it is not read, so it cannot make
// the file fail. An empty file has no documents.
func ParseFirst(path string, data []byte) (*File, error) {
	return parse(path, data, 1)
}

func parse(path string, data []byte, most int) (f *File, err error) {
	defer func() {
		// go-yaml is third-party code fed untrusted bytes.
		if r := recover(); r != nil {
			f, err = nil, &Error{Path: path, Kind: Crash, Msg: fmt.Sprint(r)}
		}
	}()
	f = &File{Path: path, data: data, starts: lineStarts(data)}
	// A byte order mark is not part of the YAML; offsets still count it,
	// as they are offsets into data.
	text := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := yaml.NewDecoder(bytes.NewReader(text))
	for len(f.Docs) < most {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			e := syntaxError(path, err)
			if l := firstFailingLine(text); l > e.Line {
				e.Line = l
			}
			return nil, e
		}
		if len(f.Docs) == MaxDocuments {
			return nil, &Error{Path: path, Kind: Limit, Msg: fmt.Sprintf("more than %d YAML documents", MaxDocuments)}
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				f.Docs = append(f.Docs, nil)
				continue
			}
			root = root.Content[0]
		}
		if err := checkExpansion(path, root); err != nil {
			return nil, err
		}
		f.Docs = append(f.Docs, root)
	}
	return f, nil
}

// ErrorKind says why a file cannot be read.
type ErrorKind int

const (
	// Syntax: the bytes are not YAML.
	Syntax ErrorKind = iota + 1
	// Crash: the YAML parser panicked on the bytes.
	Crash
	// Limit: the YAML is over one of the limits (MaxAliases, …).
	Limit
	// Type: a value is not of the type asked for (String, Bool, Int).
	Type
)

// Error is a file that cannot be read, or a value that is not what was
// asked for, with where.
type Error struct {
	Path string
	// Line and Column are where the problem is, 0 when the parser names
	// no line (Column 0 when it names no column).
	Line, Column int
	Kind         ErrorKind
	// Msg says what is wrong, without the path and line: for Syntax and
	// Crash the parser's own words, which Message prefixes.
	Msg string
}

// Message is the problem in words, without the path and line.
func (e *Error) Message() string {
	switch e.Kind {
	case Syntax:
		return "cannot parse YAML: " + e.Msg
	case Crash:
		return "cannot parse YAML: parser failed: " + e.Msg
	}
	return e.Msg
}

// Input is the error as the input error dockguard reports.
func (e *Error) Input() *inputs.Error {
	return &inputs.Error{Path: e.Path, Line: e.Line, Message: e.Message()}
}

func (e *Error) Error() string { return e.Input().Error() }

// yamlLine finds the line go-yaml names in a message ("yaml: line 4: …").
var yamlLine = regexp.MustCompile(`(?:^|: )(?:yaml: )?line (\d+):\s*`)

func syntaxError(path string, err error) *Error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		line, _ = strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[0]] + ": " + msg[m[1]:]
		msg = strings.TrimPrefix(msg, ": ")
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &Error{Path: path, Line: line, Kind: Syntax, Msg: msg}
}

// firstFailingLine finds the line a YAML syntax error is on. go-yaml v3
// names the line where the enclosing block starts ("line 1: did not find
// expected key" for a bad indent on line 40); the shortest prefix of whole
// lines that does not parse ends on the offending line. Files over 1 MiB
// keep go-yaml's line rather than pay for the search.
func firstFailingLine(data []byte) int {
	if len(data) > 1<<20 {
		return 0
	}
	var ends []int // byte offset after each line
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(k int) bool {
		dec := yaml.NewDecoder(bytes.NewReader(data[:ends[k-1]]))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				return false
			}
			if err != nil {
				return true
			}
		}
	}
	lo, hi := 1, len(ends)
	if !fails(hi) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// expansion is what a node becomes once its aliases are expanded.
type expansion struct {
	aliases int // alias nodes expanded, saturated just past the limit
	nodes   int // nodes once expanded, saturated just past the limit
	depth   int
}

// checkExpansion computes, without expanding anything, how many aliases a
// full decode of root would expand and how deep the result would be. Each
// node is visited once (results are memoized per node), so a bomb costs no
// more than its own size.
func checkExpansion(path string, root *yaml.Node) error {
	memo := map[*yaml.Node]expansion{}
	busy := map[*yaml.Node]bool{}
	fail := func(n *yaml.Node, format string, args ...any) error {
		return &Error{Path: path, Line: n.Line, Column: n.Column, Kind: Limit, Msg: fmt.Sprintf(format, args...)}
	}
	var walk func(n *yaml.Node, level int) (expansion, error)
	walk = func(n *yaml.Node, level int) (expansion, error) {
		if e, ok := memo[n]; ok {
			return e, nil
		}
		if busy[n] {
			return expansion{}, fail(n, "YAML alias refers to itself")
		}
		if level > MaxDepth {
			return expansion{}, fail(n, "YAML nested deeper than %d levels", MaxDepth)
		}
		busy[n] = true
		defer delete(busy, n)
		var e expansion
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return e, nil
			}
			t, err := walk(n.Alias, level)
			if err != nil {
				return e, err
			}
			e = expansion{aliases: min(t.aliases+1, MaxAliases+1), nodes: t.nodes, depth: t.depth}
		} else {
			e.nodes = 1
			for _, c := range n.Content {
				ce, err := walk(c, level+1)
				if err != nil {
					return e, err
				}
				e.aliases = min(e.aliases+ce.aliases, MaxAliases+1)
				e.nodes = min(e.nodes+ce.nodes, MaxNodes+1)
				e.depth = max(e.depth, ce.depth)
			}
			e.depth++
		}
		if e.aliases > MaxAliases {
			return e, fail(n, "YAML alias bomb: more than %d alias expansions", MaxAliases)
		}
		if e.nodes > MaxNodes {
			if e.aliases == 0 {
				return e, fail(n, "YAML document of more than %d nodes", MaxNodes)
			}
			return e, fail(n, "YAML alias bomb: expands to more than %d nodes", MaxNodes)
		}
		if e.depth > MaxDepth {
			return e, fail(n, "YAML nested deeper than %d levels once aliases are expanded", MaxDepth)
		}
		memo[n] = e
		return e, nil
	}
	_, err := walk(root, 0)
	return err
}

// At is where a node is written: its line and column (go-yaml counts
// columns in characters). A node the caller made up is placed at the file.
func (f *File) At(n *yaml.Node) facts.Location {
	if n == nil || n.Line == 0 {
		return facts.Location{Path: f.Path}
	}
	return facts.Location{Path: f.Path, Line: n.Line, Column: n.Column}
}

// Offset is the byte offset in the file of a node's first character, for
// cutting its text out or splicing a rewrite in: go-yaml counts columns in
// characters, the file in bytes. A column past the end of its line stops
// at the line's end.
func (f *File) Offset(n *yaml.Node) int {
	line := n.Line
	if line < 1 {
		return 0
	}
	if line > len(f.starts) {
		return len(f.data)
	}
	start, end := f.starts[line-1], len(f.data)
	if line < len(f.starts) {
		end = f.starts[line] - 1
	}
	if end > start && f.data[end-1] == '\r' {
		end--
	}
	i := start
	for c := 1; c < n.Column && i < end; c++ {
		_, w := utf8.DecodeRune(f.data[i:end])
		i += w
	}
	return i
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
