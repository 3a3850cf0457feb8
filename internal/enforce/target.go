package enforce

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// Requests that enter or join a container that already exists (exec,
// namespace joins, VolumesFrom, update) get what that container has: its
// privileges, its host namespaces, its mounts. They are judged by the
// container itself, asked of the daemon and run through the same path as
// a create (judgement.container), so that they pass exactly when a create
// of that container would pass under the profile in force.

// maxTargetDepth bounds the chain of containers judged through their
// joins (a container that joins one that joins another …): the daemon
// refuses cycles, and a longer chain is not judged.
const maxTargetDepth = 4

// inspect asks the daemon for a container; an error says why it cannot be
// judged (not found included: a rename can give the name to another
// container between this lookup and the daemon's).
func (d *Decider) inspect(ctx context.Context, ref string) (*Inspected, error) {
	cs, ok := d.images.(Containers)
	if !ok {
		return nil, errors.New("no daemon to ask")
	}
	c, found, err := cs.InspectContainer(ctx, ref)
	switch {
	case err != nil:
		return nil, errors.New(truncate(err.Error(), 100))
	case !found:
		return nil, errors.New("the daemon has no such container")
	}
	return c, nil
}

// daemonFacts asks the daemon about itself.
func (d *Decider) daemonFacts(ctx context.Context) (DaemonFacts, error) {
	df, ok := d.images.(Daemon)
	if !ok {
		return DaemonFacts{}, errors.New("no daemon to ask")
	}
	return df.DaemonFacts(ctx)
}

// targetVerdict judges an existing container as a create of it would be
// judged, its user replaced by user when that is not empty (the user an
// exec runs as), and returns the violations that deny it.
func (j *judgement) targetVerdict(ctx context.Context, c *Inspected, user string) []Violation {
	if j.depth >= maxTargetDepth {
		return []Violation{j.unjudged("target-too-deep", "container %s joins a chain of more than %d containers, which is not judged", truncate(c.Name, 60), maxTargetDepth)}
	}
	sub := &judgement{d: j.d, depth: j.depth + 1}
	cr, err := j.d.createOf(ctx, c)
	if err != nil {
		return []Violation{j.unjudged("target-unjudged", "container %s cannot be judged: %v", truncate(c.Name, 60), err)}
	}
	if user != "" {
		cr.Config.User = user
	}
	sub.container(ctx, cr, c.Name, facts.Location{Engine: "api", Object: "container " + c.Name}, true)
	var out []Violation
	for _, v := range sub.vs {
		if v.Deny {
			out = append(out, v)
		}
	}
	return out
}

// unjudged is a request-unjudged violation, not yet added.
func (j *judgement) unjudged(check, format string, args ...any) Violation {
	r := requestRule("request-unjudged")
	return Violation{Rule: r.ID, Slug: r.Slug, Check: check, Severity: r.Severity, Message: check + ": " + fmt.Sprintf(format, args...), Deny: true}
}

// reasons lists the violations that deny a container, for a message.
func reasons(vs []Violation) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		item := v.Slug
		if v.Rule != v.Slug {
			item += " (" + v.Rule + ")"
		}
		parts = append(parts, item+": "+v.Message)
	}
	return truncate(strings.Join(parts, "; "), 400)
}

// createOf expresses an inspected container as the create that would make
// it. The values the daemon fills in by itself are its defaults, not
// settings, and are taken back out, as the audit of a live engine does:
// the host cgroup namespace on a daemon whose default it is (cgroup v1),
// the daemon's default runtime, the SELinux label the daemon turns off beside --privileged or a host
// PID or IPC namespace, the /proc and /sys paths it masks and keeps
// read-only when the create left them to it, a PIDs limit of 0.
func (d *Decider) createOf(ctx context.Context, c *Inspected) (*Create, error) {
	cfg := *c.Config
	hc := *c.HostConfig
	if hc.CgroupnsMode == "host" || hc.Runtime != "" && hc.Runtime != "runc" {
		f, err := d.daemonFacts(ctx)
		if err != nil {
			return nil, fmt.Errorf("the daemon's defaults (cgroup namespace, runtime) cannot be asked (%v)", truncate(err.Error(), 60))
		}
		if hc.CgroupnsMode == "host" && !f.CgroupnsPrivate {
			hc.CgroupnsMode = ""
		}
		if hc.Runtime == f.DefaultRuntime {
			hc.Runtime = ""
		}
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
	if covers(hc.MaskedPaths, defaultMaskedPaths) {
		hc.MaskedPaths = nil
	}
	if covers(hc.ReadonlyPaths, defaultReadonlyPaths) {
		hc.ReadonlyPaths = nil
	}
	if hc.PidsLimit != nil && *hc.PidsLimit == 0 {
		hc.PidsLimit = nil
	}
	return &Create{Config: &CreateConfig{Config: cfg}, HostConfig: &CreateHostConfig{HostConfig: hc}}, nil
}

// The paths dockerd 20.10 masks and keeps read-only in every container
// whose create leaves MaskedPaths and ReadonlyPaths unset (moby's
// oci.DefaultSpec); newer daemons add paths, never remove them. An
// inspected list that holds all of them is at least Docker's default.
var (
	defaultMaskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"}
	defaultReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

func covers(list, want []string) bool {
	if len(list) == 0 {
		return false
	}
	have := map[string]bool{}
	for _, p := range list {
		have[p] = true
	}
	for _, p := range want {
		if !have[p] {
			return false
		}
	}
	return true
}

// joinModes are the HostConfig fields that may name another container
// whose namespace the new one joins (container:<name or ID>).
var joinModes = []struct {
	field string
	get   func(*apicontainer.HostConfig) string
	clear func(*apicontainer.HostConfig)
}{
	{"HostConfig.NetworkMode", func(h *apicontainer.HostConfig) string { return string(h.NetworkMode) }, func(h *apicontainer.HostConfig) { h.NetworkMode = "" }},
	{"HostConfig.PidMode", func(h *apicontainer.HostConfig) string { return string(h.PidMode) }, func(h *apicontainer.HostConfig) { h.PidMode = "" }},
	{"HostConfig.IpcMode", func(h *apicontainer.HostConfig) string { return string(h.IpcMode) }, func(h *apicontainer.HostConfig) { h.IpcMode = "" }},
}

// joins judges the containers a create joins (NetworkMode, PidMode,
// IpcMode container:<x>) and inherits mounts from (VolumesFrom): each is
// allowed when that container passes the profile, and denied, naming it
// and why, when it fails or cannot be asked. It returns the HostConfig the
// rules judge: the joins taken out (the container joined was judged for
// them) and the inherited mounts added, so that what depends on this
// container's own settings (its user) is judged for them too.
func (j *judgement) joins(ctx context.Context, hc *apicontainer.HostConfig) (*apicontainer.HostConfig, bool) {
	var judged *apicontainer.HostConfig
	copyOnce := func() {
		if judged == nil {
			c := *hc
			c.Binds = append([]string(nil), hc.Binds...)
			c.Mounts = append([]mount.Mount(nil), hc.Mounts...)
			judged = &c
		}
	}
	for _, m := range joinModes {
		ref, ok := strings.CutPrefix(m.get(hc), "container:")
		if !ok {
			continue
		}
		copyOnce()
		m.clear(judged)
		how := m.field + " container:" + ref
		c, err := j.d.inspect(ctx, ref)
		if err != nil {
			j.catalogue("shared-namespace", "join a container that passes the profile, or give this one its own namespace",
				"%s: the container joined cannot be judged (%s), so what it holds is not known", truncate(how, 80), err)
			continue
		}
		if vs := j.targetVerdict(ctx, c, ""); len(vs) > 0 {
			j.catalogue("shared-namespace", "join a container that passes the profile, or give this one its own namespace",
				"%s joins container %s, which fails %s: %s", truncate(how, 80), truncate(c.Name, 60), j.d.profile, reasons(vs))
		}
	}
	for _, vf := range hc.VolumesFrom {
		copyOnce()
		ref, mode, _ := strings.Cut(vf, ":")
		how := "HostConfig.VolumesFrom " + vf
		c, err := j.d.inspect(ctx, ref)
		if err != nil {
			j.check("volumes-from", "inherit mounts only from a container that passes the profile, or mount named volumes",
				"%s: the container cannot be judged (%s), so the mounts inherited are not known", truncate(how, 80), err)
			continue
		}
		if vs := j.targetVerdict(ctx, c, ""); len(vs) > 0 {
			j.check("volumes-from", "inherit mounts only from a container that passes the profile, or mount named volumes",
				"%s inherits the mounts of container %s, which fails %s: %s", truncate(how, 80), truncate(c.Name, 60), j.d.profile, reasons(vs))
		}
		// The daemon copies each mount, read-write only when it is in the
		// container joined and the mode is not ro.
		ro := strings.Contains(","+mode+",", ",ro,")
		for _, b := range c.HostConfig.Binds {
			if ro {
				b = readOnlyBind(b)
			}
			judged.Binds = append(judged.Binds, b)
		}
		for _, mt := range c.HostConfig.Mounts {
			if ro {
				mt.ReadOnly = true
			}
			judged.Mounts = append(judged.Mounts, mt)
		}
	}
	if judged == nil {
		return hc, false
	}
	judged.VolumesFrom = nil
	return judged, true
}

// readOnlyBind makes a bind (src:dst[:opts]) read-only.
func readOnlyBind(b string) string {
	parts := strings.Split(b, ":")
	if len(parts) < 3 {
		return b + ":ro"
	}
	var opts []string
	for _, o := range strings.Split(parts[len(parts)-1], ",") {
		if o != "rw" && o != "ro" {
			opts = append(opts, o)
		}
	}
	parts[len(parts)-1] = strings.Join(append(opts, "ro"), ",")
	return strings.Join(parts, ":")
}

// catalogue adds a finding of a catalogue rule that enforcement decides on
// the request (with the severity the configuration gives it).
func (j *judgement) catalogue(slug, fix, format string, args ...any) {
	var r *rules.Rule
	for _, x := range rules.Lookup(slug) {
		if x.Slug == slug {
			r = x
		}
	}
	if r == nil {
		panic("enforce: " + slug + " is not a catalogue rule")
	}
	sev := r.Severity
	if s, ok := policy.SeverityFor(r, j.d.pol.Config); ok {
		sev = s
	}
	j.add(r, sev, fmt.Sprintf(format, args...), fix)
}

// enter makes the denying violations of the container a request runs in
// (exec) or leaves (update) the request's, each message led by prefix,
// which names the container.
func (j *judgement) enter(prefix string, vs []Violation) {
	for _, v := range vs {
		v.Message = prefix + " " + v.Message
		j.vs = append(j.vs, v)
	}
}
