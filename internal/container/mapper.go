// Package container is the one place where Docker's runtime semantics are
// decoded. Every source that describes a container (a compose service, a
// `docker run` line, an inspected container, a Swarm task, an Engine API
// create request) first expresses it in the Engine API's own types, and Map
// turns those into the Container fact. Audit, enforcement and hardening all
// go through here, so they cannot disagree about what a setting means.
package container

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// Spec is a container in the Engine API's types, with where each value was
// written.
type Spec struct {
	Config     *container.Config
	HostConfig *container.HostConfig
	// Networks are networks joined by name besides NetworkMode (compose).
	Networks []string

	Subject facts.Subject
	// Origin is where the container is declared; values with no position
	// of their own point here.
	Origin facts.Location
	// Engine is "docker" (the default) or "podman".
	Engine string
	// Rootless is true for Podman run by an ordinary user (no sudo).
	Rootless bool
	// UsernsRemap is set when the daemon remaps container root
	// (--userns-remap, or a rootless daemon); a container with
	// UsernsMode host opts out.
	UsernsRemap bool
	// DefaultRuntime is the daemon's default runtime when known (docker
	// info); inspect names it in HostConfig.Runtime.
	DefaultRuntime string
	// Enforced marks a request judged for enforcement (facts.Container.Enforced).
	Enforced bool
	// NoNewPrivilegesDefault is the daemon's no-new-privileges default
	// (daemon.json), which a container that says nothing gets.
	NoNewPrivilegesDefault bool

	// At maps a field path (see the Field constants; list items carry
	// their index: "HostConfig.Binds[2]", port bindings their port:
	// "HostConfig.PortBindings[80/tcp]") to where the value was written.
	// A field with a position counts as set even when its value is the
	// zero value (`--privileged=false`, `pids_limit: 0`).
	At map[string]facts.Location
	// Unknown maps a field path to why its value cannot be known (an
	// interpolation variable with no value, `--memory "$MEM"`).
	Unknown map[string]string

	// Image is the image's own configuration when it is known (a compose
	// service joined with its Dockerfile): the user, health check and
	// privilege drop it starts with when the container does not override
	// them.
	Image *facts.Container
	// DisableContentTrust is set by --disable-content-trust.
	DisableContentTrust facts.Value[bool]
}

// Field paths of the Engine API types that sources give positions for.
const (
	FieldImage             = "Config.Image"
	FieldUser              = "Config.User"
	FieldEnv               = "Config.Env"
	FieldExposedPorts      = "Config.ExposedPorts"
	FieldHealthcheck       = "Config.Healthcheck"
	FieldLabels            = "Config.Labels"
	FieldEntrypoint        = "Config.Entrypoint"
	FieldCmd               = "Config.Cmd"
	FieldPrivileged        = "HostConfig.Privileged"
	FieldCapAdd            = "HostConfig.CapAdd"
	FieldCapDrop           = "HostConfig.CapDrop"
	FieldSecurityOpt       = "HostConfig.SecurityOpt"
	FieldReadonlyRootfs    = "HostConfig.ReadonlyRootfs"
	FieldMemory            = "HostConfig.Memory"
	FieldMemorySwap        = "HostConfig.MemorySwap"
	FieldNanoCPUs          = "HostConfig.NanoCPUs"
	FieldCPUPeriod         = "HostConfig.CPUPeriod"
	FieldCPUQuota          = "HostConfig.CPUQuota"
	FieldCPUShares         = "HostConfig.CPUShares"
	FieldPidsLimit         = "HostConfig.PidsLimit"
	FieldRestartPolicy     = "HostConfig.RestartPolicy"
	FieldUlimits           = "HostConfig.Ulimits"
	FieldNetworkMode       = "HostConfig.NetworkMode"
	FieldPidMode           = "HostConfig.PidMode"
	FieldIpcMode           = "HostConfig.IpcMode"
	FieldUTSMode           = "HostConfig.UTSMode"
	FieldUsernsMode        = "HostConfig.UsernsMode"
	FieldCgroupnsMode      = "HostConfig.CgroupnsMode"
	FieldBinds             = "HostConfig.Binds"
	FieldMounts            = "HostConfig.Mounts"
	FieldTmpfs             = "HostConfig.Tmpfs"
	FieldDevices           = "HostConfig.Devices"
	FieldDeviceCgroupRules = "HostConfig.DeviceCgroupRules"
	FieldPortBindings      = "HostConfig.PortBindings"
	FieldPublishAllPorts   = "HostConfig.PublishAllPorts"
	FieldSysctls           = "HostConfig.Sysctls"
	FieldRuntime           = "HostConfig.Runtime"
)

// Item is the field path of one list item.
func Item(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// Key is the field path of one map entry.
func Key(field, key string) string { return field + "[" + key + "]" }

// PodmanPidsLimit is Podman's default PIDs limit (containers.conf pids_limit).
const PodmanPidsLimit = 2048

type mapper struct {
	s   *Spec
	out *facts.Container
}

// at returns where a field was written: its own position, its parent
// field's (for list items), or the container's origin.
func (m *mapper) at(field string) facts.Location {
	if l, ok := m.s.At[field]; ok {
		return l
	}
	if i := strings.IndexByte(field, '['); i > 0 {
		if l, ok := m.s.At[field[:i]]; ok {
			return l
		}
	}
	return m.s.Origin
}

func (m *mapper) given(field string) bool {
	_, ok := m.s.At[field]
	return ok
}

// unknown reports whether the field's value cannot be known, and notes why.
func (m *mapper) unknown(field string) (string, bool) {
	why, ok := m.s.Unknown[field]
	return why, ok
}

func value[T any](m *mapper, field string, v T, set bool) facts.Value[T] {
	if why, ok := m.unknown(field); ok {
		return facts.UnknownBecause[T](m.at(field), why)
	}
	if set || m.given(field) {
		return facts.SetAt(v, m.at(field))
	}
	return facts.Value[T]{}
}

// Map turns a Spec into the Container fact, decoding Docker's semantics:
// defaults, spellings and precedence.
func Map(s *Spec) *facts.Container {
	if s.Config == nil {
		s.Config = &container.Config{}
	}
	if s.HostConfig == nil {
		s.HostConfig = &container.HostConfig{}
	}
	engine := s.Engine
	if engine == "" {
		engine = "docker"
	}
	m := &mapper{s: s, out: &facts.Container{Subject: s.Subject, Origin: s.Origin, Engine: engine, Rootless: s.Rootless, Networks: s.Networks}}
	c, h := s.Config, s.HostConfig
	out := m.out

	out.Image = value(m, FieldImage, c.Image, c.Image != "")
	out.User = value(m, FieldUser, c.User, c.User != "")
	if out.User.State == facts.Unset {
		switch {
		case s.Image != nil && s.Image.User.State != facts.Unset:
			out.User = s.Image.User
		case s.Image != nil:
			out.User.Why = s.Image.User.Why
		case c.Image != "":
			out.User.Why = "the image's user (" + c.Image + "): root unless the image sets USER"
		default:
			out.User.Why = "the image's user: root unless the image sets USER"
		}
	}
	out.DefaultRuntime = s.DefaultRuntime
	out.Enforced = s.Enforced
	out.UsernsRemap = s.UsernsRemap && !strings.EqualFold(string(h.UsernsMode), "host")
	if s.Image != nil {
		out.ImageUserKnown = s.Image.ImageUserKnown
		out.PrivilegeDrop = s.Image.PrivilegeDrop
		out.Healthcheck = s.Image.Healthcheck
		out.ExposedPorts = s.Image.ExposedPorts
		// The image's ENV is judged where it is written (the Dockerfile),
		// not again for every container that runs it.
	}
	if len(c.Entrypoint) > 0 || m.given(FieldEntrypoint) {
		out.Entrypoint = facts.SetAt(c.Entrypoint, m.at(FieldEntrypoint))
		// A new entrypoint replaces the image's, and with it the drop.
		out.PrivilegeDrop = nil
	}
	if len(c.Cmd) > 0 {
		out.Cmd = facts.SetAt(c.Cmd, m.at(FieldCmd))
	}
	if c.Healthcheck != nil && len(c.Healthcheck.Test) > 0 {
		// An empty Test (only --health-interval and the like) keeps the
		// image's check.
		on := !(len(c.Healthcheck.Test) > 0 && strings.EqualFold(c.Healthcheck.Test[0], "NONE"))
		out.Healthcheck = facts.SetAt(on, m.at(FieldHealthcheck))
	}
	for i, e := range c.Env {
		name, val, ok := strings.Cut(e, "=")
		_, dyn := m.unknown(Item(FieldEnv, i))
		out.Env = append(out.Env, facts.EnvVar{Name: name, Value: val, Dynamic: dyn || !ok, At: m.at(Item(FieldEnv, i))})
	}
	for p := range c.ExposedPorts {
		n := int(p.Num())
		out.ExposedPorts = append(out.ExposedPorts, facts.ExposedPort{Port: n, EndPort: n, Proto: string(p.Proto()), At: m.at(Key(FieldExposedPorts, p.String()))})
	}
	sort.Slice(out.ExposedPorts, func(i, j int) bool { return out.ExposedPorts[i].Port < out.ExposedPorts[j].Port })
	if len(c.Labels) > 0 {
		out.Labels = map[string]facts.Value[string]{}
		for k, v := range c.Labels {
			out.Labels[k] = facts.SetAt(v, m.at(Key(FieldLabels, k)))
		}
	}

	out.Privileged = value(m, FieldPrivileged, h.Privileged, h.Privileged)
	out.CapAdd = m.caps(FieldCapAdd, h.CapAdd)
	out.CapDrop = m.caps(FieldCapDrop, h.CapDrop)
	m.securityOpts(h.SecurityOpt)
	if s.NoNewPrivilegesDefault && !out.SecurityOpt.NoNewPrivileges.IsSet() {
		out.SecurityOpt.NoNewPrivileges = facts.Value[bool]{State: facts.Set, V: true, Why: "the daemon's no-new-privileges default"}
	}
	out.ReadOnlyRootfs = value(m, FieldReadonlyRootfs, h.ReadonlyRootfs, h.ReadonlyRootfs)
	m.resources(h)
	m.namespaces(h)
	m.mounts(h)
	for i, d := range h.Devices {
		if _, ok := m.unknown(Item(FieldDevices, i)); ok {
			continue
		}
		out.Devices = append(out.Devices, facts.Device{Host: d.PathOnHost, Container: d.PathInContainer, Permissions: d.CgroupPermissions, At: m.at(Item(FieldDevices, i))})
	}
	for i, dr := range h.DeviceRequests {
		// --gpus and CDI devices hand hardware to the container too.
		name := dr.Driver
		if len(dr.DeviceIDs) > 0 {
			name += " " + strings.Join(dr.DeviceIDs, ",")
		}
		if name == "" {
			name = "GPU"
		}
		out.Devices = append(out.Devices, facts.Device{Host: strings.TrimSpace(name), At: m.at(Item("HostConfig.DeviceRequests", i))})
	}
	for i, r := range h.DeviceCgroupRules {
		out.DeviceCgroupRules = append(out.DeviceCgroupRules, facts.SetAt(r, m.at(Item(FieldDeviceCgroupRules, i))))
	}
	for k, v := range h.Sysctls {
		if _, ok := m.unknown(Key(FieldSysctls, k)); ok {
			continue
		}
		out.Sysctls = append(out.Sysctls, facts.Sysctl{Name: k, Value: v, At: m.at(Key(FieldSysctls, k))})
	}
	sort.Slice(out.Sysctls, func(i, j int) bool { return out.Sysctls[i].Name < out.Sysctls[j].Name })
	out.Runtime = value(m, FieldRuntime, h.Runtime, h.Runtime != "")
	m.ports(h)
	out.DisableContentTrust = s.DisableContentTrust
	for f, why := range s.Unknown {
		out.Notes = append(out.Notes, facts.Note{At: m.at(f), Message: why})
	}
	sort.Slice(out.Notes, func(i, j int) bool {
		a, b := out.Notes[i].At, out.Notes[j].At
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return out.Notes[i].Message < out.Notes[j].Message
	})
	return out
}

// caps decodes a capability list; one item that depends on a variable makes
// the whole list unknown.
func (m *mapper) caps(field string, list []string) facts.Value[[]string] {
	for i := range list {
		if why, ok := m.unknown(Item(field, i)); ok {
			return facts.UnknownBecause[[]string](m.at(Item(field, i)), why)
		}
	}
	return value(m, field, normalizeCaps(list), len(list) > 0)
}

// normalizeCaps writes capabilities the way Docker compares them: upper
// case, without the CAP_ prefix ("cap_sys_admin" and "SYS_ADMIN" are one).
func normalizeCaps(caps []string) []string {
	var out []string
	for _, c := range caps {
		c = strings.ToUpper(strings.TrimSpace(c))
		c = strings.TrimPrefix(c, "CAP_")
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// securityOpts decodes --security-opt in all of Docker's spellings: key=value
// and the legacy key:value, bare no-new-privileges, explicit opt-outs.
// SplitSecurityOpt splits a security option the way dockerd does: at
// "=", or at the deprecated ":" when there is no "=". The key is lower
// case; ok is false for an option with neither.
func SplitSecurityOpt(opt string) (key, value string, ok bool) {
	k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
	if !ok {
		k, v, ok = strings.Cut(strings.TrimSpace(opt), ":")
	}
	return strings.ToLower(k), v, ok
}

func (m *mapper) securityOpts(opts []string) {
	so := &m.out.SecurityOpt
	for i, raw := range opts {
		if _, ok := m.unknown(Item(FieldSecurityOpt, i)); ok {
			continue
		}
		at := m.at(Item(FieldSecurityOpt, i))
		o := strings.TrimSpace(raw)
		if o == "no-new-privileges" {
			so.NoNewPrivileges = facts.SetAt(true, at)
			continue
		}
		if o == "disable" {
			// Docker's old shorthand for label=disable.
			so.SELinuxDisabled = facts.SetAt(true, at)
			continue
		}
		k, v, ok := SplitSecurityOpt(o)
		if !ok {
			continue
		}
		switch k {
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				// Docker refuses the container; judge it as not set.
				continue
			}
			so.NoNewPrivileges = facts.SetAt(b, at)
		case "seccomp":
			so.SeccompProfile = facts.SetAt(v, at)
		case "apparmor":
			so.AppArmorProfile = facts.SetAt(v, at)
		case "label":
			if v == "disable" {
				so.SELinuxDisabled = facts.SetAt(true, at)
			} else {
				so.SELinuxLabels = append(so.SELinuxLabels, facts.SetAt(v, at))
			}
		case "systempaths":
			if v == "unconfined" {
				so.Unmasked = facts.SetAt(true, at)
			}
		case "unmask":
			// Podman's spelling: unmask=ALL or a list of paths.
			if v != "" {
				so.Unmasked = facts.SetAt(true, at)
			}
		}
	}
}

func (m *mapper) resources(h *container.HostConfig) {
	out := m.out
	out.Memory = value(m, FieldMemory, h.Memory, h.Memory != 0)
	out.MemorySwap = value(m, FieldMemorySwap, h.MemorySwap, h.MemorySwap != 0)
	out.NanoCPUs = value(m, FieldNanoCPUs, h.NanoCPUs, h.NanoCPUs != 0)
	out.CPUPeriod = value(m, FieldCPUPeriod, h.CPUPeriod, h.CPUPeriod != 0)
	out.CPUQuota = value(m, FieldCPUQuota, h.CPUQuota, h.CPUQuota != 0)
	out.CPUShares = value(m, FieldCPUShares, h.CPUShares, h.CPUShares != 0)
	var pids int64
	if h.PidsLimit != nil {
		pids = *h.PidsLimit
	}
	out.PidsLimit = value(m, FieldPidsLimit, pids, h.PidsLimit != nil)
	if out.PidsLimit.State == facts.Unset && out.Engine == "podman" {
		out.PidsLimit = facts.Value[int64]{State: facts.Set, V: PodmanPidsLimit, At: m.s.Origin, Why: "Podman's default pids_limit"}
	}
	rp := facts.RestartPolicy{Name: string(h.RestartPolicy.Name), MaxRetry: h.RestartPolicy.MaximumRetryCount}
	out.Restart = value(m, FieldRestartPolicy, rp, rp.Name != "")
	for i, u := range h.Ulimits {
		if _, unknown := m.unknown(Item(FieldUlimits, i)); u == nil || unknown {
			continue
		}
		out.Ulimits = append(out.Ulimits, facts.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard, At: m.at(Item(FieldUlimits, i))})
	}
}

func (m *mapper) namespaces(h *container.HostConfig) {
	out := m.out
	out.Namespaces = map[facts.Namespace]facts.Value[string]{}
	set := func(ns facts.Namespace, field, mode string) {
		v := value(m, field, mode, mode != "")
		if v.State != facts.Unset {
			out.Namespaces[ns] = v
		}
	}
	set(facts.NSNetwork, FieldNetworkMode, string(h.NetworkMode))
	set(facts.NSPid, FieldPidMode, string(h.PidMode))
	set(facts.NSIPC, FieldIpcMode, string(h.IpcMode))
	set(facts.NSUTS, FieldUTSMode, string(h.UTSMode))
	set(facts.NSUser, FieldUsernsMode, string(h.UsernsMode))
	set(facts.NSCgroup, FieldCgroupnsMode, string(h.CgroupnsMode))
}

// mounts decodes -v/--volume binds ("src:dst[:opts]"), --mount and --tmpfs.
// A bind's source is a host path when it starts with / (or . or ~ in
// compose, resolved by the source); anything else names a volume.
func (m *mapper) mounts(h *container.HostConfig) {
	out := m.out
	for i, b := range h.Binds {
		if _, ok := m.unknown(Item(FieldBinds, i)); ok {
			continue
		}
		mt := facts.Mount{At: m.at(Item(FieldBinds, i))}
		parts := strings.Split(b, ":")
		switch len(parts) {
		case 1:
			mt.Type, mt.Target = "volume", parts[0]
		default:
			mt.Source, mt.Target = parts[0], parts[1]
			mt.Type = "volume"
			if strings.HasPrefix(mt.Source, "/") {
				mt.Type = "bind"
			}
			if len(parts) > 2 {
				for _, o := range strings.Split(parts[2], ",") {
					switch o {
					case "ro", "readonly":
						mt.ReadOnly = true
					case "shared", "rshared", "slave", "rslave", "private", "rprivate":
						mt.Propagation = o
					}
				}
			}
		}
		out.Mounts = append(out.Mounts, mt)
	}
	for i, mm := range h.Mounts {
		if _, ok := m.unknown(Item(FieldMounts, i)); ok {
			continue
		}
		mt := facts.Mount{Type: string(mm.Type), Source: mm.Source, Target: mm.Target, ReadOnly: mm.ReadOnly, At: m.at(Item(FieldMounts, i))}
		if mm.BindOptions != nil {
			mt.Propagation = string(mm.BindOptions.Propagation)
		}
		if mm.Type == mount.TypeVolume && mm.VolumeOptions != nil && mm.VolumeOptions.DriverConfig != nil {
			// A local-driver volume with o=bind is a bind mount of device.
			opts := mm.VolumeOptions.DriverConfig.Options
			if LocalBind(mm.VolumeOptions.DriverConfig.Name, opts) {
				mt.Type, mt.Source = "bind", opts["device"]
			}
		}
		out.Mounts = append(out.Mounts, mt)
	}
	keys := make([]string, 0, len(h.Tmpfs))
	for k := range h.Tmpfs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Mounts = append(out.Mounts, facts.Mount{Type: "tmpfs", Target: k, At: m.at(Key(FieldTmpfs, k))})
	}
	for i := range out.Mounts {
		if out.Mounts[i].Type == "bind" {
			out.Mounts[i].Source = path.Clean(out.Mounts[i].Source)
		}
	}
}

// ports decodes published ports. An unspecified host IP (none, 0.0.0.0 or
// ::) publishes on every interface.
func (m *mapper) ports(h *container.HostConfig) {
	out := m.out
	keys := make([]string, 0, len(h.PortBindings))
	byKey := map[string][]facts.PublishedPort{}
	for p, binds := range h.PortBindings {
		k := p.String()
		if _, unknown := m.unknown(Key(FieldPortBindings, k)); unknown {
			continue
		}
		keys = append(keys, k)
		for _, b := range binds {
			pp := facts.PublishedPort{ContainerPort: int(p.Num()), EndPort: int(p.Num()), Proto: string(p.Proto()), At: m.at(Key(FieldPortBindings, k))}
			if b.HostIP.IsValid() {
				pp.HostIP = b.HostIP.String()
			}
			lo, hi, isRange := strings.Cut(b.HostPort, "-")
			pp.HostPort, _ = strconv.Atoi(lo)
			pp.HostPortEnd = pp.HostPort
			if isRange {
				pp.HostPortEnd, _ = strconv.Atoi(hi)
			}
			byKey[k] = append(byKey[k], pp)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Published = append(out.Published, byKey[k]...)
	}
	out.PublishAll = value(m, FieldPublishAllPorts, h.PublishAllPorts, h.PublishAllPorts)
}
