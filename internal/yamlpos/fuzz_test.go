package yamlpos_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// FuzzParse feeds arbitrary bytes to Parse and ParseFirst and walks what
// they return with every reader: nothing may panic or run away, a failure
// is an *Error naming the file, every node is placed inside the file, and
// a file Parse accepts, ParseFirst accepts too.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		manifests,
		bomb(),
		"a: &a [*a]\n",
		"a: &a {b: 1}\nc:\n  <<: [*a, {d: 2}]\n  \"<<\": x\n",
		"a:\n  b: 1\n d: 2\n",
		"\xef\xbb\xbfa: é\r\nb: |\n  x\n  y\n",
		"--- !!str\n...\n--- [1, 2.5, 0x10, yes, ~]\n",
		"? [a, b]\n: c\n? {d: e}\n: f\n",
		"a: !custom &x 1\nb: *x\n",
		"\t- x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		all, err := yamlpos.Parse("f.yaml", data)
		checkError(t, err)
		first, ferr := yamlpos.ParseFirst("f.yaml", data)
		checkError(t, ferr)
		if err == nil && ferr != nil {
			t.Fatalf("Parse accepts what ParseFirst refuses: %v", ferr)
		}
		for _, file := range []*yamlpos.File{all, first} {
			if file == nil {
				continue
			}
			for _, doc := range file.Docs {
				walk(t, file, doc, len(data), 0)
			}
		}
	})
}

func checkError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ye *yamlpos.Error
	if !errors.As(err, &ye) || ye.Path != "f.yaml" || ye.Kind == 0 || ye.Message() == "" || ye.Line < 0 {
		t.Fatalf("error %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "f.yaml") {
		t.Fatalf("error %q does not name the file", err)
	}
}

// walk visits every node as written (not through aliases, which Parse has
// bounded) and calls each reader on it.
func walk(t *testing.T, f *yamlpos.File, n *yaml.Node, size, depth int) {
	if n == nil {
		return
	}
	if depth > yamlpos.MaxDepth+1 {
		t.Fatalf("a document Parse accepted nests deeper than %d", yamlpos.MaxDepth)
	}
	if off := f.Offset(n); off < 0 || off > size {
		t.Fatalf("offset %d outside the file (%d bytes)", off, size)
	}
	if at := f.At(n); at.Path != "f.yaml" || at.Line < 0 {
		t.Fatalf("location %+v", at)
	}
	for _, e := range yamlpos.Entries(n) {
		if e.Key == nil || e.Value == nil {
			t.Fatal("an entry without key or value")
		}
		yamlpos.Lookup(n, e.Key.Value)
		yamlpos.Locate(n, strings.Split(e.Key.Value, "."))
	}
	yamlpos.Pairs(n)
	yamlpos.Items(n)
	yamlpos.Locate(n, []string{"[]", "0", "a.b"})
	for _, read := range []func(*yaml.Node) error{
		func(n *yaml.Node) error { _, err := f.String(n); return err },
		func(n *yaml.Node) error { _, err := f.Bool(n); return err },
		func(n *yaml.Node) error { _, err := f.Int(n); return err },
	} {
		var ye *yamlpos.Error
		if err := read(n); err != nil && (!errors.As(err, &ye) || ye.Kind != yamlpos.Type) {
			t.Fatalf("typed read failed with %v", err)
		}
	}
	for _, c := range n.Content {
		walk(t, f, c, size, depth+1)
	}
}
