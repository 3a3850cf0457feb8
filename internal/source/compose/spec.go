package compose

import (
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// specBuilder turns one loaded service into the Engine API request
// `docker compose` would send for it, with positions from the index.
type specBuilder struct {
	ld      *loadState
	proj    *types.Project
	svc     types.ServiceConfig
	si      *serviceIndex
	workDir string
	env     env

	spec  *container.Spec
	out   *Service
	notes []facts.Note
	errs  []*inputs.Error
}

func (b *specBuilder) has(key string) bool {
	_, ok := b.si.keys[key]
	return ok
}

// mark records that field was written at key, and that it is unknown when
// a variable there has no value. It reports whether key was written.
func (b *specBuilder) mark(field, key string) bool {
	l, ok := b.si.keys[key]
	if !ok {
		return false
	}
	b.spec.At[field] = l.at
	if len(l.missing) > 0 {
		b.spec.Unknown[field] = missingMessage(attrName(key), l.missing)
	}
	return true
}

// markFrom records that field was written at key, and is unknown when a
// variable with no value is in one of the keys that decide it (a health
// check with an unknown interval is still a known health check).
func (b *specBuilder) markFrom(field, key string, decide ...string) bool {
	l, ok := b.si.keys[key]
	if !ok {
		return false
	}
	b.spec.At[field] = l.at
	delete(b.spec.Unknown, field)
	for _, d := range decide {
		if dl, ok := b.si.keys[d]; ok && len(dl.missing) > 0 {
			b.spec.Unknown[field] = missingMessage(d, dl.missing)
			return true
		}
	}
	return true
}

// markItem records where a list item or map entry was written (by its
// identity under key), falling back to the key itself.
func (b *specBuilder) markItem(field, key, id string) {
	if l, ok := b.si.keys[key+"#"+id]; ok {
		b.spec.At[field] = l.at
		if len(l.missing) > 0 {
			b.spec.Unknown[field] = missingMessage(l.label, l.missing)
		}
		return
	}
	if l, ok := b.si.keys[key]; ok {
		b.spec.At[field] = l.at
	}
}

func attrName(key string) string {
	k, _, _ := strings.Cut(key, "#")
	return k
}

func (b *specBuilder) note(at facts.Location, format string, args ...any) {
	b.notes = append(b.notes, facts.Note{At: at, Message: fmt.Sprintf(format, args...)})
}

func (b *specBuilder) keyAt(key string) facts.Location {
	if l, ok := b.si.keys[key]; ok {
		return l.at
	}
	return b.spec.Origin
}

func (b *specBuilder) build() *Service {
	s := b.svc
	origin := b.si.origin
	if origin.Path == "" {
		origin = facts.Location{Path: b.ld.display(b.ld.files[0].abs)}
	}
	b.spec = &container.Spec{
		Config:     &apicontainer.Config{},
		HostConfig: &apicontainer.HostConfig{},
		Subject:    facts.Subject{Kind: facts.SubjectService, Name: s.Name},
		Origin:     origin,
		At:         map[string]facts.Location{},
		Unknown:    map[string]string{},
	}
	b.out = &Service{Name: s.Name, Spec: b.spec, Profiles: s.Profiles, UsesSecrets: len(s.Secrets) > 0}
	c, h := b.spec.Config, b.spec.HostConfig

	c.Image = s.Image
	b.mark(container.FieldImage, "image")
	c.User = s.User
	b.mark(container.FieldUser, "user")
	if len(s.Entrypoint) > 0 || b.has("entrypoint") {
		c.Entrypoint = []string(s.Entrypoint)
		b.mark(container.FieldEntrypoint, "entrypoint")
	}
	if len(s.Command) > 0 || b.has("command") {
		c.Cmd = []string(s.Command)
		b.mark(container.FieldCmd, "command")
	}
	b.healthcheck()
	b.labels()
	b.environment()

	h.Privileged = s.Privileged
	b.mark(container.FieldPrivileged, "privileged")
	h.ReadonlyRootfs = s.ReadOnly
	b.mark(container.FieldReadonlyRootfs, "read_only")
	b.list(&h.CapAdd, s.CapAdd, container.FieldCapAdd, "cap_add", normalizeCap)
	b.list(&h.CapDrop, s.CapDrop, container.FieldCapDrop, "cap_drop", normalizeCap)
	b.list(&h.SecurityOpt, s.SecurityOpt, container.FieldSecurityOpt, "security_opt", nil)
	b.list(&h.DeviceCgroupRules, s.DeviceCgroupRules, container.FieldDeviceCgroupRules, "device_cgroup_rules", nil)
	b.resources()
	b.restart()

	h.NetworkMode = apicontainer.NetworkMode(s.NetworkMode)
	b.mark(container.FieldNetworkMode, "network_mode")
	h.PidMode = apicontainer.PidMode(s.Pid)
	b.mark(container.FieldPidMode, "pid")
	h.IpcMode = apicontainer.IpcMode(s.Ipc)
	b.mark(container.FieldIpcMode, "ipc")
	h.UTSMode = apicontainer.UTSMode(s.Uts)
	b.mark(container.FieldUTSMode, "uts")
	h.UsernsMode = apicontainer.UsernsMode(s.UserNSMode)
	b.mark(container.FieldUsernsMode, "userns_mode")
	h.CgroupnsMode = apicontainer.CgroupnsMode(s.Cgroup)
	b.mark(container.FieldCgroupnsMode, "cgroup")
	if s.NetworkMode == "" {
		b.spec.Networks = s.NetworksByPriority()
	}

	b.other()
	b.volumes()
	b.tmpfs()
	b.secretMounts()
	b.devices()
	b.ports()
	b.buildJoin()
	for _, field := range sortedKeys(b.spec.Unknown) {
		at, ok := b.spec.At[field]
		if !ok {
			at = b.spec.Origin
		}
		b.note(at, "%s", b.spec.Unknown[field])
	}
	return b.out
}

// other fills the rest of what compose sends to the Engine; no rule reads
// these yet, but the spec is the whole request.
func (b *specBuilder) other() {
	s, c, h := b.svc, b.spec.Config, b.spec.HostConfig
	c.Hostname, c.Domainname, c.WorkingDir = s.Hostname, s.DomainName, s.WorkingDir
	c.StopSignal = s.StopSignal
	c.Tty, c.OpenStdin = s.Tty, s.StdinOpen
	h.GroupAdd = append([]string(nil), s.GroupAdd...)
	h.VolumesFrom = append([]string(nil), s.VolumesFrom...)
	h.Links = append([]string(nil), s.Links...)
	h.ExtraHosts = s.ExtraHosts.AsList(":")
	h.DNSSearch = append([]string(nil), s.DNSSearch...)
	h.DNSOptions = append([]string(nil), s.DNSOpts...)
	if len(s.Sysctls) > 0 {
		h.Sysctls = map[string]string{}
		for k, v := range s.Sysctls {
			h.Sysctls[k] = v
			b.markItem(container.Key(container.FieldSysctls, k), "sysctls", k)
		}
	}
	h.Runtime = s.Runtime
	b.mark(container.FieldRuntime, "runtime")
	h.Init = s.Init
	h.ShmSize = int64(s.ShmSize)
	h.OomScoreAdj = int(s.OomScoreAdj)
	if s.OomKillDisable {
		t := true
		h.OomKillDisable = &t
	}
	h.CgroupParent = s.CgroupParent
	h.CpusetCpus = s.CPUSet
	h.Isolation = apicontainer.Isolation(s.Isolation)
	if s.Logging != nil {
		h.LogConfig = apicontainer.LogConfig{Type: s.Logging.Driver, Config: s.Logging.Options}
	}
}

// list copies a string list, with each item's position (found by its
// identity: id maps an item to it).
func (b *specBuilder) list(dst *[]string, src []string, field, key string, id func(string) string) {
	if len(src) == 0 && !b.has(key) {
		return
	}
	*dst = append([]string(nil), src...)
	b.mark(field, key)
	// The whole list is unknown only when the key's own value is a
	// variable; an unknown item is an item's business.
	if l, ok := b.si.keys[key]; ok && len(l.missing) > 0 && !b.itemsKnown(key) {
		b.spec.Unknown[field] = missingMessage(key, l.missing)
	} else {
		delete(b.spec.Unknown, field)
	}
	for i, v := range src {
		k := v
		if id != nil {
			k = id(v)
		}
		b.markItem(container.Item(field, i), key, k)
	}
}

// itemsKnown reports whether key has item positions, so that a variable
// with no value belongs to an item rather than to the whole list.
func (b *specBuilder) itemsKnown(key string) bool {
	for k := range b.si.keys {
		if strings.HasPrefix(k, key+"#") {
			return true
		}
	}
	return false
}

func (b *specBuilder) healthcheck() {
	hc := b.svc.HealthCheck
	if hc == nil {
		return
	}
	out := &apicontainer.HealthConfig{Test: []string(hc.Test)}
	if hc.Disable {
		out.Test = []string{"NONE"}
	}
	dur := func(d *types.Duration) time.Duration {
		if d == nil {
			return 0
		}
		return time.Duration(*d)
	}
	out.Interval, out.Timeout = dur(hc.Interval), dur(hc.Timeout)
	out.StartPeriod, out.StartInterval = dur(hc.StartPeriod), dur(hc.StartInterval)
	if hc.Retries != nil {
		out.Retries = int(*hc.Retries)
	}
	b.spec.Config.Healthcheck = out
	b.markFrom(container.FieldHealthcheck, "healthcheck", "healthcheck.test", "healthcheck.disable")
}

func (b *specBuilder) labels() {
	labels := map[string]string{}
	for k, v := range b.svc.Labels {
		labels[k] = v
	}
	for _, lf := range b.svc.LabelFiles {
		vars, at, ok := b.readMappingFile(lf, "", true, "label_file")
		if !ok {
			continue
		}
		for _, k := range sortedKeys(vars) {
			if _, set := labels[k]; set {
				continue // labels: wins over label_file
			}
			labels[k] = vars[k]
			b.spec.At[container.Key(container.FieldLabels, k)] = at[k]
		}
	}
	if len(labels) == 0 {
		return
	}
	b.spec.Config.Labels = labels
	for k := range b.svc.Labels {
		b.markItem(container.Key(container.FieldLabels, k), "labels", k)
	}
}

// environment puts env_file contents, then environment, in Config.Env,
// the way compose resolves them: environment wins over env_file.
func (b *specBuilder) environment() {
	type kv struct {
		name, value string
		set         bool
		field       facts.Location
		unknown     string
	}
	var fromFiles []kv
	index := map[string]int{}
	for _, ef := range b.svc.EnvFiles {
		lookup := func(k string) (string, bool) {
			if v, ok := b.env[k]; ok {
				return v, true
			}
			if v, ok := b.svc.Environment[k]; ok && v != nil {
				return *v, true
			}
			return "", false
		}
		vars, at, ok := b.readMappingFileLookup(ef.Path, ef.Format, bool(ef.Required), "env_file", lookup)
		if !ok {
			continue
		}
		names := sortedKeys(vars)
		sort.SliceStable(names, func(i, j int) bool { return at[names[i]].Line < at[names[j]].Line })
		for _, n := range names {
			b.out.EnvFiles = append(b.out.EnvFiles, facts.EnvVar{Name: n, Value: vars[n], At: at[n]})
			e := kv{name: n, value: vars[n], set: true, field: at[n]}
			if i, ok := index[n]; ok {
				fromFiles[i] = e
			} else {
				index[n] = len(fromFiles)
				fromFiles = append(fromFiles, e)
			}
		}
	}
	var own []kv
	for _, n := range sortedKeys(b.svc.Environment) {
		v := b.svc.Environment[n]
		e := kv{name: n, set: v != nil, field: b.keyAt("environment")}
		if v != nil {
			e.value = *v
		}
		if l, ok := b.si.keys["environment#"+n]; ok {
			e.field = l.at
			if len(l.missing) > 0 {
				e.unknown = missingMessage(l.label, l.missing)
			}
		}
		if v == nil && e.unknown == "" {
			e.unknown = "environment: " + n + " is listed without a value and the environment has none"
		}
		own = append(own, e)
		if i, ok := index[n]; ok {
			fromFiles[i].name = "" // overridden
		}
	}
	sort.SliceStable(own, func(i, j int) bool {
		a, b := own[i].field, own[j].field
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	for _, e := range append(fromFiles, own...) {
		if e.name == "" {
			continue
		}
		i := len(b.spec.Config.Env)
		if e.set {
			b.spec.Config.Env = append(b.spec.Config.Env, e.name+"="+e.value)
		} else {
			b.spec.Config.Env = append(b.spec.Config.Env, e.name)
		}
		b.spec.At[container.Item(container.FieldEnv, i)] = e.field
		if e.unknown != "" {
			b.spec.Unknown[container.Item(container.FieldEnv, i)] = e.unknown
		}
	}
	if len(b.spec.Config.Env) > 0 {
		b.mark(container.FieldEnv, "environment")
		delete(b.spec.Unknown, container.FieldEnv)
	}
}

func (b *specBuilder) resources() {
	s, h := b.svc, b.spec.HostConfig
	var limits *types.Resource
	if s.Deploy != nil {
		limits = s.Deploy.Resources.Limits
	}
	const lim = "deploy.resources.limits."
	// Service-level keys first; deploy limits apply when they are absent.
	switch {
	case s.MemLimit != 0 || b.has("mem_limit"):
		h.Memory = int64(s.MemLimit)
		b.mark(container.FieldMemory, "mem_limit")
		if limits != nil && limits.MemoryBytes != 0 && limits.MemoryBytes != s.MemLimit {
			b.note(b.keyAt(lim+"memory"), "mem_limit and deploy.resources.limits.memory differ: docker compose refuses the service")
		}
	case limits != nil && (limits.MemoryBytes != 0 || b.has(lim+"memory")):
		h.Memory = int64(limits.MemoryBytes)
		b.mark(container.FieldMemory, lim+"memory")
	}
	h.MemorySwap = int64(s.MemSwapLimit)
	b.mark(container.FieldMemorySwap, "memswap_limit")
	h.MemoryReservation = int64(s.MemReservation)
	if h.MemoryReservation == 0 && s.Deploy != nil && s.Deploy.Resources.Reservations != nil {
		h.MemoryReservation = int64(s.Deploy.Resources.Reservations.MemoryBytes)
	}
	switch {
	case s.CPUS != 0 || b.has("cpus"):
		h.NanoCPUs = nanoCPUs(s.CPUS)
		b.mark(container.FieldNanoCPUs, "cpus")
	case limits != nil && (limits.NanoCPUs != 0 || b.has(lim+"cpus")):
		h.NanoCPUs = nanoCPUs(limits.NanoCPUs.Value())
		b.mark(container.FieldNanoCPUs, lim+"cpus")
	}
	h.CPUShares = s.CPUShares
	b.mark(container.FieldCPUShares, "cpu_shares")
	h.CPUPeriod = s.CPUPeriod
	b.mark(container.FieldCPUPeriod, "cpu_period")
	h.CPUQuota = s.CPUQuota
	b.mark(container.FieldCPUQuota, "cpu_quota")
	switch {
	case s.PidsLimit != 0 || b.has("pids_limit"):
		n := s.PidsLimit
		h.PidsLimit = &n
		b.mark(container.FieldPidsLimit, "pids_limit")
	case limits != nil && (limits.Pids != 0 || b.has(lim+"pids")):
		n := limits.Pids
		h.PidsLimit = &n
		b.mark(container.FieldPidsLimit, lim+"pids")
	}
	for i, name := range sortedKeys(s.Ulimits) {
		u := s.Ulimits[name]
		if u == nil {
			continue
		}
		soft, hard := u.Soft, u.Hard
		if u.Single != 0 {
			soft, hard = u.Single, u.Single
		}
		h.Ulimits = append(h.Ulimits, &apicontainer.Ulimit{Name: name, Soft: int64(soft), Hard: int64(hard)})
		b.markItem(container.Item(container.FieldUlimits, i), "ulimits", name)
	}
	b.mark(container.FieldUlimits, "ulimits")
	delete(b.spec.Unknown, container.FieldUlimits)
}

// nanoCPUs converts a CPU count to the Engine's billionths exactly, as
// `docker run --cpus 1.1` would (1100000000, not float rounding noise).
func nanoCPUs(cpus float32) int64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(float64(cpus), 'f', -1, 32))
	if !ok {
		return int64(float64(cpus) * 1e9)
	}
	r.Mul(r, big.NewRat(1e9, 1))
	if !r.IsInt() {
		f, _ := r.Float64()
		return int64(f)
	}
	return r.Num().Int64()
}

// restart maps restart and deploy.restart_policy to the Engine's names,
// as compose does (deploy.restart_policy wins; any → always, none → no).
func (b *specBuilder) restart() {
	s, h := b.svc, b.spec.HostConfig
	if s.Restart != "" || b.has("restart") {
		name, count, _ := strings.Cut(s.Restart, ":")
		n, _ := strconv.Atoi(count)
		h.RestartPolicy = apicontainer.RestartPolicy{Name: restartName(name), MaximumRetryCount: n}
		b.mark(container.FieldRestartPolicy, "restart")
	}
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		p := s.Deploy.RestartPolicy
		rp := apicontainer.RestartPolicy{Name: restartName(p.Condition)}
		if p.MaxAttempts != nil {
			rp.MaximumRetryCount = int(*p.MaxAttempts)
		}
		h.RestartPolicy = rp
		delete(b.spec.Unknown, container.FieldRestartPolicy)
		b.markFrom(container.FieldRestartPolicy, "deploy.restart_policy", "deploy.restart_policy.condition", "deploy.restart_policy.max_attempts")
	}
}

func restartName(condition string) apicontainer.RestartPolicyMode {
	switch condition {
	case "none", "no":
		return apicontainer.RestartPolicyDisabled
	case "any", "always":
		return apicontainer.RestartPolicyAlways
	}
	return apicontainer.RestartPolicyMode(condition)
}

// volumes maps volumes: the short syntax to Binds ("src:dst:opts", as
// `docker run -v`), the long syntax to Mounts; a named volume the local
// driver binds from a host path (driver_opts o=bind, device) to a volume
// Mount with its driver options, which the mapper reads as a bind.
func (b *specBuilder) volumes() {
	h := b.spec.HostConfig
	for _, v := range b.svc.Volumes {
		target := path.Clean(v.Target)
		l, hasPos := b.si.keys["volumes#"+target]
		short := !hasPos || l.short
		var field string
		switch {
		case v.Type == types.VolumeTypeVolume && v.Source != "" && b.localBind(v.Source) != nil:
			m := mount.Mount{Type: mount.TypeVolume, Source: v.Source, Target: target, ReadOnly: v.ReadOnly,
				VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: "local", Options: b.localBind(v.Source)}}}
			field = container.Item(container.FieldMounts, len(h.Mounts))
			h.Mounts = append(h.Mounts, m)
		case short && (v.Type == types.VolumeTypeBind || v.Type == types.VolumeTypeVolume && v.Source != ""):
			field = container.Item(container.FieldBinds, len(h.Binds))
			h.Binds = append(h.Binds, bindString(v, target))
		default:
			m := mount.Mount{Type: mount.Type(v.Type), Source: v.Source, Target: target, ReadOnly: v.ReadOnly}
			switch v.Type {
			case types.VolumeTypeBind:
				if v.Bind != nil {
					m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation), CreateMountpoint: bool(v.Bind.CreateHostPath)}
				}
			case types.VolumeTypeVolume:
				if v.Volume != nil {
					m.VolumeOptions = &mount.VolumeOptions{NoCopy: v.Volume.NoCopy, Subpath: v.Volume.Subpath}
				}
			case types.VolumeTypeTmpfs:
				m.Source = ""
				if v.Tmpfs != nil {
					m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
				}
			}
			field = container.Item(container.FieldMounts, len(h.Mounts))
			h.Mounts = append(h.Mounts, m)
		}
		b.markItem(field, "volumes", target)
	}
}

func bindString(v types.ServiceVolumeConfig, target string) string {
	opts := []string{"rw"}
	if v.ReadOnly {
		opts[0] = "ro"
	}
	if v.Bind != nil {
		if v.Bind.SELinux != "" {
			opts = append(opts, v.Bind.SELinux)
		}
		if v.Bind.Propagation != "" {
			opts = append(opts, v.Bind.Propagation)
		}
	}
	if v.Volume != nil && v.Volume.NoCopy {
		opts = append(opts, "nocopy")
	}
	return v.Source + ":" + target + ":" + strings.Join(opts, ",")
}

// localBind returns the driver options of a top-level volume that the
// local driver binds from a host path, or nil.
func (b *specBuilder) localBind(name string) map[string]string {
	vol, ok := b.proj.Volumes[name]
	if !ok || bool(vol.External) || vol.Driver != "" && vol.Driver != "local" {
		return nil
	}
	o := vol.DriverOpts["o"]
	if !strings.Contains(","+o+",", ",bind,") || vol.DriverOpts["device"] == "" {
		return nil
	}
	opts := map[string]string{}
	for k, v := range vol.DriverOpts {
		opts[k] = v
	}
	if dev := opts["device"]; !filepath.IsAbs(dev) {
		opts["device"] = absUnder(b.workDir, dev)
	}
	return opts
}

func (b *specBuilder) tmpfs() {
	if len(b.svc.Tmpfs) == 0 {
		return
	}
	h := b.spec.HostConfig
	h.Tmpfs = map[string]string{}
	for _, t := range b.svc.Tmpfs {
		target, opts, _ := strings.Cut(t, ":")
		h.Tmpfs[target] = opts
		b.markItem(container.Key(container.FieldTmpfs, target), "tmpfs", target)
	}
}

// secretMounts adds the read-only bind mounts compose makes for file
// secrets and configs (/run/secrets/<name>, /<name>).
func (b *specBuilder) secretMounts() {
	h := b.spec.HostConfig
	add := func(key, file, target string) {
		if file == "" {
			return
		}
		b.spec.At[container.Item(container.FieldMounts, len(h.Mounts))] = b.keyAt(key)
		h.Mounts = append(h.Mounts, mount.Mount{Type: mount.TypeBind, Source: file, Target: target, ReadOnly: true})
	}
	for _, s := range b.svc.Secrets {
		def, ok := b.proj.Secrets[s.Source]
		if !ok || bool(def.External) || def.Environment != "" || def.Content != "" {
			continue
		}
		target := s.Target
		if target == "" {
			target = "/run/secrets/" + s.Source
		} else if !strings.HasPrefix(target, "/") {
			target = "/run/secrets/" + target
		}
		add("secrets", def.File, target)
	}
	for _, c := range b.svc.Configs {
		def, ok := b.proj.Configs[c.Source]
		if !ok || bool(def.External) || def.Environment != "" || def.Content != "" {
			continue
		}
		target := c.Target
		if target == "" {
			target = "/" + c.Source
		} else if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		add("configs", def.File, target)
	}
}

func (b *specBuilder) devices() {
	h := b.spec.HostConfig
	for i, d := range b.svc.Devices {
		perm := d.Permissions
		if perm == "" {
			perm = "rwm"
		}
		h.Devices = append(h.Devices, apicontainer.DeviceMapping{PathOnHost: d.Source, PathInContainer: d.Target, CgroupPermissions: perm})
		b.markItem(container.Item(container.FieldDevices, i), "devices", d.Target)
	}
}

// maxExposeRange caps the ports one `expose` range adds.
const maxExposeRange = 1 << 16

func (b *specBuilder) ports() {
	c, h := b.spec.Config, b.spec.HostConfig
	expose := func(p network.Port) {
		if c.ExposedPorts == nil {
			c.ExposedPorts = network.PortSet{}
		}
		c.ExposedPorts[p] = struct{}{}
	}
	for _, pc := range b.svc.Ports {
		proto := strings.ToLower(pc.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		if pc.Target > 65535 {
			continue
		}
		p, ok := network.PortFrom(uint16(pc.Target), network.IPProtocol(proto))
		if !ok {
			continue
		}
		bind := network.PortBinding{HostPort: pc.Published}
		if pc.HostIP != "" {
			addr, err := netip.ParseAddr(strings.Trim(pc.HostIP, "[]"))
			if err != nil {
				b.note(b.portAt(p), "ports: host_ip %q is not an IP address: judged as all interfaces", pc.HostIP)
			} else {
				bind.HostIP = addr
			}
		}
		if h.PortBindings == nil {
			h.PortBindings = network.PortMap{}
		}
		h.PortBindings[p] = append(h.PortBindings[p], bind)
		expose(p)
		key := container.Key(container.FieldPortBindings, p.String())
		b.markItem(key, "ports", portID(pc.Target, proto))
		if at, ok := b.spec.At[key]; ok {
			b.spec.At[container.Key(container.FieldExposedPorts, p.String())] = at
		}
	}
	for _, e := range b.svc.Expose {
		pr, err := network.ParsePortRange(e)
		if err != nil || int(pr.End())-int(pr.Start()) >= maxExposeRange {
			b.note(b.keyAt("expose"), "expose: %q is not a port or port range", e)
			continue
		}
		for p := range pr.All() {
			expose(p)
			if k := container.Key(container.FieldExposedPorts, p.String()); b.has("expose") {
				if _, ok := b.spec.At[k]; !ok {
					b.spec.At[k] = b.keyAt("expose")
				}
			}
		}
	}
	if !b.mark(container.FieldExposedPorts, "expose") {
		b.mark(container.FieldExposedPorts, "ports")
	}
	delete(b.spec.Unknown, container.FieldExposedPorts)
}

func (b *specBuilder) portAt(p network.Port) facts.Location {
	if l, ok := b.si.keys["ports#"+p.String()]; ok {
		return l.at
	}
	return b.keyAt("ports")
}

// networks lists the project's networks with their isolation settings.
func networks(cp *types.Project, sc *scope, first *yamlFile) map[string]*facts.Network {
	out := map[string]*facts.Network{}
	for name, n := range cp.Networks {
		fn := &facts.Network{Name: name, Internal: n.Internal, External: bool(n.External), Driver: n.Driver, At: facts.Location{Path: first.display}}
		if l, ok := sc.networks[name]; ok {
			fn.At = l.at
		}
		if v, ok := n.DriverOpts["com.docker.network.bridge.enable_icc"]; ok {
			at := fn.At
			l, hasPos := sc.networks[name+"#icc"]
			if hasPos {
				at = l.at
			}
			switch on, err := strconv.ParseBool(v); {
			case hasPos && len(l.missing) > 0:
				fn.ICC = facts.UnknownBecause[bool](at, missingMessage("networks."+name+".driver_opts.com.docker.network.bridge.enable_icc", l.missing))
			case err != nil:
				fn.ICC = facts.UnknownBecause[bool](at, fmt.Sprintf("com.docker.network.bridge.enable_icc: %q is not a boolean", v))
			default:
				fn.ICC = facts.SetAt(on, at)
			}
		}
		out[name] = fn
	}
	return out
}
