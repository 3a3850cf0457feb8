package compose

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// compose-go tells what a service ends up with, not which file and line
// set it. The index reads the same files (includes and extends too) and
// replays compose's precedence on positions only: for each service, each key
// (and each item of a list, by what compose merges it on: a port by its
// container port, a volume by its target, an environment variable by its
// name) is where the last definition that sets it was written.

// loc is where a value was written.
type loc struct {
	at facts.Location
	// missing are the interpolation variables with no value (and no
	// default) in the value.
	missing []string
	// short is set for a volume written in the short syntax.
	short bool
	// label names the value in messages ("environment.FOO" for a mapping
	// entry, "ports" for a list item).
	label string
	// reset and override carry the `!reset` and `!override` tags.
	reset, override bool
}

// serviceIndex is where a service's keys were written.
type serviceIndex struct {
	origin facts.Location
	order  [2]int // file load order, line: services are listed in this order
	keys   map[string]loc
}

func newServiceIndex() *serviceIndex { return &serviceIndex{keys: map[string]loc{}} }

// overlay applies a later definition over an earlier one, as compose's
// merge does: a key the later one sets replaces the earlier one; items are
// merged by identity; `!reset` removes, `!override` replaces whole.
func (dst *serviceIndex) overlay(src *serviceIndex) {
	if src == nil {
		return
	}
	if src.origin.Path != "" {
		dst.origin, dst.order = src.origin, src.order
	}
	for k, l := range src.keys {
		if !l.reset && !l.override {
			continue
		}
		for old := range dst.keys {
			if old == k || strings.HasPrefix(old, k+"#") || strings.HasPrefix(old, k+".") {
				delete(dst.keys, old)
			}
		}
	}
	for k, l := range src.keys {
		// A reset is kept as a tombstone, so that it still removes what
		// the next level down defines when this index is overlaid in turn.
		dst.keys[k] = l
	}
}

// live drops the tombstones of `!reset` keys.
func (s *serviceIndex) live() *serviceIndex {
	c := s.clone()
	for k, l := range c.keys {
		if l.reset {
			delete(c.keys, k)
		}
	}
	return c
}

func (s *serviceIndex) clone() *serviceIndex {
	c := &serviceIndex{origin: s.origin, order: s.order, keys: make(map[string]loc, len(s.keys))}
	for k, v := range s.keys {
		c.keys[k] = v
	}
	return c
}

// scope is what one compose file (with its includes) defines.
type scope struct {
	services map[string]*serviceIndex
	networks map[string]loc // name, and name + "#icc" for enable_icc
}

func newScope() *scope {
	return &scope{services: map[string]*serviceIndex{}, networks: map[string]loc{}}
}

func (dst *scope) overlay(src *scope) {
	for _, name := range sortedKeys(src.services) {
		s, ok := dst.services[name]
		if !ok {
			s = newServiceIndex()
			dst.services[name] = s
		}
		s.overlay(src.services[name])
	}
	for k, v := range src.networks {
		dst.networks[k] = v
	}
}

// note is a value with a variable that has no value; service is the
// service it belongs to ("" outside services).
type note struct {
	service string
	facts.Note
	// key is the service key the value is under, and keyAt where that key
	// is written: a note about a scalar that a later file replaced is
	// dropped (its variable no longer decides anything).
	key    string
	keyAt  facts.Location
	scalar bool
}

// indexer reads compose files for positions.
type indexer struct {
	ld    *loadState
	notes []note
}

const maxNesting = 20

// fileScope indexes one file: its includes first (compose imports them
// into the file's model before anything else), then its own services, each
// over what it extends. workDir is the directory its relative paths are
// resolved against, extDir the one `extends.file` is resolved against.
func (ix *indexer) fileScope(f *yamlFile, e env, workDir string, depth int, chain []string) (*scope, error) {
	sc := newScope()
	if depth > maxNesting {
		return sc, nil
	}
	for _, doc := range f.docs {
		if doc == nil {
			continue
		}
		if inc, ok := yamlpos.Lookup(doc, "include"); ok {
			for _, item := range items(inc.Value) {
				isc, err := ix.include(f, item, e, workDir, depth, chain)
				if err != nil {
					return nil, err
				}
				if isc != nil {
					sc.overlay(isc)
				}
			}
		}
		own := newScope()
		if svcs, ok := yamlpos.Lookup(doc, "services"); ok {
			for _, s := range yamlpos.Entries(svcs.Value) {
				si, err := ix.resolveService(f, doc, s.Key.Value, s.Key.Value, e, workDir, sc, depth, nil)
				if err != nil {
					return nil, err
				}
				if si != nil {
					own.services[s.Key.Value] = si
				}
			}
		}
		if nets, ok := yamlpos.Lookup(doc, "networks"); ok {
			for _, n := range yamlpos.Entries(nets.Value) {
				own.networks[n.Key.Value] = loc{at: f.at(n.Key)}
				if opts, ok := yamlpos.Lookup(n.Value, "driver_opts"); ok {
					if icc, ok := yamlpos.Lookup(opts.Value, "com.docker.network.bridge.enable_icc"); ok {
						own.networks[n.Key.Value+"#icc"] = loc{at: f.at(icc.Key), missing: ix.missing(f, icc.Value, e, "", "")}
					}
				}
			}
		}
		ix.topLevelNotes(f, doc, e)
		sc.overlay(own)
	}
	return sc, nil
}

// include indexes one `include` entry: its files merged like -f files,
// with the environment of the included project.
func (ix *indexer) include(f *yamlFile, item *yaml.Node, e env, workDir string, depth int, chain []string) (*scope, error) {
	var pathNodes, envNodes []*yaml.Node
	var projectDir string
	switch item.Kind {
	case yaml.ScalarNode:
		pathNodes = []*yaml.Node{item}
	case yaml.MappingNode:
		if p, ok := yamlpos.Lookup(item, "path"); ok {
			pathNodes = items(p.Value)
		}
		if p, ok := yamlpos.Lookup(item, "env_file"); ok {
			envNodes = items(p.Value)
		}
		if p, ok := yamlpos.Lookup(item, "project_directory"); ok {
			projectDir, _, _ = expand(p.Value.Value, e.lookup)
		}
	}
	var files []*yamlFile
	for i, pn := range pathNodes {
		p, _, err := expand(pn.Value, e.lookup)
		if err != nil || p == "" {
			return nil, nil
		}
		if isRemote(p) {
			return nil, &inputs.Error{Path: f.display, Line: pn.Line, Message: fmt.Sprintf("include %s: remote includes are not fetched", p)}
		}
		abs := absUnder(workDir, p)
		for _, c := range chain {
			if c == abs {
				// compose-go reports the cycle.
				return nil, nil
			}
		}
		ix.ld.refs[abs] = f.at(pn)
		inc, err := ix.ld.readFile(abs)
		if err != nil {
			if os.IsNotExist(err) {
				// compose-go says so, and the error is mapped to this line.
				return nil, nil
			}
			return nil, err
		}
		files = append(files, inc)
		if i == 0 && projectDir == "" {
			projectDir = filepath.Dir(abs)
		}
	}
	if len(files) == 0 {
		return nil, nil
	}
	projectDir = absUnder(workDir, projectDir)
	var envPaths []string
	if len(envNodes) == 0 {
		if st, err := os.Stat(filepath.Join(projectDir, ".env")); err == nil && !st.IsDir() {
			envPaths = []string{filepath.Join(projectDir, ".env")}
		}
	}
	for _, n := range envNodes {
		p, _, _ := expand(n.Value, e.lookup)
		if p != "" && p != "/dev/null" {
			envPaths = append(envPaths, absUnder(workDir, p))
		}
	}
	incEnv := e
	if len(envPaths) > 0 {
		displays := make([]string, len(envPaths))
		for i, p := range envPaths {
			displays[i] = ix.ld.display(p)
			if st, err := os.Stat(p); err != nil || st.IsDir() {
				// compose-go reports it.
				return nil, nil
			}
		}
		var err error
		if incEnv, err = readEnvFilesLimit(envPaths, displays, e, ix.ld.limit); err != nil {
			return nil, err
		}
	}
	sc := newScope()
	for _, inc := range files {
		isc, err := ix.fileScope(inc, incEnv, projectDir, depth+1, append(chain, inc.abs))
		if err != nil {
			return nil, err
		}
		sc.overlay(isc)
	}
	return sc, nil
}

// resolveService indexes service name of doc in f over what it extends.
// owner is the service of the project the positions are for (notes are
// attributed to it); included holds the services included so far, which
// `extends` without a file may name.
func (ix *indexer) resolveService(f *yamlFile, doc *yaml.Node, name, owner string, e env, extDir string, included *scope, depth int, seen []string) (*serviceIndex, error) {
	svcs, ok := yamlpos.Lookup(doc, "services")
	if !ok {
		return nil, nil
	}
	s, ok := yamlpos.Lookup(svcs.Value, name)
	if !ok {
		return nil, nil
	}
	id := f.abs + "\x00" + name
	for _, x := range seen {
		if x == id {
			return nil, nil // compose-go reports the cycle
		}
	}
	if len(seen) > maxNesting {
		return nil, nil
	}
	seen = append(seen, id)
	own := ix.serviceKeys(f, s, owner, e)
	ext, ok := yamlpos.Lookup(s.Value, "extends")
	if !ok || depth > maxNesting {
		return own, nil
	}
	var base *serviceIndex
	var ref, file string
	if v := yamlpos.Deref(ext.Value); v.Kind == yaml.ScalarNode {
		ref, _, _ = expand(v.Value, e.lookup)
	} else {
		if r, ok := yamlpos.Lookup(v, "service"); ok {
			ref, _, _ = expand(yamlpos.Deref(r.Value).Value, e.lookup)
		}
		if r, ok := yamlpos.Lookup(v, "file"); ok {
			file, _, _ = expand(yamlpos.Deref(r.Value).Value, e.lookup)
		}
	}
	switch {
	case ref == "":
	case file != "":
		if isRemote(file) {
			return nil, &inputs.Error{Path: f.display, Line: ext.Key.Line, Message: fmt.Sprintf("extends %s: remote files are not fetched", file)}
		}
		abs := absUnder(extDir, file)
		ix.ld.refs[abs] = f.at(ext.Key)
		bf, err := ix.ld.readFile(abs)
		if err != nil {
			if os.IsNotExist(err) {
				return own, nil
			}
			return nil, err
		}
		for _, bdoc := range bf.docs {
			if bdoc == nil {
				continue
			}
			b, err := ix.resolveService(bf, bdoc, ref, owner, e, filepath.Dir(abs), nil, depth+1, seen)
			if err != nil {
				return nil, err
			}
			if b != nil {
				if base == nil {
					base = newServiceIndex()
				}
				base.overlay(b)
			}
		}
	default:
		b, err := ix.resolveService(f, doc, ref, owner, e, extDir, included, depth+1, seen)
		if err != nil {
			return nil, err
		}
		if b == nil && included != nil && included.services[ref] != nil {
			b = included.services[ref].clone()
		}
		base = b
	}
	if base == nil {
		return own, nil
	}
	out := base.clone()
	origin, order := own.origin, own.order
	out.overlay(own)
	out.origin, out.order = origin, order
	delete(out.keys, "extends")
	return out, nil
}

// serviceKeys indexes one service definition as written.
func (ix *indexer) serviceKeys(f *yamlFile, s yamlpos.Pair, owner string, e env) *serviceIndex {
	si := newServiceIndex()
	si.origin = f.at(s.Key)
	si.order = [2]int{ix.ld.order(f), s.Key.Line}
	for _, kv := range yamlpos.Entries(s.Value) {
		k, v := kv.Key.Value, yamlpos.Deref(kv.Value)
		if v == nil {
			continue
		}
		before := len(ix.notes)
		l := loc{at: f.at(kv.Key), missing: ix.missing(f, v, e, owner, k), reset: kv.Value.Tag == "!reset", override: kv.Value.Tag == "!override"}
		for i := before; i < len(ix.notes); i++ {
			ix.notes[i].key, ix.notes[i].keyAt, ix.notes[i].scalar = k, l.at, v.Kind == yaml.ScalarNode
		}
		si.keys[k] = l
		if l.reset {
			continue
		}
		switch k {
		case "deploy", "healthcheck", "build", "logging":
			ix.nested(f, si, k, v, e)
		}
		ix.itemKeys(f, si, k, v, e)
		if k == "build" {
			if args, ok := yamlpos.Lookup(v, "args"); ok {
				ix.itemKeys(f, si, "build.args", yamlpos.Deref(args.Value), e)
			}
		}
	}
	return si
}

// nested records the keys of a mapping below a service key, dotted.
func (ix *indexer) nested(f *yamlFile, si *serviceIndex, prefix string, v *yaml.Node, e env) {
	for _, kv := range yamlpos.Entries(v) {
		k := prefix + "." + kv.Key.Value
		val := yamlpos.Deref(kv.Value)
		si.keys[k] = loc{at: f.at(kv.Key), missing: ix.missing(f, val, e, "", ""), reset: kv.Value.Tag == "!reset", override: kv.Value.Tag == "!override"}
		if val != nil && val.Kind == yaml.MappingNode && strings.Count(k, ".") < 6 {
			ix.nested(f, si, k, val, e)
		}
	}
}

// itemKeys records the items of a list (or mapping) key by the identity
// compose merges them on.
func (ix *indexer) itemKeys(f *yamlFile, si *serviceIndex, key string, v *yaml.Node, e env) {
	str := func(n *yaml.Node) string {
		s, _, _ := expand(n.Value, e.lookup)
		return s
	}
	put := func(id string, n *yaml.Node, at *yaml.Node) {
		l := loc{at: f.at(at), missing: ix.missing(f, n, e, "", ""), label: key}
		l.short = n.Kind == yaml.ScalarNode
		if at != n {
			l.label = key + "." + id
		}
		si.keys[key+"#"+id] = l
	}
	switch key {
	case "ports":
		for _, it := range items(v) {
			for _, id := range portIDs(it, str, func(n *yaml.Node) string { return expandNamed(n.Value, e.lookup) }) {
				put(id, it, it)
			}
		}
	case "volumes":
		for _, it := range items(v) {
			var target string
			switch it.Kind {
			case yaml.ScalarNode:
				if vol, err := format.ParseVolume(str(it)); err == nil {
					target = vol.Target
				} else if vol, err := format.ParseVolume(expandNamed(it.Value, e.lookup)); err == nil {
					target = vol.Target
				}
			case yaml.MappingNode:
				if t, ok := yamlpos.Lookup(it, "target"); ok {
					target = str(yamlpos.Deref(t.Value))
				}
			}
			if target != "" {
				put(path.Clean(target), it, it)
			}
		}
	case "tmpfs":
		for _, it := range items(v) {
			t, _, _ := strings.Cut(str(it), ":")
			put(t, it, it)
		}
	case "devices":
		for _, it := range items(v) {
			put(deviceTarget(it, str), it, it)
		}
	case "device_cgroup_rules", "security_opt":
		for _, it := range items(v) {
			put(str(it), it, it)
		}
	case "cap_add", "cap_drop":
		for _, it := range items(v) {
			put(normalizeCap(str(it)), it, it)
		}
	case "environment", "labels", "build.args", "sysctls":
		if v.Kind == yaml.MappingNode {
			for _, kv := range yamlpos.Entries(v) {
				put(kv.Key.Value, yamlpos.Deref(kv.Value), kv.Key)
			}
			return
		}
		for _, it := range items(v) {
			name, _, _ := strings.Cut(str(it), "=")
			put(name, it, it)
		}
	case "ulimits":
		for _, kv := range yamlpos.Entries(v) {
			put(kv.Key.Value, yamlpos.Deref(kv.Value), kv.Key)
		}
	}
}

func portIDs(it *yaml.Node, str, named func(*yaml.Node) string) []string {
	var out []string
	switch it.Kind {
	case yaml.ScalarNode:
		pcs, err := types.ParsePortConfig(str(it))
		if err != nil {
			if pcs, err = types.ParsePortConfig(named(it)); err != nil {
				return nil
			}
		}
		for _, pc := range pcs {
			out = append(out, portID(pc.Target, pc.Protocol))
		}
	case yaml.MappingNode:
		t, ok := yamlpos.Lookup(it, "target")
		if !ok {
			return nil
		}
		n, err := strconv.ParseUint(str(yamlpos.Deref(t.Value)), 10, 32)
		if err != nil {
			return nil
		}
		proto := ""
		if p, ok := yamlpos.Lookup(it, "protocol"); ok {
			proto = str(yamlpos.Deref(p.Value))
		}
		out = append(out, portID(uint32(n), proto))
	}
	return out
}

func portID(target uint32, proto string) string {
	if proto == "" {
		proto = "tcp"
	}
	return fmt.Sprintf("%d/%s", target, strings.ToLower(proto))
}

func deviceTarget(it *yaml.Node, str func(*yaml.Node) string) string {
	if it.Kind == yaml.MappingNode {
		for _, k := range []string{"target", "source"} {
			if t, ok := yamlpos.Lookup(it, k); ok {
				return str(yamlpos.Deref(t.Value))
			}
		}
		return ""
	}
	parts := strings.Split(str(it), ":")
	if len(parts) > 1 && parts[1] != "" {
		return parts[1]
	}
	return parts[0]
}

func normalizeCap(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

// missing returns the variables with no value in the scalars under n, and
// notes each such scalar (for owner, at the dotted key path attr) once.
func (ix *indexer) missing(f *yamlFile, n *yaml.Node, e env, owner, attr string) []string {
	var out []string
	var walk func(n *yaml.Node, attr string, depth int)
	walk = func(n *yaml.Node, attr string, depth int) {
		n = yamlpos.Deref(n)
		if n == nil || depth > yamlpos.MaxDepth {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			_, miss, _ := expand(n.Value, e.lookup)
			for _, m := range miss {
				if !contains(out, m) {
					out = append(out, m)
				}
			}
			if len(miss) > 0 && attr != "" {
				ix.notes = append(ix.notes, note{service: owner, Note: facts.Note{At: f.at(n), Message: missingMessage(attr, miss)}})
			}
		case yaml.MappingNode:
			for _, kv := range yamlpos.Entries(n) {
				walk(kv.Value, joinAttr(attr, kv.Key.Value), depth+1)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, attr, depth+1)
			}
		}
	}
	walk(n, attr, 0)
	return out
}

// topLevelNotes notes missing variables outside services.
func (ix *indexer) topLevelNotes(f *yamlFile, doc *yaml.Node, e env) {
	for _, kv := range yamlpos.Entries(doc) {
		switch kv.Key.Value {
		case "services", "include":
			continue
		}
		ix.missing(f, kv.Value, e, "", kv.Key.Value)
	}
}

func joinAttr(a, b string) string {
	if a == "" {
		return ""
	}
	return a + "." + b
}

func missingMessage(attr string, vars []string) string {
	refs := make([]string, len(vars))
	for i, v := range vars {
		refs[i] = "${" + v + "}"
	}
	if len(refs) == 1 {
		return attr + ": " + refs[0] + " has no value"
	}
	return attr + ": " + strings.Join(refs[:len(refs)-1], ", ") + " and " + refs[len(refs)-1] + " have no value"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isRemote reports whether an include or extends path names a remote
// resource (git, OCI, HTTP), which compose fetches and dockguard does not.
func isRemote(p string) bool {
	for _, prefix := range []string{"https://", "http://", "git://", "ssh://", "oci://", "git@", "github.com/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// absUnder resolves p against dir, expanding ~ as compose does.
func absUnder(dir, p string) string {
	if strings.HasPrefix(p, "~") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
