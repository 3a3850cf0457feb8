package enforce

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/volume"
)

// Class says what enforcement does with a request field.
type Class uint8

const (
	// Judged fields are read by the container mapper or an enforcement
	// check and judged by the rules named beside them.
	Judged Class = iota + 1
	// Harmless fields cannot give a container the host or its neighbours
	// (names, terminal settings, DNS, labels without meaning to Docker).
	Harmless
	// DenySet fields are denied whenever they are set: dockguard does not
	// judge them and they can change what the container may do.
	DenySet
)

func (c Class) String() string {
	switch c {
	case Judged:
		return "judged"
	case Harmless:
		return "harmless"
	case DenySet:
		return "denied when set"
	}
	return "unclassified"
}

// Field is one entry of the field table.
type Field struct {
	Class Class
	// Rules are the rule slugs or enforcement checks that judge a Judged
	// field.
	Rules []string
	// Allowed are values a DenySet field may still hold (VolumeDriver
	// "local").
	Allowed []string
	// Set tells whether a DenySet field counts as set; nil: any value
	// other than the zero value (slices and maps: any non-null value,
	// even empty, since [] differs from null to the daemon).
	Set func(v reflect.Value) bool
	// Why explains a DenySet or Harmless choice where it is not obvious.
	Why string
}

func judged(rules ...string) Field { return Field{Class: Judged, Rules: rules} }

var harmless = Field{Class: Harmless}

func denySet(why string) Field { return Field{Class: DenySet, Why: why} }

// Request types: the body each judged route decodes, named as the table
// names them.
var requestTypes = []struct {
	Name string
	Type reflect.Type
}{
	{"Config", reflect.TypeFor[CreateConfig]()},
	{"HostConfig", reflect.TypeFor[CreateHostConfig]()},
	{"NetworkingConfig", reflect.TypeFor[network.NetworkingConfig]()},
	{"Exec", reflect.TypeFor[ExecBody]()},
	{"ExecStart", reflect.TypeFor[ExecStartBody]()},
	{"Update", reflect.TypeFor[UpdateBody]()},
	{"Volume", reflect.TypeFor[volume.CreateRequest]()},
	{"Service", reflect.TypeFor[ServiceBody]()},
	{"NetworkCreate", reflect.TypeFor[NetworkCreateBody]()},
	{"NetworkConnect", reflect.TypeFor[network.ConnectRequest]()},
	{"NetworkDisconnect", reflect.TypeFor[network.DisconnectRequest]()},
	{"PluginPrivileges", reflect.TypeFor[plugin.Privileges]()},
}

// FieldPaths lists every field path of a request type as the table names
// it: struct fields by their JSON name, list items as "[]", map values as
// "[*]". Types that decode themselves (ports, addresses) and maps or lists
// of scalars are leaves.
func FieldPaths(name string, t reflect.Type) []string {
	var out []string
	var walk func(path string, t reflect.Type, depth int)
	walk = func(path string, t reflect.Type, depth int) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if depth > 12 || reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			out = append(out, path)
			return
		}
		switch t.Kind() {
		case reflect.Struct:
			fs := jsonFields(t)
			if len(fs) == 0 {
				out = append(out, path)
				return
			}
			for _, f := range fs {
				walk(path+"."+f.name, f.typ, depth+1)
			}
		case reflect.Slice, reflect.Array:
			if leafType(t.Elem()) {
				out = append(out, path)
				return
			}
			walk(path+"[]", t.Elem(), depth+1)
		case reflect.Map:
			if leafType(t.Elem()) {
				out = append(out, path)
				return
			}
			walk(path+"[*]", t.Elem(), depth+1)
		default:
			out = append(out, path)
		}
	}
	walk(name, t, 0)
	sort.Strings(out)
	return out
}

func leafType(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		return reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) ||
			(t.Kind() != reflect.Struct && leafType(t.Elem()))
	}
	return true
}

// Classify returns the table entry for a field path: its own, or that of
// the nearest enclosing path (a whole subtree classified at once).
func Classify(path string) (Field, string, bool) {
	for _, p := range enclosing(path) {
		if f, ok := fieldTable[p]; ok {
			return f, p, true
		}
	}
	return Field{}, "", false
}

// enclosing lists a field path and the paths that enclose it, nearest
// first: HostConfig.Mounts[].Type, HostConfig.Mounts[], HostConfig.Mounts,
// HostConfig.
func enclosing(path string) []string {
	var out []string
	for p := path; p != ""; {
		out = append(out, p)
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return out
}

// setFields lists the DenySet fields set in a decoded request value v of
// the request type named name, with their path. It descends only where
// the table has a DenySet field below.
func setFields(name string, v reflect.Value) []string {
	var out []string
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if f, ok := fieldTable[path]; ok && f.Class == DenySet {
			if fieldSet(f, v) {
				out = append(out, path)
			}
			return
		}
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Struct:
			for _, c := range denyChildren(path, v.Type()) {
				if fv, ok := fieldByIndex(v, c.index); ok {
					walk(c.path, fv)
				}
			}
		case reflect.Slice, reflect.Array:
			if p := path + "[]"; denyBelow[p] {
				for i := 0; i < v.Len(); i++ {
					walk(p, v.Index(i))
				}
			}
		case reflect.Map:
			if p := path + "[*]"; denyBelow[p] {
				iter := v.MapRange()
				for iter.Next() {
					walk(p, iter.Value())
				}
			}
		}
	}
	if denyBelow[name] {
		walk(name, v)
	}
	return out
}

type denyStep struct {
	path  string
	index []int
}

var denySteps sync.Map // path → []denyStep

// denyChildren lists the fields of a struct at path that are, or hold, a
// DenySet field.
func denyChildren(path string, t reflect.Type) []denyStep {
	if v, ok := denySteps.Load(path); ok {
		return v.([]denyStep)
	}
	var out []denyStep
	for _, f := range jsonFields(t) {
		if p := path + "." + f.name; denyBelow[p] {
			out = append(out, denyStep{p, f.index})
		}
	}
	denySteps.Store(path, out)
	return out
}

// fieldByIndex follows an index through embedded pointers, reporting
// false where one is nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 {
			for v.Kind() == reflect.Pointer {
				if v.IsNil() {
					return reflect.Value{}, false
				}
				v = v.Elem()
			}
		}
		v = v.Field(x)
	}
	return v, true
}

func fieldSet(f Field, v reflect.Value) bool {
	if f.Set != nil {
		return f.Set(v)
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return !v.IsNil()
	case reflect.String:
		s := v.String()
		if s == "" {
			return false
		}
		for _, a := range f.Allowed {
			if s == a {
				return false
			}
		}
		return true
	}
	return !v.IsZero()
}

// denyBelow holds every path that is, or encloses, a DenySet entry: the
// walk of a decoded request descends only there.
var denyBelow = func() map[string]bool {
	m := map[string]bool{}
	for p, f := range fieldTable {
		if f.Class != DenySet {
			continue
		}
		for _, q := range enclosing(p) {
			m[q] = true
		}
	}
	return m
}()

func negative(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() < 0
	}
	return false
}

func isTrue(v reflect.Value) bool {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	return v.Kind() == reflect.Bool && v.Bool()
}
