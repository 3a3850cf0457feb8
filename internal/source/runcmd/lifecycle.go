package runcmd

import (
	"errors"
	"strings"

	"github.com/docker/cli/opts"
	"github.com/dockguard/dockguard/internal/container"
	api "github.com/moby/moby/api/types/container"
)

// lifecycleFlags decide how the container is started, attached to, stopped,
// restarted, removed and logged.
var lifecycleFlags = handlers{
	"restart": (*builder).restartFlag,
	"rm": func(b *builder, _ token, v string, lit bool) error {
		b.h.AutoRemove = lit && parseBool(v)
		b.rm = b.h.AutoRemove
		return nil
	},
	"init": ifLiteral(func(b *builder, v string) {
		x := parseBool(v)
		b.h.Init = &x
	}),
	"stop-signal": asWritten(func(b *builder, v string) { b.c.StopSignal = v }),
	"stop-timeout": ifLiteral(func(b *builder, v string) {
		n := int(parseInt(v))
		b.c.StopTimeout = &n
	}),

	"tty":         func(b *builder, _ token, v string, lit bool) error { b.c.Tty = lit && parseBool(v); return nil },
	"interactive": func(b *builder, _ token, v string, lit bool) error { b.c.OpenStdin = lit && parseBool(v); return nil },
	"attach": func(b *builder, t token, v string, lit bool) error {
		if lit && b.docker() {
			switch strings.ToLower(v) {
			case "stdin", "stdout", "stderr":
			default:
				return b.invalid(t, v, errors.New("valid streams are STDIN, STDOUT and STDERR"))
			}
		}
		return nil
	},

	"log-driver": asWritten(func(b *builder, v string) { b.h.LogConfig.Type = v }),
	"log-opt": asWritten(func(b *builder, v string) {
		k, val, _ := strings.Cut(v, "=")
		if b.h.LogConfig.Config == nil {
			b.h.LogConfig.Config = map[string]string{}
		}
		b.h.LogConfig.Config[k] = val
	}),
	"cidfile": asWritten(func(b *builder, v string) { b.h.ContainerIDFile = v }),
}

// restartFlag reads --restart. It remembers the flag so that finish can
// refuse --rm with a restart policy other than "no", as the CLI does.
func (b *builder) restartFlag(t token, v string, lit bool) error {
	at := b.at(t)
	if !lit {
		b.unknown(container.FieldRestartPolicy, at, why(t, v))
		b.h.RestartPolicy = api.RestartPolicy{}
		b.restartN = false
		return nil
	}
	rp, err := opts.ParseRestartPolicy(v)
	if err != nil {
		return b.errorf(at, "%v", err)
	}
	if err := api.ValidateRestartPolicy(rp); err != nil {
		return b.errorf(at, "%v", err)
	}
	b.set(container.FieldRestartPolicy, at)
	b.h.RestartPolicy = rp
	tt := t
	b.restart = &tt
	b.restartN = !rp.IsNone()
	return nil
}
