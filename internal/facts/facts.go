// Package facts is the one model every source produces and every rule judges:
// containers, builds and the commands they run, whatever the input format.
//
// A value is set (the input says it, at a position), unset (the input says
// nothing and the platform default applies), or unknown (another input decides,
// or it depends on a variable with no value). Rules must tell these apart: a
// compose service without `user:` runs as its image's user, not as root.
package facts

import (
	"fmt"
	"strconv"
)

// State tells whether an input decided a value.
type State uint8

const (
	// Unset means the input says nothing; the platform default applies.
	Unset State = iota
	// Set means the input gives the value, at Value.At.
	Set
	// Unknown means the value depends on something dockguard cannot see.
	Unknown
)

func (s State) String() string {
	switch s {
	case Set:
		return "set"
	case Unknown:
		return "unknown"
	default:
		return "unset"
	}
}

// Location is where a value or a finding comes from. Exactly one variant is
// used: a file (Path, Line, Column), a command line given on dockguard's
// command line (Path "--run", Index), an engine object (Engine, Object, Field),
// or an image (Image, Layer, File).
type Location struct {
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	EndLine int    `json:"endLine,omitempty"`
	Index   int    `json:"index,omitempty"`

	Engine string `json:"engine,omitempty"`
	Object string `json:"object,omitempty"`
	Field  string `json:"field,omitempty"`

	Image string `json:"image,omitempty"`
	Layer string `json:"layer,omitempty"`
	File  string `json:"file,omitempty"`
}

// RunPath is the Path of a location inside a command line given with --run.
const RunPath = "--run"

// FileAt is a location in a file.
func FileAt(path string, line int) Location { return Location{Path: path, Line: line} }

// String renders the location the way editors and terminals link it.
func (l Location) String() string {
	switch {
	case l.Engine != "" || l.Object != "":
		s := l.Object
		if l.Field != "" {
			s += " " + l.Field
		}
		if l.Engine != "" {
			s = l.Engine + ": " + s
		}
		return s
	case l.Image != "":
		s := l.Image
		if l.Layer != "" {
			s += " layer " + l.Layer
		}
		if l.File != "" {
			s += " " + l.File
		}
		return s
	case l.Path == RunPath && l.Column > 0:
		return "--run #" + strconv.Itoa(l.Index) + ":" + strconv.Itoa(l.Column)
	case l.Path == RunPath:
		return "--run #" + strconv.Itoa(l.Index)
	case l.Line > 0 && l.Column > 0:
		return fmt.Sprintf("%s:%d:%d", l.Path, l.Line, l.Column)
	case l.Line > 0:
		return fmt.Sprintf("%s:%d", l.Path, l.Line)
	default:
		return l.Path
	}
}

// Value is one setting with its state and where it was decided.
type Value[T any] struct {
	State State
	V     T
	At    Location
	// Why explains an Unknown value (which variable had no value) or names
	// the default an Unset value falls back to.
	Why string
}

// SetAt returns a set value.
func SetAt[T any](v T, at Location) Value[T] { return Value[T]{State: Set, V: v, At: at} }

// UnknownBecause returns an unknown value and the reason.
func UnknownBecause[T any](at Location, why string) Value[T] {
	return Value[T]{State: Unknown, At: at, Why: why}
}

// IsSet reports whether the input decided the value.
func (v Value[T]) IsSet() bool { return v.State == Set }

// IsUnknown reports whether something dockguard cannot see decides the value.
func (v Value[T]) IsUnknown() bool { return v.State == Unknown }

// Subject names what a finding is about, as the user knows it.
type Subject struct {
	Kind string `json:"kind"` // stage, service, container, host, image
	Name string `json:"name"`
	// Host is the engine a live subject runs on (a container or Swarm
	// service inspected through the Engine API), so one report can hold
	// several hosts.
	Host string `json:"host,omitempty"`
}

// Subject kinds.
const (
	SubjectStage     = "stage"
	SubjectService   = "service"
	SubjectContainer = "container"
	SubjectHost      = "host"
	SubjectImage     = "image"
	// SubjectFile is an input file as a whole (an ignore directive in it).
	SubjectFile = "file"
)
