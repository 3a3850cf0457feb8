// Package inputs finds input files under the paths a user names and reads
// them with caps.
//
// dockguard audits files it did not write, often from repositories it does
// not trust, so everything here assumes hostile input: symbolic link loops
// must not hang the walk, a fifo named Dockerfile must not block a read, and
// a multi-gigabyte file must not be pulled into memory. Problems with one
// input are returned as *Error values so the caller can report them and go
// on auditing the rest.
package inputs

import "strconv"

// Error is a problem with one input, reported to the user with the path (and
// line when known); auditing goes on with the other inputs.
type Error struct {
	Path    string
	Line    int // 0 when not about a line
	Message string
}

// Error formats the problem the way compilers do, so editors and terminals
// can jump to the location.
func (e *Error) Error() string {
	switch {
	case e.Path == "":
		return e.Message
	case e.Line > 0:
		return e.Path + ":" + strconv.Itoa(e.Line) + ": " + e.Message
	default:
		return e.Path + ": " + e.Message
	}
}

// Kind says what a discovered file is for.
type Kind string

// Matcher returns the kind of a file from its base name, or "" to ignore it.
type Matcher func(base string) Kind

// File is one input found.
type File struct {
	Path string
	Kind Kind
}
