package runcmd

import (
	"fmt"

	api "github.com/moby/moby/api/types/container"
)

// handler applies one value of a flag (one item of a Podman list) to the
// spec being built. lit says whether the value is known before the command
// runs; a handler that needs a known value records why it is not.
type handler func(b *builder, t token, v string, lit bool) error

// handlers maps canonical flag names (flagDef.key) to what they do.
type handlers map[string]handler

// flagHandlers is every flag that changes the spec, gathered from the
// tables of each topic. Flags that are not here (--detach, --pull,
// --platform, …) are parsed and checked for their type, and change nothing
// a rule reads.
var flagHandlers = joinHandlers(
	identityFlags,
	envFlags,
	lifecycleFlags,
	healthFlagHandlers,
	securityFlags,
	resourceFlags,
	namespaceFlags,
	networkFlags,
	mountFlags,
	deviceFlags,
)

// joinHandlers merges topic tables. A flag claimed by two topics would
// have one of its effects silently dropped, so it stops the program at
// start-up, where every test sees it.
func joinHandlers(groups ...handlers) handlers {
	all := handlers{}
	for _, g := range groups {
		for name, h := range g {
			if _, dup := all[name]; dup {
				panic(fmt.Sprintf("runcmd: flag --%s has two handlers", name))
			}
			all[name] = h
		}
	}
	return all
}

// The constructors below name the few ways a flag's value reaches the
// spec, so that the tables read as a list of flags and destinations.

// scalarField sets a field the mapper reads when the value is known, and
// records why it is not otherwise, so a rule can tell "set from a
// variable" from "missing".
func scalarField(field string, set func(b *builder, v string)) handler {
	return func(b *builder, t token, v string, lit bool) error {
		b.scalar(field, t, v, lit, func() { set(b, v) })
		return nil
	}
}

// listField appends to a list field the mapper reads, each item with its
// position and, when it depends on a variable, why.
func listField(field string, list func(h *api.HostConfig) *[]string) handler {
	return func(b *builder, t token, v string, lit bool) error {
		b.listItem(field, list(b.h), t, v, lit)
		return nil
	}
}

// asWritten stores the value as written, variable or not: no rule decides
// anything from it, and the text is what a report would show.
func asWritten(set func(b *builder, v string)) handler {
	return func(b *builder, _ token, v string, _ bool) error {
		set(b, v)
		return nil
	}
}

// ifLiteral stores a value that must be decoded (a number, a size) only
// when it is known; a variable leaves the field at its default.
func ifLiteral(set func(b *builder, v string)) handler {
	return func(b *builder, _ token, v string, lit bool) error {
		if lit {
			set(b, v)
		}
		return nil
	}
}

// dockerChecked refuses a known value the Docker CLI's own validator
// refuses, then hands it on to next (nil: the flag has no other effect).
// Podman's CLI validates differently, so its lines are not checked.
func dockerChecked[T any](validate func(string) (T, error), next handler) handler {
	return func(b *builder, t token, v string, lit bool) error {
		if lit && b.docker() {
			if _, err := validate(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
		if next == nil {
			return nil
		}
		return next(b, t, v, lit)
	}
}

// ignored marks a flag the CLI accepts and the daemon ignores, so that its
// absence from the tables is not taken for an oversight.
func ignored(*builder, token, string, bool) error { return nil }
