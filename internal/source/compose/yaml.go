package compose

import (
	"bytes"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// yamlFile is one compose file as written, with the nodes positions are read
// from and the bytes compose-go is given.
type yamlFile struct {
	abs     string // absolute path, as compose-go names it
	display string // as shown to the user
	// data is what compose-go loads: the file's bytes, or the file rewritten
	// into the current layout when it uses the legacy (v1) one.
	data []byte
	pos  *yamlpos.File
	// docs are the file's documents (pos.Docs), each a mapping node
	// (legacy documents are rewritten in place: the services moved under a
	// `services` key of their own, `net` renamed to `network_mode`; every
	// node taken from the file keeps its line and column).
	docs   []*yaml.Node
	legacy bool
}

func (f *yamlFile) at(n *yaml.Node) facts.Location { return f.pos.At(n) }

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
		k, v := doc.Content[i].Value, yamlpos.Deref(doc.Content[i+1])
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
		if s := yamlpos.Deref(v); s != nil && s.Kind == yaml.MappingNode {
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

// items lists a sequence's items, or the node itself when it is a scalar
// (compose accepts a single string for several lists).
func items(n *yaml.Node) []*yaml.Node {
	if n = yamlpos.Deref(n); n != nil && n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	return yamlpos.Items(n)
}
