package yamlpos_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

func parse(t *testing.T, src string) *yamlpos.File {
	t.Helper()
	f, err := yamlpos.Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func at(line, col int) facts.Location {
	return facts.Location{Path: "f.yaml", Line: line, Column: col}
}

// A manifest stream, as a Kubernetes source reads it: every document, each
// value at its line and column, lists and typed scalars.
const manifests = `# leading comment
apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
        runAsUser: 0
---
---
apiVersion: apps/v1
kind: Deployment
spec:
  replicas: 0x10
  template:
    spec:
      hostPID: yes
`

func TestStream(t *testing.T) {
	f := parse(t, manifests)
	if len(f.Docs) != 3 || f.Docs[1].ShortTag() != "!!null" {
		t.Fatalf("%d documents, want the pod, an empty one and the deployment", len(f.Docs))
	}
	pod := f.Docs[0]
	kind, ok := yamlpos.Lookup(pod, "kind")
	if !ok || kind.Value.Value != "Pod" || f.At(kind.Key) != at(3, 1) || f.At(kind.Value) != at(3, 7) {
		t.Errorf("kind = %+v", kind)
	}
	spec, _ := yamlpos.Lookup(pod, "spec")
	cs, _ := yamlpos.Lookup(spec.Value, "containers")
	items := yamlpos.Items(cs.Value)
	if len(items) != 1 || f.At(items[0]) != at(8, 7) {
		t.Fatalf("containers = %d items", len(items))
	}
	sc, _ := yamlpos.Lookup(items[0], "securityContext")
	priv, _ := yamlpos.Lookup(sc.Value, "privileged")
	if b, err := f.Bool(priv.Value); err != nil || !b || f.At(priv.Value) != at(11, 21) {
		t.Errorf("privileged = %v, %v at %v", b, err, f.At(priv.Value))
	}
	user, _ := yamlpos.Lookup(sc.Value, "runAsUser")
	if n, err := f.Int(user.Value); err != nil || n != 0 {
		t.Errorf("runAsUser = %v, %v", n, err)
	}

	dep := f.Docs[2]
	n, ok := yamlpos.Locate(dep, []string{"spec", "replicas"})
	if !ok || f.At(n) != at(18, 3) {
		t.Errorf("spec.replicas at %v (%v)", f.At(n), ok)
	}
	rep, _ := yamlpos.Lookup(mustLookup(t, dep, "spec").Value, "replicas")
	if n, err := f.Int(rep.Value); err != nil || n != 16 {
		t.Errorf("replicas = %v, %v", n, err)
	}
	tmpl, _ := yamlpos.Locate(dep, []string{"spec", "template", "spec", "hostPID"})
	if f.At(tmpl) != at(21, 7) {
		t.Errorf("hostPID key at %v", f.At(tmpl))
	}
}

func mustLookup(t *testing.T, n *yaml.Node, key string) yamlpos.Pair {
	t.Helper()
	p, ok := yamlpos.Lookup(n, key)
	if !ok {
		t.Fatalf("no key %s", key)
	}
	return p
}

func TestParseFirst(t *testing.T) {
	// A CI system reads the first document only: a broken second one is
	// not an error.
	f, err := yamlpos.ParseFirst("f.yaml", []byte("a: 1\n---\nb: [\n"))
	if err != nil || len(f.Docs) != 1 {
		t.Fatalf("docs %v, err %v", f, err)
	}
	if _, err := yamlpos.Parse("f.yaml", []byte("a: 1\n---\nb: [\n")); err == nil {
		t.Error("Parse reads every document: the second one does not parse")
	}
	f, err = yamlpos.ParseFirst("f.yaml", nil)
	if err != nil || len(f.Docs) != 0 {
		t.Errorf("empty file: %v, %v", f, err)
	}
}

// bomb is the billion laughs: each anchor ten aliases of the one before,
// over the alias limit at the fourth anchor (line 5).
func bomb() string {
	lines := []string{"a: &a [" + strings.Repeat("x, ", 9) + "x]"}
	prev := "a"
	for i := range 8 {
		name := "b" + strconv.Itoa(i)
		refs := strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ")
		lines = append(lines, name+": &"+name+" ["+refs+"]")
		prev = name
	}
	return strings.Join(lines, "\n") + "\n"
}

// keys writes n entries of a block mapping, named prefix0, prefix1, …
func keys(indent, prefix string, n int, value string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%s%d: %s\n", indent, prefix, i, value)
	}
	return b.String()
}

func TestErrors(t *testing.T) {
	// A few aliases of one large anchor expand as much as many aliases
	// of small ones; reported at the mapping that holds them.
	wide := "big: &big\n" + keys("  ", "k", 100000, "v") + "uses:\n" + keys("  ", "u", 30, "*big")
	for _, tc := range []struct {
		name, src string
		kind      yamlpos.ErrorKind
		line      int
		want      string
	}{
		// go-yaml names line 1 (where the block starts); the line that
		// breaks it is 4.
		{"indent", "a:\n  b: 1\n  c: 2\n d: 3\n  e: 4\n", yamlpos.Syntax, 4, "cannot parse YAML: did not find expected key"},
		{"tab", "a:\n  b: 1\n\t- c\n", yamlpos.Syntax, 3, "cannot parse YAML: found a tab character"},
		{"first line", "\tx: 1\n", yamlpos.Syntax, 1, "cannot parse YAML"},
		{"unknown anchor", "a: *nowhere\n", yamlpos.Syntax, 1, "unknown anchor 'nowhere' referenced"},
		{"bomb", bomb(), yamlpos.Limit, 5, "alias bomb: more than 10000 alias expansions"},
		{"wide bomb", wide, yamlpos.Limit, 100003, "alias bomb: expands to more than"},
		{"deep", "a: " + strings.Repeat("[", 120) + strings.Repeat("]", 120) + "\n", yamlpos.Limit, 1, "nested deeper than 100 levels"},
		{"deep once expanded", "a: &a " + strings.Repeat("[", 60) + strings.Repeat("]", 60) + "\nb: " + strings.Repeat("[", 60) + "*a" + strings.Repeat("]", 60) + "\n", yamlpos.Limit, 2, "nested deeper than 100 levels once aliases are expanded"},
		{"self", "a: &a [*a]\n", yamlpos.Limit, 1, "YAML alias refers to itself"},
		{"documents", strings.Repeat("---\na: 1\n", 101), yamlpos.Limit, 0, "more than 100 YAML documents"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := yamlpos.Parse("f.yaml", []byte(tc.src))
			var ye *yamlpos.Error
			if !errors.As(err, &ye) {
				t.Fatalf("error %#v is not a *yamlpos.Error", err)
			}
			if ye.Path != "f.yaml" || ye.Kind != tc.kind || ye.Line != tc.line || !strings.Contains(ye.Message(), tc.want) {
				t.Errorf("error %+v (%q), want kind %d at line %d with %q", ye, ye.Message(), tc.kind, tc.line, tc.want)
			}
			in := ye.Input()
			if in.Path != "f.yaml" || in.Line != tc.line || in.Message != ye.Message() {
				t.Errorf("input error %+v", in)
			}
			if err.Error() != (&inputs.Error{Path: "f.yaml", Line: tc.line, Message: ye.Message()}).Error() {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	f := parse(t, `base: &base
  image: base
  user: root
extra: &extra
  user: nobody
  cpus: 2
svc:
  <<: [*base, *extra]
  image: own
  image: again
  "<<": quoted
`)
	svc := mustLookup(t, f.Docs[0], "svc").Value
	var got []string
	for _, e := range yamlpos.Entries(svc) {
		got = append(got, e.Key.Value+"="+yamlpos.Deref(e.Value).Value+"@"+strconv.Itoa(e.Key.Line))
	}
	// Own keys first (the first of repeated ones), then merged ones it
	// does not set, the earlier source winning.
	want := "image=own@9 <<=quoted@11 user=root@3 cpus=2@6"
	if strings.Join(got, " ") != want {
		t.Errorf("entries = %s, want %s", strings.Join(got, " "), want)
	}
	if n := len(yamlpos.Pairs(svc)); n != 4 {
		t.Errorf("%d pairs as written, want 4", n)
	}
	if !yamlpos.IsMergeKey(yamlpos.Pairs(svc)[0].Key) || yamlpos.IsMergeKey(yamlpos.Pairs(svc)[3].Key) {
		t.Error("a plain << is the merge key, a quoted one is not")
	}
	if _, ok := yamlpos.Lookup(svc, "nothing"); ok {
		t.Error("found a key that is not there")
	}
	if yamlpos.Entries(mustLookup(t, svc, "image").Value) != nil || yamlpos.Items(svc) != nil {
		t.Error("a scalar has no entries, a mapping no items")
	}
}

func TestLocate(t *testing.T) {
	f := parse(t, `services:
  web:
    labels:
      com.example.role: front
    ports:
      - target: 80
      - target: 443
`)
	for _, tc := range []struct {
		path string
		line int
		full bool
	}{
		{"services.web.labels.com.example.role", 4, true},
		{"services.web.ports.1.target", 7, true},
		{"services.web.ports.[].target", 6, true},
		{"services.web.ports.1", 7, true},
		{"services.web.privileged", 2, false},
		{"volumes", 0, false},
	} {
		n, full := yamlpos.Locate(f.Docs[0], strings.Split(tc.path, "."))
		line := 0
		if n != nil {
			line = n.Line
		}
		if line != tc.line || full != tc.full {
			t.Errorf("%s: line %d (%v), want %d (%v)", tc.path, line, full, tc.line, tc.full)
		}
	}
}

func TestScalars(t *testing.T) {
	f := parse(t, `s: text
n: 12
q: "true"
t: on
nil: null
m: {a: 1}
l: [1]
big: 99999999999999999999
`)
	v := func(k string) *yaml.Node { return mustLookup(t, f.Docs[0], k).Value }
	if s, err := f.String(v("s")); s != "text" || err != nil {
		t.Errorf("String = %q, %v", s, err)
	}
	if s, err := f.String(v("n")); s != "12" || err != nil {
		t.Errorf("a number as a string = %q, %v", s, err)
	}
	if b, err := f.Bool(v("t")); !b || err != nil {
		t.Errorf("Bool(on) = %v, %v", b, err)
	}
	for _, tc := range []struct {
		key, want string
		call      func(*yaml.Node) error
	}{
		{"q", `f.yaml:3: want a boolean, got "true"`, func(n *yaml.Node) error { _, err := f.Bool(n); return err }},
		{"s", `f.yaml:1: want an integer, got "text"`, func(n *yaml.Node) error { _, err := f.Int(n); return err }},
		{"big", `f.yaml:8: want an integer, got "99999999999999999999"`, func(n *yaml.Node) error { _, err := f.Int(n); return err }},
		{"nil", `f.yaml:5: want a string, got null`, func(n *yaml.Node) error { _, err := f.String(n); return err }},
		{"m", `f.yaml:6: want a string, got a mapping`, func(n *yaml.Node) error { _, err := f.String(n); return err }},
		{"l", `f.yaml:7: want a boolean, got a sequence`, func(n *yaml.Node) error { _, err := f.Bool(n); return err }},
	} {
		err := tc.call(v(tc.key))
		var ye *yamlpos.Error
		if !errors.As(err, &ye) || ye.Kind != yamlpos.Type || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.key, err, tc.want)
		}
	}
	if _, err := f.Int(nil); err == nil || err.Error() != "f.yaml: want an integer, got nothing" {
		t.Errorf("Int(nil) = %v", err)
	}
}

func TestOffset(t *testing.T) {
	src := "a: é\r\nbé: [x, \"y\"]\n"
	f := parse(t, src)
	b := mustLookup(t, f.Docs[0], "bé")
	items := yamlpos.Items(b.Value)
	for _, tc := range []struct {
		n    *yaml.Node
		want string
	}{
		{mustLookup(t, f.Docs[0], "a").Value, "é\r\n"},
		{b.Key, "bé:"},
		{items[0], "x, "},
		{items[1], `"y"]`},
	} {
		if off := f.Offset(tc.n); !strings.HasPrefix(src[off:], tc.want) {
			t.Errorf("%q at %d: %q", tc.n.Value, off, src[off:])
		}
	}
	// Made-up nodes and lines past the end stay in the file.
	if off := f.Offset(&yaml.Node{}); off != 0 {
		t.Errorf("offset of a made-up node = %d", off)
	}
	if off := f.Offset(&yaml.Node{Line: 9, Column: 3}); off != len(src) {
		t.Errorf("offset past the end = %d", off)
	}
	if f.At(&yaml.Node{}) != (facts.Location{Path: "f.yaml"}) || f.At(nil) != (facts.Location{Path: "f.yaml"}) {
		t.Error("a made-up node is placed at the file")
	}
}

func TestWalkScalars(t *testing.T) {
	f := parse(t, "a: &x 1\nb: [2, {c: 3}]\nd: *x\n")
	var got []string
	yamlpos.WalkScalars(f.Docs[0], func(n *yaml.Node) bool {
		got = append(got, n.Value)
		return n.Value != "3"
	})
	// Keys are not visited, aliases not followed, and the walk stops when
	// told.
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("visited %v", got)
	}
}
