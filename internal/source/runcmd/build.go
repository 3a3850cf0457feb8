package runcmd

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/opts"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// builder turns one recognized command's flags into a Spec.
type builder struct {
	cmd  *facts.Command
	inv  *invocation
	spec *container.Spec
	c    *api.Config
	h    *api.HostConfig

	notes []facts.Note
	help  bool

	env      []envItem // -e, in order
	fileEnv  []envItem // --env-file contents, in order
	envAt    *facts.Location
	hc       healthFlags
	restart  *token
	restartN bool // --restart was given and is not "no"
	rm       bool
	networks int
	bindings int
	exposed  int
	cwd      string
	cwdErr   error
}

type envItem struct {
	text    string
	at      facts.Location
	unknown string
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

func newBuilder(cmd *facts.Command, inv *invocation) *builder {
	c := &api.Config{}
	h := &api.HostConfig{}
	b := &builder{cmd: cmd, inv: inv, c: c, h: h}
	b.spec = &container.Spec{
		Config:     c,
		HostConfig: h,
		Origin:     cmd.At,
		Engine:     inv.engine,
		Rootless:   inv.engine == "podman" && !inv.rootful,
		At:         map[string]facts.Location{},
		Unknown:    map[string]string{},
	}
	b.notes = append(b.notes, inv.notes...)
	return b
}

func (b *builder) errorf(at facts.Location, format string, args ...any) *Error {
	return &Error{At: at, Msg: b.inv.tool + " " + b.inv.sub + ": " + fmt.Sprintf(format, args...)}
}

func (b *builder) build() error {
	words := b.cmd.Args[b.inv.start:]
	lit := literals(b.cmd, b.inv.start)
	sc := b.inv.table.parseFlags(words, lit)
	if sc.err != nil {
		return b.errorf(wordAt(b.cmd, b.inv.start, sc.errWord), "%v", sc.err)
	}
	for _, d := range sc.dropped {
		b.notes = append(b.notes, facts.Note{At: b.cmd.WordAt(b.inv.start + d),
			Message: fmt.Sprintf("%q names flags with a variable; the flags it holds were not seen", words[d])})
	}
	for _, t := range sc.tokens {
		if t.def.name == "help" {
			if v, err := strconv.ParseBool(t.value); err == nil && v {
				b.help = true
				return nil
			}
		}
	}
	for _, t := range sc.tokens {
		if err := b.flag(t); err != nil {
			return err
		}
	}
	if len(sc.pos) == 0 {
		return b.errorf(b.cmd.WordAt(b.inv.subWord), "%q requires at least 1 argument: the image", b.inv.tool+" "+b.inv.sub)
	}
	b.image(sc.pos)
	return b.finish()
}

// at returns where a token's flag was written.
func (b *builder) at(t token) facts.Location { return wordAt(b.cmd, b.inv.start, t.word) }

// literal reports whether a token's value is known before the command runs.
func (b *builder) literal(t token) bool {
	if t.vword < 0 {
		return !strings.ContainsAny(t.value, "$`")
	}
	return literalAt(b.cmd, b.inv.start+t.vword)
}

// why says why a value is unknown.
func why(t token, value string) string {
	what := "a variable"
	if strings.Contains(value, "$(") || strings.Contains(value, "`") {
		what = "a command substitution"
	}
	return fmt.Sprintf("%s %q depends on %s", t.spelled, value, what)
}

// set records where a field was written; the last flag wins, as for the
// value.
func (b *builder) set(field string, at facts.Location) {
	b.spec.At[field] = at
	delete(b.spec.Unknown, field)
}

// first records where a list field was first written.
func (b *builder) first(field string, at facts.Location) {
	if _, ok := b.spec.At[field]; !ok {
		b.spec.At[field] = at
	}
}

func (b *builder) unknown(field string, at facts.Location, reason string) {
	b.spec.At[field] = at
	b.spec.Unknown[field] = reason
}

func display(d *flagDef) string {
	if d.short != 0 {
		return "-" + string(d.short) + ", --" + d.name
	}
	return "--" + d.name
}

func (b *builder) invalid(t token, value string, err error) *Error {
	return b.errorf(b.at(t), "invalid argument %q for %q flag: %v", value, display(t.def), err)
}

// checkKind rejects values the CLI's own flag types reject.
func (b *builder) checkKind(d *flagDef, v string) error {
	var err error
	switch d.kind {
	case vBool:
		_, err = strconv.ParseBool(v)
	case vInt:
		_, err = strconv.ParseInt(v, 0, 64)
	case vUint:
		_, err = strconv.ParseUint(v, 0, 64)
	case vUint16:
		_, err = strconv.ParseUint(v, 0, 16)
	case vDuration:
		_, err = time.ParseDuration(v)
	case vIP:
		if net.ParseIP(strings.TrimSpace(v)) == nil {
			err = fmt.Errorf("failed to parse IP: %q", v)
		}
	case vBytes:
		_, err = units.RAMInBytes(v)
	case vSwap:
		if v != "-1" {
			_, err = units.RAMInBytes(v)
		}
	case vCPUs:
		_, err = b.cpus(v)
	}
	return err
}

func (b *builder) cpus(v string) (int64, error) {
	n, err := opts.ParseCPUs(v)
	if err != nil && b.inv.engine == "podman" {
		// Podman's --cpus is a float.
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && f >= -9e9 && f <= 9e9 {
			return int64(f * 1e9), nil
		}
	}
	return n, err
}

func parseInt(v string) int64 {
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil {
		u, _ := strconv.ParseUint(v, 0, 64)
		n = int64(u)
	}
	return n
}

func parseBool(v string) bool {
	x, _ := strconv.ParseBool(v)
	return x
}

// flag applies one flag occurrence.
func (b *builder) flag(t token) error {
	lit := b.literal(t)
	values := []string{t.value}
	if t.def.split && lit {
		// Podman's string-slice flags take comma-separated lists.
		r := csv.NewReader(strings.NewReader(t.value))
		vs, err := r.Read()
		if err != nil {
			return b.invalid(t, t.value, err)
		}
		values = vs
	}
	for _, v := range values {
		if lit && t.def.kind != vString {
			if err := b.checkKind(t.def, v); err != nil {
				return b.invalid(t, v, err)
			}
		}
		if err := b.apply(t, v, lit); err != nil {
			return err
		}
	}
	return nil
}

// scalar sets a field the mapper reads: its value when it is known, or
// why it is not.
func (b *builder) scalar(field string, t token, v string, lit bool, setValue func()) {
	at := b.at(t)
	if !lit {
		b.unknown(field, at, why(t, v))
		return
	}
	b.set(field, at)
	setValue()
}

var deviceCgroupRule = regexp.MustCompile(`^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$`)

func (b *builder) apply(t token, v string, lit bool) error {
	c, h := b.c, b.h
	at := b.at(t)
	docker := b.inv.engine == "docker"
	switch t.def.key() {
	// Identity and process.
	case "user":
		b.scalar(container.FieldUser, t, v, lit, func() { c.User = v })
	case "name":
		b.spec.Subject = facts.Subject{Kind: facts.SubjectContainer, Name: v}
	case "entrypoint":
		b.scalar(container.FieldEntrypoint, t, v, lit, func() { c.Entrypoint = []string{v} })
	case "workdir":
		c.WorkingDir = v
	case "hostname":
		c.Hostname = v
	case "domainname":
		c.Domainname = v
	case "stop-signal":
		c.StopSignal = v
	case "stop-timeout":
		if lit {
			n := int(parseInt(v))
			c.StopTimeout = &n
		}
	case "tty":
		c.Tty = lit && parseBool(v)
	case "interactive":
		c.OpenStdin = lit && parseBool(v)
	case "attach":
		if lit && docker {
			switch strings.ToLower(v) {
			case "stdin", "stdout", "stderr":
			default:
				return b.invalid(t, v, errors.New("valid streams are STDIN, STDOUT and STDERR"))
			}
		}
	case "label":
		return b.label(t, v, lit)
	case "env":
		return b.envFlag(t, v, lit)
	case "env-file":
		return b.envFile(t, v, lit)
	case "env-host":
		if !lit || parseBool(v) {
			b.notes = append(b.notes, facts.Note{At: at, Message: "--env-host copies every environment variable of the host into the container; they were not audited"})
		}

	// Privileges.
	case "privileged":
		b.scalar(container.FieldPrivileged, t, v, lit, func() { h.Privileged = parseBool(v) })
	case "cap-add":
		b.listItem(container.FieldCapAdd, &h.CapAdd, t, v, lit)
	case "cap-drop":
		b.listItem(container.FieldCapDrop, &h.CapDrop, t, v, lit)
	case "security-opt":
		if lit {
			k, val, ok := strings.Cut(v, "=")
			if !ok && k != "no-new-privileges" {
				k, val, ok = strings.Cut(v, ":")
			}
			if (!ok || val == "") && k != "no-new-privileges" {
				return b.errorf(at, "invalid --security-opt: %q", v)
			}
		}
		b.listItem(container.FieldSecurityOpt, &h.SecurityOpt, t, v, lit)
	case "read-only":
		b.scalar(container.FieldReadonlyRootfs, t, v, lit, func() { h.ReadonlyRootfs = parseBool(v) })
	case "group-add":
		h.GroupAdd = append(h.GroupAdd, v)
	case "runtime":
		h.Runtime = v
	case "isolation":
		h.Isolation = api.Isolation(v)
	case "init":
		if lit {
			x := parseBool(v)
			h.Init = &x
		}
	case "rm":
		h.AutoRemove = lit && parseBool(v)
		b.rm = h.AutoRemove
	case "disable-content-trust":
		switch {
		case !lit:
			b.spec.DisableContentTrust = facts.UnknownBecause[bool](at, why(t, v))
		case parseBool(v):
			b.spec.DisableContentTrust = facts.SetAt(true, at)
		default:
			b.spec.DisableContentTrust = facts.Value[bool]{}
		}

	// Resources.
	case "memory":
		b.scalar(container.FieldMemory, t, v, lit, func() { h.Memory, _ = units.RAMInBytes(v) })
	case "memory-swap":
		b.scalar(container.FieldMemorySwap, t, v, lit, func() {
			if v == "-1" {
				h.MemorySwap = -1
			} else {
				h.MemorySwap, _ = units.RAMInBytes(v)
			}
		})
	case "memory-reservation":
		if lit {
			h.MemoryReservation, _ = units.RAMInBytes(v)
		}
	case "memory-swappiness":
		if lit {
			n := parseInt(v)
			if n != -1 && (n < 0 || n > 100) {
				return b.errorf(at, "invalid value: %d. Valid memory swappiness range is 0-100", n)
			}
			h.MemorySwappiness = &n
		}
	case "kernel-memory":
		// Deprecated and ignored by Docker.
	case "shm-size":
		if lit {
			h.ShmSize, _ = units.RAMInBytes(v)
		}
	case "oom-kill-disable":
		if lit {
			x := parseBool(v)
			h.OomKillDisable = &x
			b.set("HostConfig.OomKillDisable", at)
		}
	case "oom-score-adj":
		if lit {
			n := parseInt(v)
			if n < -1000 || n > 1000 {
				return b.errorf(at, "invalid value %d, range for oom score adj is [-1000, 1000]", n)
			}
			h.OomScoreAdj = int(n)
		}
	case "cpu-shares":
		b.scalar(container.FieldCPUShares, t, v, lit, func() { h.CPUShares = parseInt(v) })
	case "cpus":
		b.scalar(container.FieldNanoCPUs, t, v, lit, func() { h.NanoCPUs, _ = b.cpus(v) })
	case "cpu-period":
		b.scalar(container.FieldCPUPeriod, t, v, lit, func() { h.CPUPeriod = parseInt(v) })
	case "cpu-quota":
		b.scalar(container.FieldCPUQuota, t, v, lit, func() { h.CPUQuota = parseInt(v) })
	case "cpu-rt-period":
		litInt(lit, v, &h.CPURealtimePeriod)
	case "cpu-rt-runtime":
		litInt(lit, v, &h.CPURealtimeRuntime)
	case "cpu-count":
		litInt(lit, v, &h.CPUCount)
	case "cpu-percent":
		litInt(lit, v, &h.CPUPercent)
	case "cpuset-cpus":
		h.CpusetCpus = v
	case "cpuset-mems":
		h.CpusetMems = v
	case "cgroup-parent":
		h.CgroupParent = v
	case "blkio-weight":
		if lit {
			h.BlkioWeight = uint16(parseInt(v))
		}
	case "blkio-weight-device":
		if lit && docker {
			if _, err := opts.ValidateWeightDevice(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
	case "device-read-bps", "device-write-bps":
		if lit && docker {
			if _, err := opts.ValidateThrottleBpsDevice(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
	case "device-read-iops", "device-write-iops":
		if lit && docker {
			if _, err := opts.ValidateThrottleIOpsDevice(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
	case "pids-limit":
		b.scalar(container.FieldPidsLimit, t, v, lit, func() {
			n := parseInt(v)
			h.PidsLimit = &n
		})
	case "restart":
		return b.restartFlag(t, v, lit)
	case "ulimit":
		return b.ulimit(t, v, lit)
	case "sysctl":
		if lit && docker {
			if _, err := opts.ValidateSysctl(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
		k, val, _ := strings.Cut(v, "=")
		if h.Sysctls == nil {
			h.Sysctls = map[string]string{}
		}
		h.Sysctls[k] = val
		b.set(container.Key("HostConfig.Sysctls", k), at)
	case "storage-opt":
		if !docker {
			break // Podman's --storage-opt is a global flag: storage driver options.
		}
		k, val, ok := strings.Cut(v, "=")
		if lit && !ok {
			return b.errorf(at, "invalid storage option")
		}
		if h.StorageOpt == nil {
			h.StorageOpt = map[string]string{}
		}
		h.StorageOpt[k] = val
	case "umask":
		if lit && docker {
			if _, err := strconv.ParseUint(v, 8, 32); err != nil {
				return b.invalid(t, v, err)
			}
		}
	case "annotation":
		k, val, _ := strings.Cut(v, "=")
		if h.Annotations == nil {
			h.Annotations = map[string]string{}
		}
		h.Annotations[k] = val

	// Namespaces.
	case "network":
		return b.network(t, v, lit)
	case "pid":
		if lit && docker && !api.PidMode(v).Valid() {
			return b.errorf(at, "--pid: invalid PID mode")
		}
		b.scalar(container.FieldPidMode, t, v, lit, func() { h.PidMode = api.PidMode(v) })
	case "ipc":
		b.scalar(container.FieldIpcMode, t, v, lit, func() { h.IpcMode = api.IpcMode(v) })
	case "uts":
		if lit && docker && !api.UTSMode(v).Valid() {
			return b.errorf(at, "--uts: invalid UTS mode")
		}
		b.scalar(container.FieldUTSMode, t, v, lit, func() { h.UTSMode = api.UTSMode(v) })
	case "userns":
		if lit && docker && !api.UsernsMode(v).Valid() {
			return b.errorf(at, "--userns: invalid USER mode")
		}
		b.scalar(container.FieldUsernsMode, t, v, lit, func() { h.UsernsMode = api.UsernsMode(v) })
	case "cgroupns":
		if lit && docker && !api.CgroupnsMode(v).Valid() {
			return b.errorf(at, "--cgroupns: invalid CGROUP mode")
		}
		b.scalar(container.FieldCgroupnsMode, t, v, lit, func() { h.CgroupnsMode = api.CgroupnsMode(v) })

	// Filesystem and devices.
	case "volume":
		return b.volume(t, v, lit)
	case "mount":
		return b.mount(t, v, lit)
	case "tmpfs":
		return b.tmpfs(t, v, lit)
	case "volumes-from":
		h.VolumesFrom = append(h.VolumesFrom, v)
	case "device":
		return b.device(t, v, lit)
	case "device-cgroup-rule":
		if lit && !deviceCgroupRule.MatchString(v) {
			return b.invalid(t, v, fmt.Errorf("invalid device cgroup format '%s'", v))
		}
		b.listItem(container.FieldDeviceCgroupRules, &h.DeviceCgroupRules, t, v, lit)
	case "gpus":
		if !lit {
			break
		}
		var g opts.GpuOpts
		if err := g.Set(v); err != nil {
			return b.invalid(t, v, err)
		}
		h.DeviceRequests = append(h.DeviceRequests, g.Value()...)

	// Network and ports.
	case "publish":
		return b.publish(t, v, lit)
	case "publish-all":
		b.scalar(container.FieldPublishAllPorts, t, v, lit, func() { h.PublishAllPorts = parseBool(v) })
	case "expose":
		return b.expose(t, v, lit)
	case "dns":
		if lit && docker {
			if _, err := opts.ValidateIPAddress(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
	case "dns-search":
		if lit && docker {
			if _, err := opts.ValidateDNSSearch(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
	case "add-host":
		if lit && docker {
			if _, err := opts.ValidateExtraHost(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
		h.ExtraHosts = append(h.ExtraHosts, v)
	case "link":
		if lit && docker {
			if _, err := opts.ValidateLink(v); err != nil {
				return b.invalid(t, v, err)
			}
		}
		h.Links = append(h.Links, v)
	case "mac-address":
		if lit {
			if _, err := net.ParseMAC(strings.TrimSpace(v)); err != nil {
				return b.errorf(at, "%s is not a valid mac address", v)
			}
		}
	case "log-driver":
		h.LogConfig.Type = v
	case "log-opt":
		k, val, _ := strings.Cut(v, "=")
		if h.LogConfig.Config == nil {
			h.LogConfig.Config = map[string]string{}
		}
		h.LogConfig.Config[k] = val
	case "cidfile":
		h.ContainerIDFile = v

	// Health check.
	case "health-cmd":
		b.health(at)
		b.hc.cmd, b.hc.cmdSet = v, v != ""
		if !docker && strings.EqualFold(v, "none") {
			b.hc.none, b.hc.cmdSet, b.hc.noneAt = true, false, at
		}
	case "no-healthcheck":
		if !lit || parseBool(v) {
			b.health(at)
			b.hc.none, b.hc.noneAt = true, at
		}
	case "health-interval", "health-timeout", "health-start-period", "health-start-interval", "health-retries":
		b.healthSetting(t, v, lit)
	}
	return nil
}

// listItem appends one item to a list field with its position.
func (b *builder) listItem(field string, list *[]string, t token, v string, lit bool) {
	at := b.at(t)
	k := len(*list)
	*list = append(*list, v)
	b.first(field, at)
	b.spec.At[container.Item(field, k)] = at
	if !lit {
		b.spec.Unknown[container.Item(field, k)] = why(t, v)
	}
}

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

// ulimitNames are the resource names Docker accepts (go-units).
var ulimitNames = map[string]bool{
	"core": true, "cpu": true, "data": true, "fsize": true, "locks": true, "memlock": true,
	"msgqueue": true, "nice": true, "nofile": true, "nproc": true, "rss": true, "rtprio": true,
	"rttime": true, "sigpending": true, "stack": true,
}

// ulimit reads name=soft[:hard]. A soft limit above the hard limit is kept,
// not refused: it is what the ulimits rule reports. `cpu` is CPU seconds.
func (b *builder) ulimit(t token, v string, lit bool) error {
	at := b.at(t)
	u, err := parseUlimit(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldUlimits, v), at, why(t, v))
			return nil
		}
		return b.invalid(t, v, err)
	}
	b.first(container.FieldUlimits, at)
	k := len(b.h.Ulimits)
	for i, old := range b.h.Ulimits {
		// One limit per name; the last flag wins, as in the CLI's map.
		if old.Name == u.Name {
			k = i
			break
		}
	}
	if k == len(b.h.Ulimits) {
		b.h.Ulimits = append(b.h.Ulimits, u)
	} else {
		b.h.Ulimits[k] = u
	}
	b.spec.At[container.Item(container.FieldUlimits, k)] = at
	if lit {
		delete(b.spec.Unknown, container.Item(container.FieldUlimits, k))
	} else {
		b.spec.Unknown[container.Item(container.FieldUlimits, k)] = why(t, v)
	}
	return nil
}

func parseUlimit(v string) (*api.Ulimit, error) {
	name, limits, ok := strings.Cut(v, "=")
	if !ok {
		return nil, fmt.Errorf("invalid ulimit argument: %s", v)
	}
	if !ulimitNames[name] {
		return nil, fmt.Errorf("invalid ulimit type: %s", name)
	}
	parts := strings.Split(limits, ":")
	if len(parts) > 2 {
		return nil, fmt.Errorf("too many limit value arguments - %s, can only have up to two, `soft[:hard]`", limits)
	}
	soft, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return nil, err
	}
	hard := soft
	if len(parts) == 2 {
		if hard, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return nil, err
		}
	}
	return &api.Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}

func (b *builder) network(t token, v string, lit bool) error {
	at := b.at(t)
	b.networks++
	target := v
	if lit {
		var n opts.NetworkOpt
		if err := n.Set(v); err != nil {
			return b.invalid(t, v, err)
		}
		if vs := n.Value(); len(vs) > 0 {
			target = vs[0].Target
		}
		if strings.TrimSpace(target) == "" {
			return b.errorf(at, "no name set for network")
		}
	}
	if b.networks == 1 {
		b.scalar(container.FieldNetworkMode, t, target, lit, func() { b.h.NetworkMode = api.NetworkMode(target) })
		return nil
	}
	// Further networks are joined besides the first (the network mode).
	b.spec.Networks = append(b.spec.Networks, target)
	return nil
}

// pwdPrefix matches the ways a script names its working directory.
var pwdRef = regexp.MustCompile("\\$PWD\\b|\\$\\{PWD\\}|\\$\\(pwd\\)|`pwd`")

// resolvePWD replaces $PWD, ${PWD}, $(pwd) and `pwd` with the working
// directory, the most common variable part of a bind mount (`-v
// "$(pwd)":/app`). It reports whether what remains is known.
func (b *builder) resolvePWD(v string) (string, bool) {
	if !pwdRef.MatchString(v) {
		return v, false
	}
	if b.cwd == "" && b.cwdErr == nil {
		b.cwd, b.cwdErr = os.Getwd()
	}
	if b.cwdErr != nil {
		return v, false
	}
	r := pwdRef.ReplaceAllLiteralString(v, b.cwd)
	return r, !strings.ContainsAny(r, "$`")
}

// hostPath resolves a host path as the shell and the CLI would: a leading
// ~ (tilde expansion, which the shell parser leaves as written) and a
// path relative to the working directory (the CLI makes `./data` absolute).
func hostPath(p string) string {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		if home, err := os.UserHomeDir(); err == nil && home != "" {
			return home + p[1:]
		}
	case strings.HasPrefix(p, "."):
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	return p
}

func (b *builder) volume(t token, v string, lit bool) error {
	if !lit {
		v, lit = b.resolvePWD(v)
	}
	if lit {
		if strings.TrimSpace(v) == "" {
			return b.errorf(b.at(t), "invalid empty volume spec")
		}
		if host, rest, ok := strings.Cut(v, ":"); ok {
			v = hostPath(host) + ":" + rest
		}
	}
	b.listItem(container.FieldBinds, &b.h.Binds, t, v, lit)
	if !lit {
		b.spec.Unknown[container.Item(container.FieldBinds, len(b.h.Binds)-1)] = why(t, t.value)
	}
	return nil
}

func (b *builder) mount(t token, v string, lit bool) error {
	at := b.at(t)
	if !lit {
		v, lit = b.resolvePWD(v)
	}
	var m opts.MountOpt
	if err := m.Set(v); err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldMounts, t.value), at, why(t, t.value))
			return nil
		}
		return b.invalid(t, v, err)
	}
	mounts := m.Value()
	if len(mounts) == 0 {
		return nil
	}
	// The CLI itself makes a relative src=./x absolute; the shell does not
	// expand ~ inside src=~/x, and neither does the CLI.
	mt := mounts[0]
	k := len(b.h.Mounts)
	b.h.Mounts = append(b.h.Mounts, mt)
	b.first(container.FieldMounts, at)
	b.spec.At[container.Item(container.FieldMounts, k)] = at
	if !lit {
		b.spec.Unknown[container.Item(container.FieldMounts, k)] = why(t, t.value)
	}
	return nil
}

func (b *builder) tmpfs(t token, v string, lit bool) error {
	at := b.at(t)
	path, options, _ := strings.Cut(v, ":")
	if !lit && strings.ContainsAny(path, "$`") {
		b.unknown(container.Key(container.FieldTmpfs, v), at, why(t, v))
		return nil
	}
	if b.h.Tmpfs == nil {
		b.h.Tmpfs = map[string]string{}
	}
	b.h.Tmpfs[path] = options
	b.first(container.FieldTmpfs, at)
	b.set(container.Key(container.FieldTmpfs, path), at)
	return nil
}

// cdiName reports whether a --device value names a CDI device
// (vendor.com/class=name) rather than a device path.
func cdiName(v string) bool {
	kind, name, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.HasPrefix(kind, "/") {
		return false
	}
	vendor, class, ok := strings.Cut(kind, "/")
	return ok && vendor != "" && class != "" && !strings.Contains(name, ":")
}

func validDeviceMode(mode string) bool {
	if mode == "" {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if (c != 'r' && c != 'w' && c != 'm') || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// parseDevice reads host[:container][:permissions] as the CLI does for a
// Linux daemon.
func parseDevice(v string) (api.DeviceMapping, error) {
	if strings.Count(v, ":") > 2 {
		return api.DeviceMapping{}, fmt.Errorf("bad format for path: %s", v)
	}
	parts := strings.Split(v, ":")
	if parts[0] == "" {
		return api.DeviceMapping{}, fmt.Errorf("bad format for path: %s", v)
	}
	d := api.DeviceMapping{PathOnHost: parts[0], CgroupPermissions: "rwm"}
	switch len(parts) {
	case 2:
		if validDeviceMode(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 3:
		if !validDeviceMode(parts[2]) {
			return api.DeviceMapping{}, fmt.Errorf("bad mode specified: %s", parts[2])
		}
		d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
	}
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	if !strings.HasPrefix(d.PathInContainer, "/") {
		return api.DeviceMapping{}, fmt.Errorf("%s is not an absolute path", d.PathInContainer)
	}
	d.PathInContainer = filepath.Clean(d.PathInContainer)
	return d, nil
}

func (b *builder) device(t token, v string, lit bool) error {
	at := b.at(t)
	if cdiName(v) {
		b.h.DeviceRequests = append(b.h.DeviceRequests, api.DeviceRequest{Driver: "cdi", DeviceIDs: []string{v}})
		return nil
	}
	d, err := parseDevice(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldDevices, v), at, why(t, v))
			return nil
		}
		return b.invalid(t, v, err)
	}
	k := len(b.h.Devices)
	b.h.Devices = append(b.h.Devices, d)
	b.first(container.FieldDevices, at)
	b.spec.At[container.Item(container.FieldDevices, k)] = at
	if !lit {
		b.spec.Unknown[container.Item(container.FieldDevices, k)] = why(t, v)
	}
	return nil
}

func (b *builder) expose(t token, v string, lit bool) error {
	at := b.at(t)
	pr, err := network.ParsePortRange(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldExposedPorts, v), at, why(t, v))
			return nil
		}
		return b.errorf(at, "invalid range format for --expose: %v", err)
	}
	n := int(pr.End()) - int(pr.Start()) + 1
	if b.exposed+n > maxBindings {
		b.notes = append(b.notes, facts.Note{At: at, Message: fmt.Sprintf("%s %s: more than %d exposed ports on one container; the rest were not read", t.spelled, v, maxBindings)})
		return nil
	}
	b.exposed += n
	if b.c.ExposedPorts == nil {
		b.c.ExposedPorts = network.PortSet{}
	}
	for p := range pr.All() {
		b.c.ExposedPorts[p] = struct{}{}
	}
	b.first(container.FieldExposedPorts, at)
	return nil
}

func (b *builder) health(at facts.Location) {
	b.hc.given = true
	b.hc.at = at
	b.set(container.FieldHealthcheck, at)
}

func (b *builder) healthSetting(t token, v string, lit bool) {
	b.health(b.at(t))
	if !lit {
		b.hc.settings = true
		return
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
}

// image takes the first positional word as the image and the rest as the
// command.
func (b *builder) image(pos []int) {
	start := b.inv.start
	words := b.cmd.Args[start:]
	i := pos[0]
	img := words[i]
	at := b.cmd.WordAt(start + i)
	b.c.Image = img
	b.spec.At[container.FieldImage] = at
	if !literalAt(b.cmd, start+i) {
		b.spec.Unknown[container.FieldImage] = fmt.Sprintf("the image %q depends on a variable", img)
		if optionsVariable(img) {
			b.notes = append(b.notes, facts.Note{At: at,
				Message: fmt.Sprintf("%q may hold %s flags before the image; flags in it were not seen", img, b.inv.tool+" "+b.inv.sub)})
		}
	}
	if len(pos) > 1 {
		for _, p := range pos[1:] {
			b.c.Cmd = append(b.c.Cmd, words[p])
		}
		b.spec.At[container.FieldCmd] = b.cmd.WordAt(start + pos[1])
	}
	if b.spec.Subject.Name == "" {
		b.spec.Subject = facts.Subject{Kind: facts.SubjectContainer, Name: img}
	}
}

// optionsVariable reports whether a variable word looks like it holds
// flags rather than an image ("$@", "$DOCKER_OPTS", "${RUN_ARGS[@]}").
func optionsVariable(w string) bool {
	u := strings.ToUpper(w)
	for _, s := range []string{"$@", "$*", "${@}", "${*}", "[@]", "[*]", "OPT", "ARG", "FLAG", "PARAM"} {
		if strings.Contains(u, s) {
			return true
		}
	}
	return false
}

// finish checks what the CLI checks across flags and assembles the
// environment.
func (b *builder) finish() error {
	if b.hc.given {
		switch {
		case b.hc.none && (b.hc.cmdSet || b.hc.settings) && b.inv.engine == "docker":
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
	}
	if b.rm && b.restartN {
		return b.errorf(b.at(*b.restart), "conflicting options: cannot specify both --restart and --rm")
	}
	// Env files first, then -e, which override them (the CLI's order).
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
	return nil
}

// maxBindings bounds the port bindings (and, apart, the exposed ports) read
// for one container.
const maxBindings = 1 << 16

// publishSpec turns the long syntax (`published=8080,target=80`) into the
// short one the port parser reads.
func publishSpec(v string) (string, error) {
	if !strings.Contains(v, "=") {
		return v, nil
	}
	params := map[string]string{"protocol": "tcp"}
	for _, p := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("invalid publish opts format (should be name=value but got '%s')", p)
		}
		params[k] = val
	}
	return params["published"] + ":" + params["target"] + "/" + params["protocol"], nil
}

// publish reads [ip:][hostPort:]containerPort[/proto] with port ranges, as
// the CLI does: each container port becomes a binding and an exposed port.
func (b *builder) publish(t token, v string, lit bool) error {
	at := b.at(t)
	bindings, err := parsePublish(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldPortBindings, v), at, why(t, v))
			return nil
		}
		return b.invalid(t, v, err)
	}
	if b.bindings+len(bindings) > maxBindings {
		// Port ranges multiply: bound what one hostile line can allocate.
		b.notes = append(b.notes, facts.Note{At: at, Message: fmt.Sprintf("%s %s: more than %d port bindings on one container; the rest were not read", t.spelled, v, maxBindings)})
		return nil
	}
	b.bindings += len(bindings)
	if b.h.PortBindings == nil {
		b.h.PortBindings = network.PortMap{}
	}
	if b.c.ExposedPorts == nil {
		b.c.ExposedPorts = network.PortSet{}
	}
	b.first(container.FieldPortBindings, at)
	b.first(container.FieldExposedPorts, at)
	for _, pb := range bindings {
		b.h.PortBindings[pb.port] = append(b.h.PortBindings[pb.port], pb.binding)
		b.c.ExposedPorts[pb.port] = struct{}{}
		key := container.Key(container.FieldPortBindings, pb.port.String())
		b.first(key, at)
		if !lit {
			b.spec.Unknown[key] = why(t, v)
		}
	}
	return nil
}

type portBinding struct {
	port    network.Port
	binding network.PortBinding
}

func parsePublish(v string) ([]portBinding, error) {
	spec, err := publishSpec(v)
	if err != nil {
		return nil, err
	}
	mappings, err := nat.ParsePortSpec(spec)
	if err != nil {
		return nil, err
	}
	out := make([]portBinding, 0, len(mappings))
	for _, m := range mappings {
		p, err := network.ParsePort(string(m.Port))
		if err != nil {
			return nil, err
		}
		var ip netip.Addr
		if m.Binding.HostIP != "" {
			if ip, err = netip.ParseAddr(m.Binding.HostIP); err != nil {
				return nil, err
			}
		}
		out = append(out, portBinding{port: p, binding: network.PortBinding{HostIP: ip, HostPort: m.Binding.HostPort}})
	}
	return out, nil
}

// litInt sets *dst from a literal numeric flag value; a value that depends
// on a variable leaves it unset.
func litInt(lit bool, v string, dst *int64) {
	if lit {
		*dst = parseInt(v)
	}
}
