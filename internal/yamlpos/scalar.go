package yamlpos

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// The typed readers below take a value node as Entries or Items give it
// (aliases are followed) and fail with a Type *Error at the value when it
// is not of the type asked for, so a source reports "file:line: want a
// boolean" without decoding the file into Go types first. Strings are not
// converted: `privileged: "true"` is a string, as a decoder into a typed
// field (Kubernetes', compose-go's) sees it.

// String returns a scalar's text. A null, a mapping or a sequence is an
// error; a number or a boolean is its text as written.
func (f *File) String(n *yaml.Node) (string, error) {
	v := Deref(n)
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return "", f.typeError(n, "a string")
	}
	return v.Value, nil
}

// Bool returns a boolean scalar's value: what the YAML decoder reads as a
// boolean (`true`, `false`, and the YAML 1.1 words yes, no, on, off it
// still accepts for a boolean).
func (f *File) Bool(n *yaml.Node) (bool, error) {
	v := Deref(n)
	var b bool
	if v == nil || v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!bool" && v.ShortTag() != "!!str") || v.Style != 0 || v.Decode(&b) != nil {
		return false, f.typeError(n, "a boolean")
	}
	return b, nil
}

// Int returns an integer scalar's value (decimal, 0x hexadecimal, 0o
// octal, as the YAML decoder reads them).
func (f *File) Int(n *yaml.Node) (int64, error) {
	v := Deref(n)
	var i int64
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&i) != nil {
		return 0, f.typeError(n, "an integer")
	}
	return i, nil
}

// typeError is a value that is not of the type wanted, at the value.
func (f *File) typeError(n *yaml.Node, want string) *Error {
	e := &Error{Path: f.Path, Kind: Type, Msg: "want " + want + ", got " + describe(Deref(n))}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// describe names a value for an error message, quoting short scalars.
func describe(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a sequence"
	case n.ShortTag() == "!!null":
		return "null"
	case len(n.Value) > 40:
		return fmt.Sprintf("%q…", n.Value[:40])
	}
	return strconv.Quote(n.Value)
}
