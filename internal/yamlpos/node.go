package yamlpos

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// walkLimit bounds the recursion of the readers below. Parse already
// bounds how deep a document nests; the looser bound here only keeps nodes
// a caller built or rearranged (a document wrapped in a new mapping, a
// cycle) from running a reader away.
const walkLimit = 4 * MaxDepth

// Deref follows an alias to the node it names; any other node is itself.
func Deref(n *yaml.Node) *yaml.Node {
	// An alias never names an alias, so one step is enough for a parsed
	// file; the bound only guards nodes built by hand.
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < walkLimit; i++ {
		n = n.Alias
	}
	return n
}

// Pair is one key of a mapping with its value. Value is as written: an
// alias stays an alias (Deref it), so that its tag and position are the
// ones written at the key.
type Pair struct {
	Key, Value *yaml.Node
}

// IsMergeKey reports whether a key is the merge key `<<` (a quoted "<<" is
// an ordinary key).
func IsMergeKey(k *yaml.Node) bool {
	return k != nil && k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag != "!!str" && k.Style == 0
}

// Pairs lists a mapping's keys as written, in order: merge keys and
// repeated keys included, nothing merged in. Not a mapping: nil.
func Pairs(n *yaml.Node) []Pair {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]Pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, Pair{n.Content[i], n.Content[i+1]})
	}
	return out
}

// Entries lists a mapping's keys the way a YAML decoder sees them: keys
// written in the mapping (the first of repeated ones), then keys merged in
// with `<<` that the mapping does not set itself (earlier merge sources win
// over later ones). Not a mapping: nil.
func Entries(n *yaml.Node) []Pair {
	return entries(n, 0)
}

func entries(n *yaml.Node, depth int) []Pair {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > walkLimit {
		return nil
	}
	var out []Pair
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if IsMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		if !seen[k.Value] {
			seen[k.Value] = true
			out = append(out, Pair{k, v})
		}
	}
	var sources []*yaml.Node
	for _, m := range merges {
		m = Deref(m)
		if m != nil && m.Kind == yaml.SequenceNode {
			sources = append(sources, m.Content...)
		} else {
			sources = append(sources, m)
		}
	}
	for _, src := range sources {
		for _, e := range entries(src, depth+1) {
			if !seen[e.Key.Value] {
				seen[e.Key.Value] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// Lookup returns the entry of a mapping for key, merge keys resolved as
// Entries resolves them.
func Lookup(n *yaml.Node, key string) (Pair, bool) {
	for _, e := range Entries(n) {
		if e.Key.Value == key {
			return e, true
		}
	}
	return Pair{}, false
}

// Items lists a sequence's items, aliases followed. Not a sequence: nil.
func Items(n *yaml.Node) []*yaml.Node {
	n = Deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = Deref(c); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Locate walks a dotted key path, as tools write one in their errors
// (`services.web.ports.0.target`, `spec.containers.[].image`), from a
// node: mapping keys (which may themselves contain dots: the longest key
// that matches is tried first), list indexes, and `[]` for any list item.
// It returns the node to point at (the key of the last mapping entry
// reached, or the list item) and whether the whole path exists; when it
// does not, the node is the deepest one reached (nil when not even the
// first step exists).
func Locate(n *yaml.Node, parts []string) (*yaml.Node, bool) {
	return locate(n, parts, 0)
}

func locate(n *yaml.Node, parts []string, depth int) (*yaml.Node, bool) {
	n = Deref(n)
	if len(parts) == 0 {
		return nil, true
	}
	if n == nil || depth > walkLimit {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		es := Entries(n)
		var partial *yaml.Node
		for j := len(parts); j >= 1; j-- {
			name := strings.Join(parts[:j], ".")
			for _, e := range es {
				if e.Key.Value != name {
					continue
				}
				at, ok := locate(e.Value, parts[j:], depth+1)
				if at == nil {
					at = e.Key
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
				if at, ok := locate(c, parts[1:], depth+1); ok {
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
			at, ok := locate(n.Content[i], parts[1:], depth+1)
			if at == nil {
				at = n.Content[i]
			}
			return at, ok
		}
	}
	return nil, false
}

// WalkScalars visits the scalar values (not keys) under n, in order and
// without following aliases (each value is visited where it is written),
// until visit returns false. It reports whether the walk went to the end.
func WalkScalars(n *yaml.Node, visit func(*yaml.Node) bool) bool {
	return walkScalars(n, visit, 0)
}

func walkScalars(n *yaml.Node, visit func(*yaml.Node) bool, depth int) bool {
	if n == nil || depth > walkLimit {
		return true
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return visit(n)
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			if !walkScalars(n.Content[i], visit, depth+1) {
				return false
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if !walkScalars(c, visit, depth+1) {
				return false
			}
		}
	}
	return true
}
