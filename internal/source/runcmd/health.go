package runcmd

import (
	"strings"
	"time"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	api "github.com/moby/moby/api/types/container"
)

// healthFlagHandlers gather --health-* and --no-healthcheck; the health
// check is only assembled in finishHealth, once every flag is known,
// because the CLI refuses some combinations.
var healthFlagHandlers = handlers{
	"health-cmd": func(b *builder, t token, v string, _ bool) error {
		at := b.at(t)
		b.health(at)
		b.hc.cmd, b.hc.cmdSet = v, v != ""
		if !b.docker() && strings.EqualFold(v, "none") {
			b.hc.none, b.hc.cmdSet, b.hc.noneAt = true, false, at
		}
		return nil
	},
	"no-healthcheck": func(b *builder, t token, v string, lit bool) error {
		if !lit || parseBool(v) {
			at := b.at(t)
			b.health(at)
			b.hc.none, b.hc.noneAt = true, at
		}
		return nil
	},
	"health-interval":       healthSetting,
	"health-timeout":        healthSetting,
	"health-start-period":   healthSetting,
	"health-start-interval": healthSetting,
	"health-retries":        healthSetting,
}

type healthFlags struct {
	given    bool
	at       facts.Location
	cmd      string
	cmdSet   bool
	none     bool
	noneAt   facts.Location
	settings bool // any --health-* value other than the command
	cfg      api.HealthConfig
}

func (b *builder) health(at facts.Location) {
	b.hc.given = true
	b.hc.at = at
	b.set(container.FieldHealthcheck, at)
}

// healthSetting reads the timing flags. A zero value is the default, so it
// alone does not make a health check.
func healthSetting(b *builder, t token, v string, lit bool) error {
	b.health(b.at(t))
	if !lit {
		b.hc.settings = true
		return nil
	}
	switch t.def.kind {
	case vDuration:
		d, _ := time.ParseDuration(v)
		if d != 0 {
			b.hc.settings = true
		}
		switch t.def.name {
		case "health-interval":
			b.hc.cfg.Interval = d
		case "health-timeout":
			b.hc.cfg.Timeout = d
		case "health-start-period":
			b.hc.cfg.StartPeriod = d
		case "health-start-interval":
			b.hc.cfg.StartInterval = d
		}
	case vInt, vUint:
		n := parseInt(v)
		if n != 0 {
			b.hc.settings = true
		}
		if t.def.name == "health-retries" {
			b.hc.cfg.Retries = int(n)
		}
	default:
		// Podman's durations are strings ("30s", "disable").
		b.hc.settings = true
	}
	return nil
}

// finishHealth builds the health check from the flags seen.
func (b *builder) finishHealth() error {
	if !b.hc.given {
		return nil
	}
	switch {
	case b.hc.none && (b.hc.cmdSet || b.hc.settings) && b.docker():
		return b.errorf(b.hc.noneAt, "--no-healthcheck conflicts with --health-* options")
	case b.hc.none:
		b.c.Healthcheck = &api.HealthConfig{Test: []string{"NONE"}}
	case b.hc.cmdSet || b.hc.settings:
		hc := b.hc.cfg
		if b.hc.cmdSet {
			hc.Test = []string{"CMD-SHELL", b.hc.cmd}
		}
		b.c.Healthcheck = &hc
	default:
		delete(b.spec.At, container.FieldHealthcheck)
	}
	return nil
}
