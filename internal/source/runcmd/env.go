package runcmd

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
)

// envFlags set the container's environment; --env-file is read in
// envfile.go.
var envFlags = handlers{
	"env":      (*builder).envFlag,
	"env-file": (*builder).envFile,
	"env-host": func(b *builder, t token, v string, lit bool) error {
		if !lit || parseBool(v) {
			b.notes = append(b.notes, facts.Note{At: b.at(t), Message: "--env-host copies every environment variable of the host into the container; they were not audited"})
		}
		return nil
	},
}

// envItem is one variable, kept until finishEnv puts the file's and the
// flags' variables in the CLI's order.
type envItem struct {
	text    string
	at      facts.Location
	unknown string
}

func (b *builder) envFlag(t token, v string, lit bool) error {
	at := b.at(t)
	if b.envAt == nil {
		b.envAt = &at
	}
	name, _, hasValue := strings.Cut(v, "=")
	it := envItem{text: v, at: at}
	switch {
	case !lit:
		// Only the name is shown: the literal part of the value may be a
		// secret.
		it.unknown = fmt.Sprintf("%s %s=… depends on a variable", t.spelled, name)
		if !hasValue {
			it.unknown = fmt.Sprintf("%s %q depends on a variable", t.spelled, v)
		}
	case name == "":
		// The value is not echoed: it may be a secret.
		return b.errorf(b.at(t), "invalid environment variable for %s: the name is empty", t.spelled)
	case !hasValue:
		// The CLI takes the value from its own environment; that is the
		// environment of whoever runs the line, not dockguard's.
		it.unknown = fmt.Sprintf("%s %s takes its value from the environment %s runs in", t.spelled, v, b.inv.tool)
	}
	b.env = append(b.env, it)
	return nil
}

// finishEnv assembles the environment: env files first, then -e, which
// override them (the CLI's order).
func (b *builder) finishEnv() {
	all := append(append([]envItem{}, b.fileEnv...), b.env...)
	for k, e := range all {
		b.c.Env = append(b.c.Env, e.text)
		b.spec.At[container.Item(container.FieldEnv, k)] = e.at
		if e.unknown != "" {
			b.spec.Unknown[container.Item(container.FieldEnv, k)] = e.unknown
		}
	}
	if b.envAt != nil {
		b.spec.At[container.FieldEnv] = *b.envAt
	}
}
