package enforce

import (
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// swaggerBodies are the request bodies enforcement decodes: the operation
// whose "in: body" parameter documents each, and the request type of
// requestTypes its properties belong to. The create body documents the
// container configuration at its top level with HostConfig and
// NetworkingConfig beside it: those two go to their own request types.
var swaggerBodies = []struct {
	path, method string
	name         string            // request type for the body's properties
	split        map[string]string // top-level property → request type
}{
	{"/containers/create", "post", "Config", map[string]string{"HostConfig": "HostConfig", "NetworkingConfig": "NetworkingConfig"}},
	{"/containers/{id}/exec", "post", "Exec", nil},
	{"/exec/{id}/start", "post", "ExecStart", nil},
	{"/containers/{id}/update", "post", "Update", nil},
	{"/volumes/create", "post", "Volume", nil},
	{"/services/create", "post", "Service", nil},
	{"/networks/create", "post", "NetworkCreate", nil},
	{"/networks/{id}/connect", "post", "NetworkConnect", nil},
	{"/networks/{id}/disconnect", "post", "NetworkDisconnect", nil},
	{"/plugins/pull", "post", "PluginPrivileges", nil},
}

// swaggerAbsent lists documented properties our types deliberately lack,
// each with its reason. Keep it empty unless the daemon itself does not
// read the property.
var swaggerAbsent = map[string]string{
	// The swagger's Resources (shared by create and update) documents
	// Init, but dockerd 20.10 decodes an update into UpdateConfig
	// (Resources and RestartPolicy), which has no Init: the update route
	// ignores it. A non-empty "Init" on update is an unknown key, denied.
	"Update.Init": "not read by dockerd's update route (UpdateConfig has no Init)",
	// The swagger names the key PluginPrivilege; dockerd 20.10 decodes
	// swarm/runtime.PluginSpec, whose field is json:"privileges" (in our
	// types as PluginSpec.privileges[]).
	"Service.TaskTemplate.PluginSpec.PluginPrivilege[].Name":        "dockerd reads privileges[], not PluginPrivilege[]",
	"Service.TaskTemplate.PluginSpec.PluginPrivilege[].Description": "dockerd reads privileges[], not PluginPrivilege[]",
	"Service.TaskTemplate.PluginSpec.PluginPrivilege[].Value":       "dockerd reads privileges[], not PluginPrivilege[]",
}

// Every property API 1.41 documents for a request body enforcement
// decodes is a field of our request types: a property the daemon reads
// and our types lack would be decoded by nothing and judged by nothing.
// Paths are compared segment by segment, case-insensitively (as
// encoding/json matches keys), and a path covers the paths below it:
// where one side stops at a leaf (a map or list of scalars, a type that
// decodes itself, an object documented without properties) the other may
// go on.
func TestSwaggerV141Fields(t *testing.T) {
	goPaths := map[string][]string{}
	for _, rt := range requestTypes {
		goPaths[rt.Name] = FieldPaths(rt.Name, rt.Type)
	}
	documented := swaggerV141Documented
	if file := os.Getenv("DOCKGUARD_SWAGGER"); file != "" {
		// Derive the list again from moby's docs/api/v1.41.yaml.
		fresh := documentedFromSwagger(t, file, goPaths)
		if !reflect.DeepEqual(fresh, documented) {
			t.Errorf("%s documents other request properties than swaggerV141Documented; regenerate it:\n%#v", file, fresh)
		}
	}

	var missing, absent, viaLeaf []string
	covered := 0
	for name, sps := range documented {
		for _, sp := range sps {
			if why, ok := swaggerAbsent[sp]; ok {
				absent = append(absent, sp+": "+why)
				continue
			}
			if anyCovers(goPaths[name], sp) {
				covered++
				if !slices.ContainsFunc(goPaths[name], func(gp string) bool { return strings.EqualFold(gp, sp) }) {
					viaLeaf = append(viaLeaf, sp)
				}
				continue
			}
			missing = append(missing, sp)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		t.Errorf("API 1.41 documents %s; no field of our request types takes it", p)
	}
	sort.Strings(absent)
	for _, a := range absent {
		t.Logf("documented, deliberately absent: %s", a)
	}
	t.Logf("%d documented properties, %d found in our types", covered+len(missing)+len(absent), covered)
	// Found through a leaf on one side: a Go type that decodes itself or
	// a map or list of scalars, or a swagger object without properties.
	sort.Strings(viaLeaf)
	for _, p := range viaLeaf {
		t.Logf("  found at a leaf: %s", p)
	}

	// The other direction, for information: fields of our types that 1.41
	// does not document (newer API fields, legacy fields kept for older
	// daemons).
	var newer []string
	for _, rt := range requestTypes {
		for _, gp := range goPaths[rt.Name] {
			if !anyCovers(documented[rt.Name], gp) {
				newer = append(newer, gp)
			}
		}
	}
	t.Logf("%d of our field paths are not documented by API 1.41", len(newer))
	for _, p := range newer {
		t.Logf("  not in 1.41: %s", p)
	}
}

// bodySchema returns the schema of the "in: body" parameter of an
// operation.
func bodySchema(paths map[string]any, path, method string) map[string]any {
	op, _ := paths[path].(map[string]any)
	m, _ := op[method].(map[string]any)
	params, _ := m["parameters"].([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		if pm["in"] == "body" {
			s, _ := pm["schema"].(map[string]any)
			return s
		}
	}
	return nil
}

// swaggerPaths lists the property paths a schema documents, named as
// FieldPaths names Go fields: properties by name, list items "[]", map
// values "[*]". Lists and maps whose items document no properties are
// leaves, as are objects without properties.
func swaggerPaths(t *testing.T, defs map[string]any, root string, schema map[string]any) []string {
	t.Helper()
	var out []string
	var walk func(path string, s map[string]any, depth int) bool
	// walk adds the paths below path and reports whether it found any
	// property (false: path is a leaf, left to the caller to add).
	walk = func(path string, s map[string]any, depth int) bool {
		if depth > 20 {
			t.Fatalf("%s: schema nested too deep (a $ref cycle?)", path)
		}
		if ref, ok := s["$ref"].(string); ok {
			name, ok := strings.CutPrefix(ref, "#/definitions/")
			d, _ := defs[name].(map[string]any)
			if !ok || d == nil {
				t.Fatalf("%s: unresolved $ref %q", path, ref)
			}
			return walk(path, d, depth+1)
		}
		found := false
		if all, ok := s["allOf"].([]any); ok {
			for _, a := range all {
				am, _ := a.(map[string]any)
				if walk(path, am, depth+1) {
					found = true
				}
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, v := range props {
				found = true
				vm, _ := v.(map[string]any)
				p := path + "." + k
				if !walk(p, vm, depth+1) {
					out = append(out, p)
				}
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			if walk(path+"[]", items, depth+1) {
				found = true
			}
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			if walk(path+"[*]", ap, depth+1) {
				found = true
			}
		}
		return found
	}
	if !walk(root, schema, 0) {
		out = append(out, root)
	}
	sort.Strings(out)
	return out
}

// splitPath splits a field path into its segments: names, "[]" and "[*]".
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(part, "[")
		out = append(out, name)
		for rest != "" {
			var seg string
			seg, rest, _ = strings.Cut(rest, "[")
			out = append(out, "["+seg)
		}
	}
	return out
}

// anyCovers reports whether one of paths covers p: equal segment by
// segment (case-insensitively), or one a prefix of the other.
func anyCovers(paths []string, p string) bool {
	ps := splitPath(p)
	for _, q := range paths {
		qs := splitPath(q)
		n := min(len(ps), len(qs))
		same := true
		for i := 0; i < n && same; i++ {
			same = strings.EqualFold(ps[i], qs[i])
		}
		if same {
			return true
		}
	}
	return false
}

// documentedFromSwagger reads moby's Swagger description of API 1.41 and
// lists the properties of each request body enforcement decodes, by
// request type, sorted.
func documentedFromSwagger(t *testing.T, file string, goPaths map[string][]string) map[string][]string {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if v, _ := doc["info"].(map[string]any)["version"].(string); v != "1.41" {
		t.Fatalf("%s documents API %q, want 1.41", file, v)
	}
	defs, _ := doc["definitions"].(map[string]any)
	paths, _ := doc["paths"].(map[string]any)
	documented := map[string][]string{} // request type → swagger paths
	for _, b := range swaggerBodies {
		if _, ok := goPaths[b.name]; !ok {
			t.Fatalf("%s %s: no request type %q", b.method, b.path, b.name)
		}
		schema := bodySchema(paths, b.path, b.method)
		if schema == nil {
			t.Errorf("%s %s: no body parameter in the swagger", strings.ToUpper(b.method), b.path)
			continue
		}
		for _, p := range swaggerPaths(t, defs, b.name, schema) {
			name := b.name
			if b.split != nil {
				if segs := splitPath(p); len(segs) > 1 {
					if to, ok := b.split[segs[1]]; ok {
						name = to
						p = to + strings.TrimPrefix(p, b.name+"."+segs[1])
					}
				}
			}
			documented[name] = append(documented[name], p)
		}
	}

	for k := range documented {
		sort.Strings(documented[k])
	}
	return documented
}
