package runcmd

import (
	"strconv"
	"strings"

	"github.com/docker/cli/opts"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
)

// identityFlags say who the process runs as, what it runs, and how the
// container is named and labelled.
var identityFlags = handlers{
	"user":       scalarField(container.FieldUser, func(b *builder, v string) { b.c.User = v }),
	"entrypoint": scalarField(container.FieldEntrypoint, func(b *builder, v string) { b.c.Entrypoint = []string{v} }),
	"workdir":    asWritten(func(b *builder, v string) { b.c.WorkingDir = v }),
	"umask":      dockerChecked(parseUmask, nil),

	"name": asWritten(func(b *builder, v string) {
		b.spec.Subject = facts.Subject{Kind: facts.SubjectContainer, Name: v}
	}),
	"hostname":   asWritten(func(b *builder, v string) { b.c.Hostname = v }),
	"domainname": asWritten(func(b *builder, v string) { b.c.Domainname = v }),
	"label":      (*builder).label,
	"annotation": asWritten(func(b *builder, v string) {
		k, val, _ := strings.Cut(v, "=")
		if b.h.Annotations == nil {
			b.h.Annotations = map[string]string{}
		}
		b.h.Annotations[k] = val
	}),
}

// parseUmask reads --umask as the Docker CLI does: octal, 32 bits.
func parseUmask(v string) (uint64, error) { return strconv.ParseUint(v, 8, 32) }

func (b *builder) label(t token, v string, lit bool) error {
	if lit {
		if _, err := opts.ValidateLabel(v); err != nil {
			return b.invalid(t, v, err)
		}
	}
	k, val, _ := strings.Cut(v, "=")
	if b.c.Labels == nil {
		b.c.Labels = map[string]string{}
	}
	b.c.Labels[k] = val
	b.first(container.FieldLabels, b.at(t))
	b.set(container.Key(container.FieldLabels, k), b.at(t))
	return nil
}
