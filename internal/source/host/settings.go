package host

import (
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// This file merges the daemon's settings from its two places, the dockerd
// command line (cmdline.go) and daemon.json (daemonjson.go), with what the
// API reported. The command line is read first; dockerd refuses to start
// when both set the same option, so a running daemon has at most one.

// flagAt locates a dockerd argument: its column in /proc/<pid>/cmdline
// (the NUL-separated argv read as one line).
func (b *builder) flagAt(fv flagValue) facts.Location {
	return facts.Location{Path: b.cmd.Path, Line: 1, Column: fv.Offset + 1}
}

func (b *builder) cfgAt(key string) facts.Location {
	return facts.FileAt(b.cfg.Path, b.cfg.line(key))
}

// boolSetting reads a boolean daemon setting from the command line, then
// daemon.json. ok is false when neither sets it.
func (b *builder) boolSetting(flag, key string) (facts.Value[bool], bool) {
	if fv, ok := b.cmd.last(flag); ok {
		if v, ok := parseBool(fv.Value); ok {
			return facts.SetAt(v, b.flagAt(fv)), true
		}
	}
	if v, ok := b.cfg.bool(key); ok {
		return facts.SetAt(v, b.cfgAt(key)), true
	}
	return facts.Value[bool]{}, false
}

func (b *builder) stringSetting(flag, key string) (facts.Value[string], bool) {
	if fv, ok := b.cmd.last(flag); ok {
		return facts.SetAt(fv.Value, b.flagAt(fv)), true
	}
	if v, ok := b.cfg.string(key); ok {
		return facts.SetAt(v, b.cfgAt(key)), true
	}
	return facts.Value[string]{}, false
}

func (b *builder) defaultAt() facts.Location {
	if b.cfg != nil {
		return facts.Location{Path: b.cfg.Path}
	}
	if b.cmd != nil {
		return facts.Location{Path: b.cmd.Path}
	}
	return facts.Location{Path: DefaultConfigFile}
}

func unsetBecause[T any](at facts.Location, why string) facts.Value[T] {
	return facts.Value[T]{State: facts.Unset, At: at, Why: why}
}

// settings merges the files' daemon settings with what the API reported.
// The API says what the running daemon does; the files say where it was
// set, which is the better place to point a finding at.
func (b *builder) settings() {
	h := b.h
	if v, ok := b.boolSetting("icc", "icc"); ok {
		h.ICC = v
	} else {
		h.ICC = unsetBecause[bool](b.defaultAt(), "dockerd's default: icc true")
	}
	if v, ok := b.boolSetting("userland-proxy", "userland-proxy"); ok {
		h.UserlandProxy = v
	} else {
		h.UserlandProxy = unsetBecause[bool](b.defaultAt(), "dockerd's default: userland-proxy true")
	}
	if v, ok := b.boolSetting("no-new-privileges", "no-new-privileges"); ok {
		if !h.NoNewPrivileges.IsSet() || h.NoNewPrivileges.V == v.V {
			h.NoNewPrivileges = v
		}
	} else if !h.NoNewPrivileges.IsSet() {
		h.NoNewPrivileges = unsetBecause[bool](b.defaultAt(), "dockerd's default: no-new-privileges false")
	}
	if v, ok := b.boolSetting("live-restore", "live-restore"); ok && v.V == h.LiveRestore.V {
		h.LiveRestore.At = v.At
	}
	if v, ok := b.boolSetting("selinux-enabled", "selinux-enabled"); ok {
		if v.V == h.SELinuxEnabled.V {
			h.SELinuxEnabled.At = v.At
		} else if v.V {
			// Asked for but not in effect (the host has no SELinux):
			// the API's word stands.
			h.SELinuxEnabled.Why = "selinux-enabled is set at " + v.At.String() + " but the daemon does not report SELinux support"
		}
	} else if !h.SELinuxEnabled.V {
		h.SELinuxEnabled.Why = "dockerd's default: selinux-enabled false"
	}
	if v, ok := b.stringSetting("seccomp-profile", "seccomp-profile"); ok {
		switch {
		case !h.SeccompProfile.IsSet():
			h.SeccompProfile = v
		case (v.V == "unconfined") == (h.SeccompProfile.V == "unconfined"):
			// The engine names the profile its way (default, builtin,
			// a path); the file is where it is set.
			h.SeccompProfile.At = v.At
		}
	}
	if v, ok := b.stringSetting("userns-remap", "userns-remap"); ok && v.V != "" {
		if h.UsernsRemap.V != "" {
			h.UsernsRemap = v
		} else {
			h.UsernsRemap.Why = "userns-remap is set at " + v.At.String() + " but the running daemon does not remap (restart it)"
		}
	}
	if h.UsernsRemap.V == "" && h.UsernsRemap.Why == "" {
		h.UsernsRemap.Why = "dockerd's default: no user-namespace remapping"
	}
	if len(h.AuthorizationPlugins) > 0 {
		if fvs := b.cmd.get("authorization-plugin"); len(fvs) > 0 {
			h.AuthorizationPluginsAt = b.flagAt(fvs[0])
		} else if b.cfg.has("authorization-plugins") {
			h.AuthorizationPluginsAt = b.cfgAt("authorization-plugins")
		}
	}
	b.ulimits()
}

// ulimits reads --default-ulimit nofile=1024:2048 and daemon.json's
// default-ulimits.
func (b *builder) ulimits() {
	h := b.h
	for _, fv := range b.cmd.get("default-ulimit") {
		if u, ok := parseUlimit(fv.Value); ok {
			u.At = b.flagAt(fv)
			h.DefaultUlimits = append(h.DefaultUlimits, u)
		}
	}
	if m, ok := b.cfg.ulimits(); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			u := m[k]
			line := b.cfg.line("default-ulimits." + k)
			if line == 0 {
				line = b.cfg.line("default-ulimits")
			}
			h.DefaultUlimits = append(h.DefaultUlimits, facts.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard, At: facts.FileAt(b.cfg.Path, line)})
		}
	}
}

// parseUlimit reads name=soft[:hard].
func parseUlimit(s string) (facts.Ulimit, bool) {
	name, limits, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return facts.Ulimit{}, false
	}
	softS, hardS, hasHard := strings.Cut(limits, ":")
	soft, err := strconv.ParseInt(softS, 10, 64)
	if err != nil {
		return facts.Ulimit{}, false
	}
	hard := soft
	if hasHard {
		if hard, err = strconv.ParseInt(hardS, 10, 64); err != nil {
			return facts.Ulimit{}, false
		}
	}
	return facts.Ulimit{Name: strings.ToLower(name), Soft: soft, Hard: hard}, true
}
