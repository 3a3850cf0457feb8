package rules

import (
	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/facts"
)

// This file holds what several host rules need.

// hostAt is where a finding about a daemon setting points: where the value
// was read or decided, else the daemon itself.
func hostAt[T any](h *facts.Host, v facts.Value[T]) facts.Location {
	if v.At != (facts.Location{}) {
		return v.At
	}
	return h.Origin
}

// decided reports whether a daemon setting is known: set by the input, or
// unset on a host whose files were read (so dockerd's default applies).
func decided[T any](v facts.Value[T]) bool {
	return v.State == facts.Set || (v.State == facts.Unset && v.Why != "")
}

// fixedNote says where a CVE is fixed for a version: on its own branch, or,
// for a branch that never got the fix (an end-of-life stable series), the
// first later release that has it.
func fixedNote(v cves.Version, fixedIn string) string {
	if f, ok := cves.Parse(fixedIn); ok && f.Branch() != v.Branch() {
		return "no " + v.Branch() + " release has the fix, first fixed in " + fixedIn
	}
	return "fixed in " + fixedIn
}
