package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"go.yaml.in/yaml/v3"
)

// Limits on what one YAML file may expand to. Real compose files use a
// handful of anchors (x-defaults merged into each service) and nest a few
// levels; anything past these is an attack on the parser, the "billion
// laughs" alias bomb above all, which compose-go would expand in memory.
const (
	maxAliasExpansions = 10000
	maxDepth           = 100
	// maxNodes caps the nodes a document expands to: a few aliases of one
	// huge anchor are a bomb too.
	maxNodes = 2 << 20
	// maxDocuments caps `---` separated documents in one file: compose-go
	// merges every one of them, and a file of empty documents costs a
	// full load each.
	maxDocuments = 100
)

// yamlFile is one compose file as written, with the nodes positions are read
// from and the bytes compose-go is given.
type yamlFile struct {
	abs     string // absolute path, as compose-go names it
	display string // as shown to the user
	// data is what compose-go loads: the file's bytes, or the file rewritten
	// into the current layout when it uses the legacy (v1) one.
	data []byte
	// docs are the file's documents, each a mapping node (legacy documents
	// are rewritten in place: the services moved under a `services` key of
	// their own, `net` renamed to `network_mode`; every node taken from the
	// file keeps its line and column).
	docs   []*yaml.Node
	legacy bool
}

func (f *yamlFile) at(n *yaml.Node) facts.Location {
	if n == nil || n.Line == 0 {
		return facts.Location{Path: f.display}
	}
	return facts.Location{Path: f.display, Line: n.Line, Column: n.Column}
}

var yamlLine = regexp.MustCompile(`(?:^|: )(?:yaml: )?line (\d+):\s*`)

// parseYAML reads the documents of a compose file into nodes, refusing
// alias bombs and absurd nesting before anything expands them.
func parseYAML(display string, data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		// go-yaml is third-party code fed untrusted bytes.
		if r := recover(); r != nil {
			docs, err = nil, &inputs.Error{Path: display, Message: fmt.Sprintf("cannot parse YAML: parser failed: %v", r)}
		}
	}()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			ye := yamlError(display, err)
			if l := firstFailingLine(data); l > ye.Line {
				ye.Line = l
			}
			return nil, ye
		}
		if len(docs) == maxDocuments {
			return nil, &inputs.Error{Path: display, Message: fmt.Sprintf("more than %d YAML documents", maxDocuments)}
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				docs = append(docs, nil)
				continue
			}
			root = root.Content[0]
		}
		if err := checkExpansion(display, root); err != nil {
			return nil, err
		}
		docs = append(docs, root)
	}
	return docs, nil
}

func yamlError(display string, err error) *inputs.Error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		line, _ = strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[0]] + ": " + msg[m[1]:]
		msg = strings.TrimPrefix(msg, ": ")
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &inputs.Error{Path: display, Line: line, Message: "cannot parse YAML: " + msg}
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
func checkExpansion(display string, root *yaml.Node) error {
	memo := map[*yaml.Node]expansion{}
	busy := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, level int) (expansion, error)
	walk = func(n *yaml.Node, level int) (expansion, error) {
		if e, ok := memo[n]; ok {
			return e, nil
		}
		if busy[n] {
			return expansion{}, &inputs.Error{Path: display, Line: n.Line, Message: "YAML alias refers to itself"}
		}
		if level > maxDepth {
			return expansion{}, &inputs.Error{Path: display, Line: n.Line, Message: fmt.Sprintf("YAML nested deeper than %d levels", maxDepth)}
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
			e = expansion{aliases: min(t.aliases+1, maxAliasExpansions+1), nodes: t.nodes, depth: t.depth}
		} else {
			e.nodes = 1
			for _, c := range n.Content {
				ce, err := walk(c, level+1)
				if err != nil {
					return e, err
				}
				e.aliases = min(e.aliases+ce.aliases, maxAliasExpansions+1)
				e.nodes = min(e.nodes+ce.nodes, maxNodes+1)
				e.depth = max(e.depth, ce.depth)
			}
			e.depth++
		}
		if e.aliases > maxAliasExpansions {
			return e, &inputs.Error{Path: display, Line: n.Line, Message: fmt.Sprintf("YAML alias bomb: more than %d alias expansions", maxAliasExpansions)}
		}
		if e.nodes > maxNodes {
			msg := fmt.Sprintf("YAML alias bomb: expands to more than %d nodes", maxNodes)
			if e.aliases == 0 {
				msg = fmt.Sprintf("YAML document of more than %d nodes", maxNodes)
			}
			return e, &inputs.Error{Path: display, Line: n.Line, Message: msg}
		}
		if e.depth > maxDepth {
			return e, &inputs.Error{Path: display, Line: n.Line, Message: fmt.Sprintf("YAML nested deeper than %d levels once aliases are expanded", maxDepth)}
		}
		memo[n] = e
		return e, nil
	}
	_, err := walk(root, 0)
	return err
}

// Top-level keys of the compose specification. A document with none of them
// but with mappings at the top is in the legacy (v1) layout, where services
// were the top-level keys.
var topLevelKeys = map[string]bool{
	"version": true, "name": true, "services": true, "networks": true, "volumes": true,
	"secrets": true, "configs": true, "include": true, "models": true, "jobs": true,
}

// A legacy service names its image, its build or the service it extends,
// which tells it from a misspelt top-level key.
func isLegacy(doc *yaml.Node) bool {
	if doc == nil || doc.Kind != yaml.MappingNode || len(doc.Content) == 0 {
		return false
	}
	services := 0
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i].Value, deref(doc.Content[i+1])
		switch {
		case topLevelKeys[k]:
			return false
		case strings.HasPrefix(k, "x-") || k == "<<":
		case v != nil && v.Kind == yaml.MappingNode && isLegacyService(v):
			services++
		default:
			return false
		}
	}
	return services > 0
}

func isLegacyService(v *yaml.Node) bool {
	for i := 0; i+1 < len(v.Content); i += 2 {
		switch v.Content[i].Value {
		case "image", "build", "extends":
			return true
		}
	}
	return false
}

// convertLegacy rewrites a legacy document in place: the services go under
// a `services` key, `net` becomes `network_mode`, and `dockerfile` beside a
// `build` path moves into the build section.
func convertLegacy(doc *yaml.Node) {
	services := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var top []*yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if strings.HasPrefix(k.Value, "x-") || k.Value == "<<" {
			top = append(top, k, v)
			continue
		}
		if s := deref(v); s != nil && s.Kind == yaml.MappingNode {
			convertLegacyService(s)
		}
		services.Content = append(services.Content, k, v)
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "services"}
	doc.Content = append([]*yaml.Node{key, services}, top...)
}

func convertLegacyService(s *yaml.Node) {
	var build, dockerfile *yaml.Node
	dfIndex := -1
	for i := 0; i+1 < len(s.Content); i += 2 {
		switch k := s.Content[i]; k.Value {
		case "net":
			k.Value = "network_mode"
		case "build":
			build = s.Content[i+1]
		case "dockerfile":
			dockerfile, dfIndex = s.Content[i+1], i
		}
	}
	if dockerfile == nil {
		return
	}
	if build != nil && build.Kind == yaml.ScalarNode {
		ctx := *build
		*build = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: build.Line, Column: build.Column, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "context", Line: ctx.Line, Column: ctx.Column}, &ctx,
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "dockerfile", Line: dockerfile.Line, Column: dockerfile.Column}, dockerfile,
		}}
	}
	s.Content = append(s.Content[:dfIndex:dfIndex], s.Content[dfIndex+2:]...)
}

// encodeDocs writes documents back as YAML for compose-go.
func encodeDocs(docs []*yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, d := range docs {
		if d == nil {
			continue
		}
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// entry is one key of a mapping with its value.
type entry struct {
	key, value *yaml.Node
}

// entries lists a mapping's keys the way a YAML decoder sees them: keys
// written in the mapping, then keys merged in with `<<` that the mapping
// does not set itself (earlier merge sources win over later ones).
func entries(n *yaml.Node) []entry {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []entry
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag != "!!str" && k.Style == 0 {
			merges = append(merges, v)
			continue
		}
		if !seen[k.Value] {
			seen[k.Value] = true
			out = append(out, entry{k, v})
		}
	}
	var sources []*yaml.Node
	for _, m := range merges {
		m = deref(m)
		if m != nil && m.Kind == yaml.SequenceNode {
			sources = append(sources, m.Content...)
		} else {
			sources = append(sources, m)
		}
	}
	for _, src := range sources {
		for _, e := range entries(src) {
			if !seen[e.key.Value] {
				seen[e.key.Value] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// get returns the entry of a mapping for key.
func get(n *yaml.Node, key string) (entry, bool) {
	for _, e := range entries(n) {
		if e.key.Value == key {
			return e, true
		}
	}
	return entry{}, false
}

// items lists a sequence's items, or the node itself when it is a scalar
// (compose accepts a single string for several lists).
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, deref(c))
		}
		return out
	case n.Kind == yaml.ScalarNode:
		return []*yaml.Node{n}
	}
	return nil
}

// locate walks a dotted path (as compose-go writes it in errors) from a
// node: mapping keys (which may themselves contain dots), list indexes, and
// `[]` for any list item. It returns the node to point at (the key of the
// last mapping entry reached, or the list item) and whether the whole path
// exists; when it does not, the node is the deepest one reached (nil when
// not even the first step exists).
func locate(n *yaml.Node, parts []string) (*yaml.Node, bool) {
	n = deref(n)
	if len(parts) == 0 {
		return nil, true
	}
	if n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		es := entries(n)
		var partial *yaml.Node
		for j := len(parts); j >= 1; j-- {
			name := strings.Join(parts[:j], ".")
			for _, e := range es {
				if e.key.Value != name {
					continue
				}
				at, ok := locate(e.value, parts[j:])
				if at == nil {
					at = e.key
				}
				if ok {
					return at, true
				}
				if partial == nil {
					partial = at
				}
			}
		}
		return partial, false
	case yaml.SequenceNode:
		if parts[0] == "[]" {
			for _, c := range n.Content {
				if at, ok := locate(c, parts[1:]); ok {
					if at == nil {
						at = c
					}
					return at, true
				}
			}
			return nil, false
		}
		i, err := strconv.Atoi(parts[0])
		if err == nil && i >= 0 && i < len(n.Content) {
			at, ok := locate(n.Content[i], parts[1:])
			if at == nil {
				at = n.Content[i]
			}
			return at, ok
		}
	}
	return nil, false
}
