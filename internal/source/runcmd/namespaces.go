package runcmd

import (
	"strings"

	"github.com/docker/cli/opts"
	"github.com/dockguard/dockguard/internal/container"
	api "github.com/moby/moby/api/types/container"
)

// namespaceFlags choose which of the host's namespaces the container shares
// and set the namespaced kernel parameters. The network namespace is in
// network.go, with the rest of networking.
var namespaceFlags = handlers{
	"pid": namespaceMode(container.FieldPidMode, "--pid: invalid PID mode", api.PidMode.Valid,
		func(h *api.HostConfig, m api.PidMode) { h.PidMode = m }),
	"ipc": namespaceMode(container.FieldIpcMode, "", nil,
		func(h *api.HostConfig, m api.IpcMode) { h.IpcMode = m }),
	"uts": namespaceMode(container.FieldUTSMode, "--uts: invalid UTS mode", api.UTSMode.Valid,
		func(h *api.HostConfig, m api.UTSMode) { h.UTSMode = m }),
	"userns": namespaceMode(container.FieldUsernsMode, "--userns: invalid USER mode", api.UsernsMode.Valid,
		func(h *api.HostConfig, m api.UsernsMode) { h.UsernsMode = m }),
	"cgroupns": namespaceMode(container.FieldCgroupnsMode, "--cgroupns: invalid CGROUP mode", api.CgroupnsMode.Valid,
		func(h *api.HostConfig, m api.CgroupnsMode) { h.CgroupnsMode = m }),
	"sysctl": dockerChecked(opts.ValidateSysctl, (*builder).sysctl),
}

// namespaceMode reads a mode flag (host, container:<id>, private, …). The
// Docker CLI refuses a mode its type does not know, with the message
// refusal; valid is nil when the CLI checks nothing (--ipc).
func namespaceMode[M ~string](field, refusal string, valid func(M) bool, set func(h *api.HostConfig, m M)) handler {
	return func(b *builder, t token, v string, lit bool) error {
		if valid != nil && lit && b.docker() && !valid(M(v)) {
			return b.errorf(b.at(t), "%s", refusal)
		}
		b.scalar(field, t, v, lit, func() { set(b.h, M(v)) })
		return nil
	}
}

func (b *builder) sysctl(t token, v string, _ bool) error {
	k, val, _ := strings.Cut(v, "=")
	if b.h.Sysctls == nil {
		b.h.Sysctls = map[string]string{}
	}
	b.h.Sysctls[k] = val
	b.set(container.Key("HostConfig.Sysctls", k), b.at(t))
	return nil
}
