package runcmd

import (
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	api "github.com/moby/moby/api/types/container"
)

// securityFlags grant or take away privileges: capabilities, security
// options, the read-only root, extra groups, the runtime, and whether the
// image's signature is checked.
var securityFlags = handlers{
	"privileged":   scalarField(container.FieldPrivileged, func(b *builder, v string) { b.h.Privileged = parseBool(v) }),
	"cap-add":      listField(container.FieldCapAdd, func(h *api.HostConfig) *[]string { return &h.CapAdd }),
	"cap-drop":     listField(container.FieldCapDrop, func(h *api.HostConfig) *[]string { return &h.CapDrop }),
	"security-opt": (*builder).securityOpt,
	"read-only":    scalarField(container.FieldReadonlyRootfs, func(b *builder, v string) { b.h.ReadonlyRootfs = parseBool(v) }),
	"group-add":    asWritten(func(b *builder, v string) { b.h.GroupAdd = append(b.h.GroupAdd, v) }),
	"runtime":      asWritten(func(b *builder, v string) { b.h.Runtime = v }),
	"isolation":    asWritten(func(b *builder, v string) { b.h.Isolation = api.Isolation(v) }),

	"disable-content-trust": (*builder).contentTrust,
}

// securityOpt refuses what the CLI refuses: an option without a value,
// except no-new-privileges, in either the key=value or the older key:value
// spelling.
func (b *builder) securityOpt(t token, v string, lit bool) error {
	if lit {
		k, val, ok := strings.Cut(v, "=")
		if !ok && k != "no-new-privileges" {
			k, val, ok = strings.Cut(v, ":")
		}
		if (!ok || val == "") && k != "no-new-privileges" {
			return b.errorf(b.at(t), "invalid --security-opt: %q", v)
		}
	}
	b.listItem(container.FieldSecurityOpt, &b.h.SecurityOpt, t, v, lit)
	return nil
}

// contentTrust reads --disable-content-trust; false is the same as not
// writing the flag.
func (b *builder) contentTrust(t token, v string, lit bool) error {
	at := b.at(t)
	switch {
	case !lit:
		b.spec.DisableContentTrust = facts.UnknownBecause[bool](at, why(t, v))
	case parseBool(v):
		b.spec.DisableContentTrust = facts.SetAt(true, at)
	default:
		b.spec.DisableContentTrust = facts.Value[bool]{}
	}
	return nil
}
