package engine

import (
	"context"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/hostview"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// imageEntry inspects each image once, however many containers run it.
type imageEntry struct {
	once sync.Once
	img  *image.InspectResponse
	err  error
}

func (r *reader) image(ctx context.Context, id string) (*image.InspectResponse, error) {
	r.mu.Lock()
	e := r.images[id]
	if e == nil {
		e = &imageEntry{}
		r.images[id] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		res, err := r.cli.ImageInspect(ctx, id)
		if err == nil {
			e.img = &res.InspectResponse
		}
		e.err = err
	})
	return e.img, e.err
}

// readContainer inspects one container and its image and maps them; it
// holds one request slot, taken by the caller.
func (r *reader) readContainer(ctx context.Context, id, listedName string) *Object {
	defer r.release()
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if isNotFound(err) {
			r.note("container %s was removed during the audit; skipped", listedName)
		} else {
			r.fail("container %s: %s", listedName, describe(err))
		}
		return nil
	}
	ins := &res.Container
	if ins.Config == nil || ins.HostConfig == nil {
		r.fail("container %s: the engine returned no configuration", listedName)
		return nil
	}
	name := strings.TrimPrefix(ins.Name, "/")
	var img *image.InspectResponse
	if ins.Image != "" {
		img, err = r.image(ctx, ins.Image)
		if err != nil {
			if !isNotFound(err) {
				r.note("container %s: its image %s could not be read (%s); judged without it", name, ins.Config.Image, describe(err))
			}
			img = nil
		}
	}
	spec := containerSpec(r.snap.Host, name, ins, img, r.cgroupnsPrivate)
	// A remapping daemon makes container root an unprivileged host user.
	spec.UsernsRemap = r.userns
	spec.DefaultRuntime = r.defaultRuntime
	c := container.Map(spec)
	r.engineSockets(c)
	c.Live = r.liveState(ctx, spec, ins, c)
	if uid := c.Live.ProcessUID; uid.IsSet() && uid.V != "0" {
		// The configured user is root, yet PID 1 is not: the entrypoint
		// switched user (gosu, su-exec, setpriv, …).
		c.PrivilegeDrop = &facts.PrivilegeDrop{Tool: "a user switch seen live (PID 1 runs as uid " + uid.V + ")", At: uid.At}
	}
	return &Object{ID: ins.ID, Spec: spec, Fact: c}
}

// liveState reads what only a running engine shows: restarts, deaths, OOM
// kills, and the user PID 1 really runs as.
func (r *reader) liveState(ctx context.Context, spec *container.Spec, ins *apicontainer.InspectResponse, c *facts.Container) *facts.LiveState {
	obj := spec.Origin.Object
	at := func(field string) facts.Location {
		return facts.Location{Engine: r.snap.Host, Object: obj, Field: field}
	}
	live := &facts.LiveState{RestartCount: facts.SetAt(ins.RestartCount, at("RestartCount"))}
	if st := ins.State; st != nil {
		live.Status = string(st.Status)
		live.Restarting = facts.SetAt(st.Restarting, at("State.Restarting"))
		live.OOMKilled = facts.SetAt(st.OOMKilled, at("State.OOMKilled"))
		live.ExitCode = st.ExitCode
	}
	if ins.State == nil || !ins.State.Running || ins.State.Pid <= 0 || !runsAsRoot(c.User) {
		return live
	}
	if r.userns && ins.HostConfig.UsernsMode != "host" {
		// Remapped IDs: the host's view of the user says nothing about
		// the container's.
		return live
	}
	if uid, ok := PID1User(ctx, r.cli, ins.ID, ins.State.Pid); ok {
		live.ProcessUID = facts.SetAt(uid, at("top"))
	}
	return live
}

// PID1User asks the engine (docker top) which effective user the
// container's first process, pid as the host sees it, runs as. Under user
// namespace remapping the answer is the host's ID, not the container's.
func PID1User(ctx context.Context, cli *client.Client, id string, pid int) (string, bool) {
	top, err := cli.ContainerTop(ctx, id, client.ContainerTopOptions{Arguments: []string{"-o", "pid,euid"}})
	if err != nil {
		return "", false
	}
	pidCol, uidCol := -1, -1
	for i, t := range top.Titles {
		switch strings.ToUpper(strings.TrimSpace(t)) {
		case "PID":
			pidCol = i
		case "EUID", "UID":
			uidCol = i
		}
	}
	if pidCol < 0 || uidCol < 0 {
		return "", false
	}
	want := strconv.Itoa(pid)
	for _, p := range top.Processes {
		if len(p) > pidCol && len(p) > uidCol && strings.TrimSpace(p[pidCol]) == want {
			return strings.TrimSpace(p[uidCol]), true
		}
	}
	return "", false
}

// window writes an events window the way people say it: 1h, 30m, 90s.
func window(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// runsAsRoot reports whether a user value means root, or root by default.
func runsAsRoot(u facts.Value[string]) bool {
	switch u.State {
	case facts.Unset:
		return true
	case facts.Set:
		name, _, _ := strings.Cut(u.V, ":")
		return name == "" || name == "0" || name == "root"
	}
	return false
}

// containerSpec expresses an inspected container as a container.Spec, each
// value located at its engine field. The engine merges the image's config
// into the container's at create (user, health check, exposed ports): a
// value equal to the image's is taken as the image's, so a container
// without --user whose image sets USER 10001 runs as the image's user, and
// a finding about it points at the image.
//
// Values the engine fills in by itself are its defaults, not settings,
// and are left unset: the host cgroup namespace on a daemon whose default
// it is (cgroup v1), SELinux labels turned off beside --privileged or a
// host PID or IPC namespace, twice the memory as swap.
func containerSpec(host, name string, ins *apicontainer.InspectResponse, img *image.InspectResponse, cgroupnsPrivate bool) *container.Spec {
	cfg := *ins.Config
	hc := *ins.HostConfig
	if hc.CgroupnsMode == "host" && !cgroupnsPrivate {
		hc.CgroupnsMode = ""
	}
	if hc.Privileged || hc.PidMode == "host" || hc.IpcMode == "host" {
		var opts []string
		for _, o := range hc.SecurityOpt {
			if o != "label=disable" && o != "label:disable" {
				opts = append(opts, o)
			}
		}
		hc.SecurityOpt = opts
	}
	obj := "container " + name
	spec := &container.Spec{
		Config:     &cfg,
		HostConfig: &hc,
		Subject:    facts.Subject{Kind: facts.SubjectContainer, Name: name, Host: host},
		Origin:     facts.Location{Engine: host, Object: obj},
		At:         map[string]facts.Location{},
	}
	mark := func(field string) { spec.At[field] = facts.Location{Engine: host, Object: obj, Field: field} }
	if ins.NetworkSettings != nil {
		for n := range ins.NetworkSettings.Networks {
			spec.Networks = append(spec.Networks, n)
		}
		sort.Strings(spec.Networks)
	}

	if img != nil && img.Config != nil {
		ic := img.Config
		ref := cfg.Image
		if ref == "" || strings.HasPrefix(ref, "sha256:") {
			ref = shortID(img.ID)
		}
		imgAt := func(field string) facts.Location {
			return facts.Location{Engine: host, Object: "image " + ref, Field: field}
		}
		im := &facts.Container{ImageUserKnown: true}
		if cfg.User == ic.User {
			cfg.User = ""
			if ic.User != "" {
				im.User = facts.SetAt(ic.User, imgAt("Config.User"))
			} else {
				im.User.Why = "the image's user (" + ref + " sets no USER): root"
			}
		}
		if ic.Healthcheck != nil && cfg.Healthcheck != nil && reflect.DeepEqual(ic.Healthcheck.Test, cfg.Healthcheck.Test) {
			cfg.Healthcheck = nil
			on := len(ic.Healthcheck.Test) > 0 && !strings.EqualFold(ic.Healthcheck.Test[0], "NONE")
			im.Healthcheck = facts.SetAt(on, imgAt("Config.Healthcheck"))
		}
		if len(ic.ExposedPorts) > 0 && len(cfg.ExposedPorts) > 0 {
			own := network.PortSet{}
			for p := range cfg.ExposedPorts {
				if _, fromImage := ic.ExposedPorts[p.String()]; fromImage {
					n := int(p.Num())
					im.ExposedPorts = append(im.ExposedPorts, facts.ExposedPort{Port: n, EndPort: n, Proto: string(p.Proto()), At: imgAt("Config.ExposedPorts[" + p.String() + "]")})
					continue
				}
				own[p] = struct{}{}
			}
			sort.Slice(im.ExposedPorts, func(i, j int) bool { return im.ExposedPorts[i].Port < im.ExposedPorts[j].Port })
			cfg.ExposedPorts = own
		}
		spec.Image = im
	}

	if cfg.Image != "" {
		mark(container.FieldImage)
	}
	if cfg.User != "" {
		mark(container.FieldUser)
	}
	for i := range cfg.Env {
		mark(container.Item(container.FieldEnv, i))
	}
	for p := range cfg.ExposedPorts {
		mark(container.Key(container.FieldExposedPorts, p.String()))
	}
	if cfg.Healthcheck != nil && len(cfg.Healthcheck.Test) > 0 {
		mark(container.FieldHealthcheck)
	}
	for k := range cfg.Labels {
		mark(container.Key(container.FieldLabels, k))
	}
	if len(cfg.Entrypoint) > 0 {
		mark(container.FieldEntrypoint)
	}
	if len(cfg.Cmd) > 0 {
		mark(container.FieldCmd)
	}

	// Zero values are the engine's defaults, not settings: leave them
	// unset so "no memory limit" reads as such.
	if hc.Privileged {
		mark(container.FieldPrivileged)
	}
	markList(mark, container.FieldCapAdd, len(hc.CapAdd))
	markList(mark, container.FieldCapDrop, len(hc.CapDrop))
	markList(mark, container.FieldSecurityOpt, len(hc.SecurityOpt))
	if hc.ReadonlyRootfs {
		mark(container.FieldReadonlyRootfs)
	}
	if hc.Memory > 0 && hc.MemorySwap == 2*hc.Memory {
		// What the engine stores when --memory comes without
		// --memory-swap: as much swap again.
		hc.MemorySwap = 0
	}
	for field, v := range map[string]int64{
		container.FieldMemory: hc.Memory, container.FieldMemorySwap: hc.MemorySwap,
		container.FieldNanoCPUs: hc.NanoCPUs, container.FieldCPUPeriod: hc.CPUPeriod,
		container.FieldCPUQuota: hc.CPUQuota, container.FieldCPUShares: hc.CPUShares,
	} {
		if v != 0 {
			mark(field)
		}
	}
	if hc.PidsLimit != nil && *hc.PidsLimit == 0 {
		hc.PidsLimit = nil // the engine's way of saying unlimited by default
	}
	if hc.PidsLimit != nil {
		mark(container.FieldPidsLimit)
	}
	if hc.RestartPolicy.Name != "" {
		mark(container.FieldRestartPolicy)
	}
	markList(mark, container.FieldUlimits, len(hc.Ulimits))
	for field, v := range map[string]string{
		container.FieldNetworkMode: string(hc.NetworkMode), container.FieldPidMode: string(hc.PidMode),
		container.FieldIpcMode: string(hc.IpcMode), container.FieldUTSMode: string(hc.UTSMode),
		container.FieldUsernsMode: string(hc.UsernsMode), container.FieldCgroupnsMode: string(hc.CgroupnsMode),
	} {
		if v != "" {
			mark(field)
		}
	}
	if hc.IpcMode == "private" || hc.IpcMode == "shareable" {
		delete(spec.At, container.FieldIpcMode)
	}
	markList(mark, container.FieldBinds, len(hc.Binds))
	markList(mark, container.FieldMounts, len(hc.Mounts))
	for k := range hc.Tmpfs {
		mark(container.Key(container.FieldTmpfs, k))
	}
	markList(mark, container.FieldDevices, len(hc.Devices))
	markList(mark, container.FieldDeviceCgroupRules, len(hc.DeviceCgroupRules))
	for p := range hc.PortBindings {
		mark(container.Key(container.FieldPortBindings, p.String()))
	}
	if hc.PublishAllPorts {
		mark(container.FieldPublishAllPorts)
	}
	return spec
}

func markList(mark func(string), field string, n int) {
	if n == 0 {
		return
	}
	mark(field)
	for i := 0; i < n; i++ {
		mark(container.Item(field, i))
	}
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// engineSockets marks the bind mounts that reach the engine's own socket
// (the one dockguard connected to, the daemon's -H listeners,
// containerd's) whatever their names: by inode where the daemon's host can
// be looked at, by path otherwise.
func (r *reader) engineSockets(c *facts.Container) {
	sock, ok := strings.CutPrefix(r.snap.Host, "unix://")
	if !ok {
		return
	}
	for i := range c.Mounts {
		m := &c.Mounts[i]
		if m.Type != "bind" || !path.IsAbs(m.Source) {
			continue
		}
		src := path.Clean(m.Source)
		if r.host != nil {
			if look, err := r.host.Look(src); err == nil && look.Socket == hostview.SocketEngine {
				m.Host = &facts.HostMount{Socket: look.Socket, SocketPath: look.SocketPath, Holds: look.Holds}
				continue
			}
		}
		if src == path.Clean(sock) {
			m.Host = &facts.HostMount{Socket: hostview.SocketEngine, SocketPath: src}
		}
	}
}
