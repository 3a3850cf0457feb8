package harden

import (
	"encoding/csv"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/api/types/blkiodev"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"
)

// EngineDefaults are the settings a daemon fills in by itself; a
// reconstructed run line leaves values equal to them out, as the user did.
type EngineDefaults struct {
	// LogDriver is the daemon's logging driver (Info.LoggingDriver).
	LogDriver string
	// Runtime is the daemon's default runtime (Info.DefaultRuntime).
	Runtime string
	// CgroupV1 is set when the host cgroup namespace is the daemon's
	// default (cgroup v1); on cgroup v2 the default is a private one.
	CgroupV1 bool
}

// Live is what a running container shows beyond its configuration.
type Live struct {
	// ProcessUID is the user PID 1 runs as, "" when unknown. A container
	// that starts as root with PID 1 running as another user switches
	// user in its entrypoint (gosu, su-exec, …).
	ProcessUID string
}

// Recreation is how to create a running container again, hardened.
type Recreation struct {
	// Line is the container's own `docker run` line, rebuilt from what the
	// engine shows of it.
	Line string
	// Hardened is what `harden --run Line` gives.
	Hardened *RunResult
	// Notes say what Line leaves out (environment values, compose's
	// labels) and what a re-create loses (anonymous volumes).
	Notes []Note
}

// Recreate rebuilds a container's run line from its inspect data (and its
// image's, for the values the container took from the image) and hardens
// it. The image may be nil when it cannot be read; every value that could
// have come from it is then written out.
func Recreate(ct *api.InspectResponse, img *image.InspectResponse, def EngineDefaults, live Live, opt Options) (*Recreation, error) {
	line, notes, err := RunLine(ct, img, def, live)
	if err != nil {
		return nil, err
	}
	res, err := Run(line, opt)
	if err != nil {
		return nil, fmt.Errorf("container %s: the rebuilt run line does not parse: %w", strings.TrimPrefix(ct.Name, "/"), err)
	}
	return &Recreation{Line: line, Hardened: res, Notes: notes}, nil
}

// Commented writes text as shell comments: "# " before each of its lines.
// A rebuilt line may hold a newline inside a quoted value (a label, a
// command argument); without a "# " of its own, the line after it would
// run when the output is piped to a shell.
func Commented(text string) string {
	return "# " + strings.ReplaceAll(text, "\n", "\n# ")
}

// composeLabel is the prefix of the labels compose sets on its containers.
const composeLabel = "com.docker.compose."

// defaultShmSize is the /dev/shm size the engine gives when none is asked.
const defaultShmSize = 64 << 20

// lineBuilder collects the words of a run line, already quoted.
type lineBuilder struct {
	words []string
	notes []Note
}

func (b *lineBuilder) flag(name string, values ...string) {
	for _, v := range values {
		b.words = append(b.words, name, word(v))
	}
}

// word quotes v as one shell word that the shell also leaves unexpanded:
// brackets ([::1]:80:80) are a glob pattern to it.
func word(v string) string {
	q := quote(v)
	if q == v && strings.ContainsAny(v, "[]") {
		return "'" + v + "'"
	}
	return q
}

func (b *lineBuilder) bare(name string) { b.words = append(b.words, name) }

func (b *lineBuilder) note(format string, args ...any) {
	b.notes = append(b.notes, Note{Message: fmt.Sprintf(format, args...)})
}

// RunLine rebuilds the `docker run -d` line that creates a container like
// ct, from the Engine API's inspect data. Values the container has from
// its image (environment, labels, entrypoint, command, working folder,
// exposed ports, volumes, health check, stop signal) and values the engine
// fills in itself (the logging driver, the runtime, /dev/shm size, swap of
// twice the memory, the default network, the hostname made from the ID)
// are left out, as the user left them out. Environment values are never
// written: each variable set on the container is passed by name (`-e
// NAME`), so a secret it holds is not printed; a note lists them.
//
// A container that starts as root and switches user itself (a tool such as
// gosu in its entrypoint or command, or PID 1 seen running as another
// user) has its entrypoint and command written out even when they are the
// image's: the run-line hardener then sees the switch, keeps the root start
// and adds back only the capabilities it needs, where a --user would make
// the switch fail.
func RunLine(ct *api.InspectResponse, img *image.InspectResponse, def EngineDefaults, live Live) (string, []Note, error) {
	if ct == nil || ct.Config == nil || ct.HostConfig == nil {
		return "", nil, fmt.Errorf("the engine returned no configuration for the container")
	}
	name := strings.TrimPrefix(ct.Name, "/")
	cfg, h := ct.Config, ct.HostConfig
	var ic imageConfig
	if img != nil && img.Config != nil {
		c := img.Config
		ic = imageConfig{known: true, user: c.User, env: c.Env, entrypoint: c.Entrypoint, cmd: c.Cmd, workdir: c.WorkingDir,
			labels: c.Labels, stopSignal: c.StopSignal, exposed: c.ExposedPorts, volumes: c.Volumes}
		if c.Healthcheck != nil {
			hc := api.HealthConfig(*c.Healthcheck)
			ic.health = &hc
		}
	}
	b := &lineBuilder{words: []string{"docker", "run", "-d"}}
	if name != "" {
		b.flag("--name", name)
	}
	if cfg.Tty {
		b.bare("-t")
	}
	if cfg.OpenStdin {
		b.bare("-i")
	}

	// Identity and process.
	if cfg.User != "" {
		// Written even when the image sets the same user: the line is
		// then hardened knowing the container does not run as root.
		b.flag("--user", cfg.User)
	}
	if cfg.WorkingDir != "" && cfg.WorkingDir != ic.workdir {
		b.flag("--workdir", cfg.WorkingDir)
	}
	netMode := string(h.NetworkMode)
	sharedUTS := netMode == "host" || strings.HasPrefix(netMode, "container:") || h.UTSMode == "host"
	if cfg.Hostname != "" && !sharedUTS && cfg.Hostname != shortID(ct.ID) {
		b.flag("--hostname", cfg.Hostname)
	}
	if cfg.Domainname != "" {
		b.flag("--domainname", cfg.Domainname)
	}
	b.env(name, cfg.Env, ic)
	b.labels(name, cfg.Labels, ic)
	if cfg.StopSignal != "" && cfg.StopSignal != ic.stopSignal {
		b.flag("--stop-signal", cfg.StopSignal)
	}
	if cfg.StopTimeout != nil {
		b.flag("--stop-timeout", strconv.Itoa(*cfg.StopTimeout))
	}
	b.health(cfg.Healthcheck, ic.health)

	// Privileges.
	if h.Privileged {
		b.bare("--privileged")
	}
	// The engine stores capabilities as CAP_X; the CLI's spelling is X.
	for _, c := range h.CapAdd {
		b.flag("--cap-add", strings.TrimPrefix(c, "CAP_"))
	}
	for _, c := range h.CapDrop {
		b.flag("--cap-drop", strings.TrimPrefix(c, "CAP_"))
	}
	for _, o := range h.SecurityOpt {
		if (h.Privileged || h.PidMode == "host" || h.IpcMode == "host") && (o == "label=disable" || o == "label:disable") {
			continue // the engine's own, beside these modes
		}
		b.flag("--security-opt", o)
	}
	if h.ReadonlyRootfs {
		b.bare("--read-only")
	}
	b.flag("--group-add", h.GroupAdd...)
	if h.Runtime != "" && h.Runtime != def.Runtime {
		b.flag("--runtime", h.Runtime)
	}
	if h.Init != nil && *h.Init {
		b.bare("--init")
	}
	if h.AutoRemove {
		b.bare("--rm")
	}

	// Namespaces.
	if h.PidMode != "" {
		b.flag("--pid", string(h.PidMode))
	}
	if h.IpcMode != "" && h.IpcMode != "private" && h.IpcMode != "shareable" {
		b.flag("--ipc", string(h.IpcMode))
	}
	if h.UTSMode != "" {
		b.flag("--uts", string(h.UTSMode))
	}
	if h.UsernsMode != "" {
		b.flag("--userns", string(h.UsernsMode))
	}
	if cg := h.CgroupnsMode; cg != "" && !(cg == "private" && !def.CgroupV1) && !(cg == "host" && def.CgroupV1) {
		b.flag("--cgroupns", string(cg))
	}

	b.resources(h)
	b.restart(h.RestartPolicy)
	b.mounts(name, ct, ic)
	b.network(ct)
	b.ports(cfg, h, ic)
	b.logging(h.LogConfig, def)
	for _, k := range sortedKeys(h.Sysctls) {
		b.flag("--sysctl", k+"="+h.Sysctls[k])
	}
	for _, k := range sortedKeys(h.StorageOpt) {
		b.flag("--storage-opt", k+"="+h.StorageOpt[k])
	}
	for _, k := range sortedKeys(h.Annotations) {
		b.flag("--annotation", k+"="+h.Annotations[k])
	}
	if h.CgroupParent != "" {
		b.flag("--cgroup-parent", h.CgroupParent)
	}

	// The image, then the entrypoint's and the command's words.
	ref := cfg.Image
	if ref == "" {
		ref = ct.Image
	}
	if ref == "" {
		return "", nil, fmt.Errorf("container %s: the engine names no image", name)
	}
	ep, args := entrypointArgs(cfg.Entrypoint, cfg.Cmd, ic)
	argv := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	rootStart := cfg.User == "" || facts.IsRootUser(cfg.User)
	seen := dropsPrivileges(argv)
	liveDrop := live.ProcessUID != "" && live.ProcessUID != "0"
	if rootStart && (seen || liveDrop) && len(argv) > 0 && argv[0] != "" {
		first := argv[0]
		ep, args = &first, argv[1:]
	}
	if rootStart && liveDrop && !seen {
		b.note("%s: starts as root and PID 1 runs as uid %s, so its entrypoint switches user itself, in a way harden cannot see on the line (a script); the hardened line sets --user %s, which such an entrypoint may refuse: if the container then does not start, remove --user and add --cap-add CHOWN --cap-add SETUID --cap-add SETGID",
			name, live.ProcessUID, User)
	}
	if ep != nil {
		b.flag("--entrypoint", *ep)
	}
	b.words = append(b.words, word(ref))
	for _, a := range args {
		b.words = append(b.words, word(a))
	}
	return strings.Join(b.words, " "), b.notes, nil
}

// imageConfig is what a container inherits from its image.
type imageConfig struct {
	known      bool
	user       string
	env        []string
	entrypoint []string
	cmd        []string
	workdir    string
	labels     map[string]string
	stopSignal string
	exposed    map[string]struct{}
	volumes    map[string]struct{}
	health     *api.HealthConfig
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// env passes every variable the container sets itself (not the image's
// own NAME=value) by name only: `-e NAME` takes the value from the
// environment the line runs in, so no value is printed.
func (b *lineBuilder) env(name string, env []string, ic imageConfig) {
	fromImage := map[string]bool{}
	for _, e := range ic.env {
		fromImage[e] = true
	}
	var left []string
	for _, e := range env {
		if fromImage[e] {
			continue
		}
		n, _, _ := strings.Cut(e, "=")
		if n == "" {
			continue
		}
		b.flag("-e", n)
		left = append(left, n)
	}
	if len(left) > 0 {
		b.note("%s: environment values are not printed (they may be secrets): %s; -e NAME takes each from the environment the line runs in, so export them first (or write them to a file for --env-file)",
			name, strings.Join(left, ", "))
	}
}

// labels writes the container's own labels. Compose's labels are left out:
// they would make compose take the new container for one of its own, with
// a configuration it did not write.
func (b *lineBuilder) labels(name string, labels map[string]string, ic imageConfig) {
	project, service := labels[composeLabel+"project"], labels[composeLabel+"service"]
	skipped := 0
	for _, k := range sortedKeys(labels) {
		v := labels[k]
		if iv, ok := ic.labels[k]; ok && iv == v {
			continue
		}
		if strings.HasPrefix(k, composeLabel) {
			skipped++
			continue
		}
		b.flag("--label", k+"="+v)
	}
	if project != "" {
		b.note("%s: belongs to compose project %s (service %s): harden the compose file (dockguard harden compose.yaml) and run docker compose up -d instead; this line leaves out compose's %d com.docker.compose.* labels",
			name, project, service, skipped)
	} else if skipped > 0 {
		b.note("%s: %d com.docker.compose.* labels left out", name, skipped)
	}
}

func (b *lineBuilder) health(hc, image *api.HealthConfig) {
	if hc == nil || (image != nil && reflect.DeepEqual(*hc, *image)) {
		return
	}
	if len(hc.Test) > 0 {
		switch strings.ToUpper(hc.Test[0]) {
		case "NONE":
			b.bare("--no-healthcheck")
			return
		case "CMD-SHELL":
			if len(hc.Test) > 1 {
				b.flag("--health-cmd", hc.Test[1])
			}
		case "CMD":
			// --health-cmd always runs its value with the shell.
			words := make([]string, 0, len(hc.Test)-1)
			for _, w := range hc.Test[1:] {
				words = append(words, quote(w))
			}
			b.flag("--health-cmd", strings.Join(words, " "))
			b.note("the health check's exec form is written as --health-cmd, which runs it with /bin/sh -c")
		}
	}
	for _, d := range []struct {
		flag string
		v    interface{ String() string }
		set  bool
	}{
		{"--health-interval", hc.Interval, hc.Interval > 0},
		{"--health-timeout", hc.Timeout, hc.Timeout > 0},
		{"--health-start-period", hc.StartPeriod, hc.StartPeriod > 0},
		{"--health-start-interval", hc.StartInterval, hc.StartInterval > 0},
	} {
		if d.set {
			b.flag(d.flag, d.v.String())
		}
	}
	if hc.Retries > 0 {
		b.flag("--health-retries", strconv.Itoa(hc.Retries))
	}
}

func (b *lineBuilder) resources(h *api.HostConfig) {
	if h.Memory > 0 {
		b.flag("--memory", bytesText(h.Memory))
	}
	switch {
	case h.MemorySwap == -1:
		b.flag("--memory-swap", "-1")
	case h.MemorySwap > 0 && h.MemorySwap != 2*h.Memory:
		// Twice the memory is what the engine gives when no swap is asked.
		b.flag("--memory-swap", bytesText(h.MemorySwap))
	}
	if h.MemoryReservation > 0 {
		b.flag("--memory-reservation", bytesText(h.MemoryReservation))
	}
	if h.MemorySwappiness != nil && *h.MemorySwappiness >= 0 {
		b.flag("--memory-swappiness", strconv.FormatInt(*h.MemorySwappiness, 10))
	}
	if h.OomKillDisable != nil && *h.OomKillDisable {
		b.bare("--oom-kill-disable")
	}
	if h.OomScoreAdj != 0 {
		b.flag("--oom-score-adj", strconv.Itoa(h.OomScoreAdj))
	}
	if h.NanoCPUs > 0 {
		b.flag("--cpus", strconv.FormatFloat(float64(h.NanoCPUs)/1e9, 'f', -1, 64))
	}
	for _, f := range []struct {
		flag string
		v    int64
	}{
		{"--cpu-shares", h.CPUShares}, {"--cpu-period", h.CPUPeriod}, {"--cpu-quota", h.CPUQuota},
		{"--cpu-rt-period", h.CPURealtimePeriod}, {"--cpu-rt-runtime", h.CPURealtimeRuntime},
	} {
		if f.v != 0 {
			b.flag(f.flag, strconv.FormatInt(f.v, 10))
		}
	}
	if h.CpusetCpus != "" {
		b.flag("--cpuset-cpus", h.CpusetCpus)
	}
	if h.CpusetMems != "" {
		b.flag("--cpuset-mems", h.CpusetMems)
	}
	if h.BlkioWeight > 0 {
		b.flag("--blkio-weight", strconv.Itoa(int(h.BlkioWeight)))
	}
	for _, w := range h.BlkioWeightDevice {
		b.flag("--blkio-weight-device", fmt.Sprintf("%s:%d", w.Path, w.Weight))
	}
	for _, t := range []struct {
		flag string
		list []*blkioThrottle
	}{
		{"--device-read-bps", throttles(h.BlkioDeviceReadBps)}, {"--device-write-bps", throttles(h.BlkioDeviceWriteBps)},
		{"--device-read-iops", throttles(h.BlkioDeviceReadIOps)}, {"--device-write-iops", throttles(h.BlkioDeviceWriteIOps)},
	} {
		for _, d := range t.list {
			b.flag(t.flag, fmt.Sprintf("%s:%d", d.path, d.rate))
		}
	}
	if h.PidsLimit != nil && *h.PidsLimit > 0 {
		b.flag("--pids-limit", strconv.FormatInt(*h.PidsLimit, 10))
	}
	for _, u := range h.Ulimits {
		if u == nil {
			continue
		}
		b.flag("--ulimit", fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
	}
	if h.ShmSize > 0 && h.ShmSize != defaultShmSize {
		b.flag("--shm-size", bytesText(h.ShmSize))
	}
	for _, d := range h.Devices {
		v := d.PathOnHost
		if d.PathInContainer != "" && d.PathInContainer != d.PathOnHost {
			v += ":" + d.PathInContainer
		}
		if d.CgroupPermissions != "" && d.CgroupPermissions != "rwm" {
			if d.PathInContainer == d.PathOnHost || d.PathInContainer == "" {
				v += ":" + d.PathOnHost
			}
			v += ":" + d.CgroupPermissions
		}
		b.flag("--device", v)
	}
	b.flag("--device-cgroup-rule", h.DeviceCgroupRules...)
	for _, r := range h.DeviceRequests {
		switch {
		case r.Driver == "cdi":
			b.flag("--device", r.DeviceIDs...)
		case len(r.DeviceIDs) > 0:
			b.flag("--gpus", `"device=`+strings.Join(r.DeviceIDs, ",")+`"`)
		case r.Count == -1:
			b.flag("--gpus", "all")
		case r.Count > 0:
			b.flag("--gpus", strconv.Itoa(r.Count))
		}
	}
}

type blkioThrottle struct {
	path string
	rate uint64
}

func throttles(list []*blkiodev.ThrottleDevice) []*blkioThrottle {
	var out []*blkioThrottle
	for _, d := range list {
		if d != nil {
			out = append(out, &blkioThrottle{d.Path, d.Rate})
		}
	}
	return out
}

func (b *lineBuilder) restart(rp api.RestartPolicy) {
	switch rp.Name {
	case "", "no":
	case "on-failure":
		if rp.MaximumRetryCount > 0 {
			b.flag("--restart", "on-failure:"+strconv.Itoa(rp.MaximumRetryCount))
		} else {
			b.flag("--restart", "on-failure")
		}
	default:
		b.flag("--restart", string(rp.Name))
	}
}

// mounts writes binds (-v as given), --mount specs, tmpfs mounts and
// anonymous volumes the container asked for; volumes the image declares
// are made again by the engine.
func (b *lineBuilder) mounts(name string, ct *api.InspectResponse, ic imageConfig) {
	h := ct.HostConfig
	targets := map[string]bool{}
	for _, v := range h.Binds {
		b.flag("-v", v)
		if parts := strings.Split(v, ":"); len(parts) >= 2 {
			targets[parts[1]] = true
		} else {
			targets[v] = true
		}
	}
	for _, m := range h.Mounts {
		b.flag("--mount", mountSpec(m))
		targets[m.Target] = true
	}
	for _, k := range sortedKeys(h.Tmpfs) {
		v := k
		if o := h.Tmpfs[k]; o != "" {
			v += ":" + o
		}
		b.flag("--tmpfs", v)
		targets[k] = true
	}
	for _, k := range sortedKeys(ct.Config.Volumes) {
		if _, fromImage := ic.volumes[k]; fromImage || targets[k] {
			continue
		}
		b.flag("-v", k)
	}
	b.flag("--volumes-from", h.VolumesFrom...)
	if h.VolumeDriver != "" {
		b.flag("--volume-driver", h.VolumeDriver)
	}
	var anon []string
	for _, m := range ct.Mounts {
		if m.Type != mount.TypeVolume || targets[m.Destination] {
			continue
		}
		if _, ok := ct.Config.Volumes[m.Destination]; ok && len(m.Name) == 64 {
			anon = append(anon, m.Destination+" ("+m.Name[:12]+")")
		}
	}
	if len(anon) > 0 {
		sort.Strings(anon)
		b.note("%s: anonymous volume(s) at %s: a new container gets new, empty ones; to keep the data, copy it out or name the volume (-v NAME:PATH) before removing the old container",
			name, strings.Join(anon, ", "))
	}
}

// mountSpec writes a mount in --mount's CSV syntax.
func mountSpec(m mount.Mount) string {
	f := []string{"type=" + string(m.Type)}
	if m.Source != "" {
		f = append(f, "source="+m.Source)
	}
	f = append(f, "target="+m.Target)
	if m.ReadOnly {
		f = append(f, "readonly")
	}
	if m.Consistency != "" && m.Consistency != mount.ConsistencyDefault {
		f = append(f, "consistency="+string(m.Consistency))
	}
	if o := m.BindOptions; o != nil {
		if o.Propagation != "" {
			f = append(f, "bind-propagation="+string(o.Propagation))
		}
		if o.NonRecursive {
			f = append(f, "bind-recursive=disabled")
		}
		if o.ReadOnlyNonRecursive {
			f = append(f, "bind-recursive=writable")
		}
		if o.ReadOnlyForceRecursive {
			f = append(f, "bind-recursive=readonly")
		}
		if o.CreateMountpoint {
			f = append(f, "bind-create-src")
		}
	}
	if o := m.VolumeOptions; o != nil {
		if o.NoCopy {
			f = append(f, "volume-nocopy")
		}
		if o.Subpath != "" {
			f = append(f, "volume-subpath="+o.Subpath)
		}
		for _, k := range sortedKeys(o.Labels) {
			f = append(f, "volume-label="+k+"="+o.Labels[k])
		}
		if d := o.DriverConfig; d != nil {
			if d.Name != "" {
				f = append(f, "volume-driver="+d.Name)
			}
			for _, k := range sortedKeys(d.Options) {
				f = append(f, "volume-opt="+k+"="+d.Options[k])
			}
		}
	}
	if o := m.ImageOptions; o != nil && o.Subpath != "" {
		f = append(f, "image-subpath="+o.Subpath)
	}
	if o := m.TmpfsOptions; o != nil {
		if o.SizeBytes > 0 {
			f = append(f, "tmpfs-size="+strconv.FormatInt(o.SizeBytes, 10))
		}
		if o.Mode != 0 {
			// The CLI stores the octal number it reads as it is.
			f = append(f, "tmpfs-mode="+strconv.FormatUint(uint64(o.Mode), 8))
		}
	}
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write(f)
	w.Flush()
	return strings.TrimSuffix(sb.String(), "\n")
}

// network writes the network mode and every network the container is on,
// with the aliases and fixed addresses asked for on it.
func (b *lineBuilder) network(ct *api.InspectResponse) {
	mode := string(ct.HostConfig.NetworkMode)
	if mode == "default" || mode == "" {
		mode = "bridge"
	}
	switch {
	case mode == "host" || mode == "none" || strings.HasPrefix(mode, "container:"):
		b.flag("--network", mode)
		return
	}
	var nets []string
	if ct.NetworkSettings != nil {
		for n := range ct.NetworkSettings.Networks {
			if n != mode {
				nets = append(nets, n)
			}
		}
	}
	sort.Strings(nets)
	nets = append([]string{mode}, nets...)
	if len(nets) == 1 && mode == "bridge" {
		return
	}
	// The engine adds the container's name, short ID and hostname to its
	// aliases itself.
	id, name, host := shortID(ct.ID), strings.TrimPrefix(ct.Name, "/"), ct.Config.Hostname
	for _, n := range nets {
		opts := []string{}
		if ct.NetworkSettings != nil {
			if ep := ct.NetworkSettings.Networks[n]; ep != nil && n != "bridge" {
				for _, a := range ep.Aliases {
					if a != id && a != name && a != host {
						opts = append(opts, "alias="+a)
					}
				}
				if ipam := ep.IPAMConfig; ipam != nil {
					if ipam.IPv4Address.IsValid() {
						opts = append(opts, "ip="+ipam.IPv4Address.String())
					}
					if ipam.IPv6Address.IsValid() {
						opts = append(opts, "ip6="+ipam.IPv6Address.String())
					}
				}
			}
		}
		if len(opts) == 0 {
			b.flag("--network", n)
			continue
		}
		b.flag("--network", "name="+n+","+strings.Join(opts, ","))
	}
	for _, l := range ct.HostConfig.Links {
		// The engine shows links as /target:/container/alias.
		target, alias, ok := strings.Cut(l, ":")
		target = strings.TrimPrefix(target, "/")
		if ok {
			alias = alias[strings.LastIndexByte(alias, '/')+1:]
			b.flag("--link", target+":"+alias)
		} else {
			b.flag("--link", target)
		}
	}
	for _, d := range ct.HostConfig.DNS {
		b.flag("--dns", d.String())
	}
	b.flag("--dns-option", ct.HostConfig.DNSOptions...)
	b.flag("--dns-search", ct.HostConfig.DNSSearch...)
	b.flag("--add-host", ct.HostConfig.ExtraHosts...)
}

// ports writes the port bindings with their host address, -P, and the
// ports the container exposes beyond its image's and its bindings.
func (b *lineBuilder) ports(cfg *api.Config, h *api.HostConfig, ic imageConfig) {
	keys := make([]string, 0, len(h.PortBindings))
	for p := range h.PortBindings {
		keys = append(keys, p.String())
	}
	sort.Slice(keys, func(i, j int) bool { return portLess(keys[i], keys[j]) })
	bound := map[string]bool{}
	for p := range h.PortBindings {
		bound[p.String()] = true
	}
	for _, k := range keys {
		for p, bs := range h.PortBindings {
			if p.String() != k {
				continue
			}
			port := strconv.Itoa(int(p.Num()))
			if p.Proto() != "tcp" && p.Proto() != "" {
				port += "/" + string(p.Proto())
			}
			if len(bs) == 0 {
				b.flag("-p", port)
			}
			for _, pb := range bs {
				v := port
				switch {
				case pb.HostIP.IsValid():
					ip := pb.HostIP.String()
					if pb.HostIP.Is6() {
						ip = "[" + ip + "]"
					}
					v = ip + ":" + pb.HostPort + ":" + port
				case pb.HostPort != "":
					v = pb.HostPort + ":" + port
				}
				b.flag("-p", v)
			}
		}
	}
	if h.PublishAllPorts {
		b.bare("-P")
	}
	var expose []string
	for p := range cfg.ExposedPorts {
		k := p.String()
		if _, fromImage := ic.exposed[k]; fromImage || bound[k] {
			continue
		}
		expose = append(expose, k)
	}
	sort.Slice(expose, func(i, j int) bool { return portLess(expose[i], expose[j]) })
	for _, e := range expose {
		b.flag("--expose", strings.TrimSuffix(e, "/tcp"))
	}
}

// portLess orders "80/tcp" keys by number, then protocol.
func portLess(a, b string) bool {
	an, ap, _ := strings.Cut(a, "/")
	bn, bp, _ := strings.Cut(b, "/")
	x, _ := strconv.Atoi(an)
	y, _ := strconv.Atoi(bn)
	if x != y {
		return x < y
	}
	return ap < bp
}

func (b *lineBuilder) logging(lc api.LogConfig, def EngineDefaults) {
	if lc.Type != "" && lc.Type != def.LogDriver {
		b.flag("--log-driver", lc.Type)
	}
	for _, k := range sortedKeys(lc.Config) {
		b.flag("--log-opt", k+"="+lc.Config[k])
	}
}

// entrypointArgs decides --entrypoint and the words after the image so that
// the engine's merge with the image gives the container's entrypoint and
// command again: a container that keeps the image's entrypoint writes only
// a command that differs; a new entrypoint (which drops the image's
// command) is written with its first word in --entrypoint, the rest before
// the command's words, which runs the same program with the same
// arguments.
func entrypointArgs(ep, cmd []string, ic imageConfig) (*string, []string) {
	same := ic.known && reflect.DeepEqual(normal(ep), normal(ic.entrypoint))
	if same {
		if ic.known && reflect.DeepEqual(normal(cmd), normal(ic.cmd)) {
			return nil, nil
		}
		if len(cmd) > 0 {
			return nil, cmd
		}
		if len(ep) == 0 {
			return nil, nil
		}
		// No command where the image has one: only a new entrypoint
		// clears the image's command.
		first := ep[0]
		return &first, ep[1:]
	}
	if len(ep) == 0 || (len(ep) == 1 && ep[0] == "") {
		if !ic.known {
			return nil, cmd
		}
		empty := ""
		return &empty, cmd
	}
	first := ep[0]
	return &first, append(append([]string{}, ep[1:]...), cmd...)
}

func normal(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
