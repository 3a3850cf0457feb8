package harden

import (
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	api "github.com/moby/moby/api/types/container"
)

// A Plan is what harden changes in one container, decided once from the
// container's configuration in the Engine API's types, the audit's
// findings on it and the harden configuration, before any format is
// looked at: a run line and a compose service that describe the same
// container get the same fields set to the same values. Each format has a
// writer that renders the plan into the user's own text (run.go,
// compose.go) or into an Engine API update (engine.go); a writer decides
// only where a value goes and how it is spelled, never which value.
//
// The user is decided by the findings, since the audit knows what the
// configuration alone does not (the USER of the Dockerfile a service
// builds, a privilege drop in the image's entrypoint); every other
// control by the configuration's own values, so that a setting the rules
// leave to another finding is still hardened (a privileged container
// gets cap-drop ALL and no-new-privileges, effective once privileged is
// removed by hand).
type Plan struct {
	// Limits are the limits the plan's values come from.
	Limits Limits
	// Drop is set when the container starts as root and switches user
	// itself (gosu, su-exec, … on its command line, in its image's
	// entrypoint or entrypoint script): it keeps its root start and the
	// capabilities the switch needs.
	Drop bool
	// Steps are the changes and notes in the order they are written.
	Steps []Step
	// Covered are the rules whose findings the container no longer has
	// once the plan is written: fixed by a change, or found fixed already.
	Covered []string
	// Manual are the findings the plan has no automatic fix for.
	Manual []Manual
}

// Step is one change or one note of a plan, for the finding named by Rule.
type Step struct {
	Rule   string
	Change *Change
	Note   *PlanNote
}

// Change sets one Engine API field.
type Change struct {
	// Field is the field's path, as container.Field* names it.
	Field string
	// Value is the new value in the field's own type: string for
	// Config.User and Config.Image, bool for ReadonlyRootfs, bytes (int64)
	// for Memory and MemorySwap, nano-CPUs for NanoCPUs, int64 for
	// PidsLimit, *api.Ulimit for Ulimits, api.RestartPolicy for
	// RestartPolicy, []string for CapDrop, CapAdd and Tmpfs paths, the
	// option for SecurityOpt and the host IP for PortBindings. SameAs
	// instead means "the value the other field has, as written".
	Value any
	// Add is set for list fields: Value is added to what is there, the
	// rest is kept. Otherwise the field takes Value (for SecurityOpt and
	// PortBindings: the entries that contradict it are rewritten).
	Add bool
	// Text is the value as docker run and compose write it ("512m",
	// "1024:2048", "on-failure:5"), "" when the writer has nothing to
	// choose.
	Text string
}

// SameAs is the value of another field, as the input writes it: a swap
// limit set equal to a memory limit held in a variable.
type SameAs string

// PlanNote is something a person should know about a step; each writer
// words it for its format (Kind says which note, Args its values).
type PlanNote struct {
	Kind string
	Args []string
}

// Manual is a finding harden does not fix, with the reason.
type Manual struct {
	Finding rules.Finding
	Reason  string
}

// Kinds of plan notes.
const (
	noteScriptDrop      = "script-drop"      // tool
	noteImageUser       = "image-user"       // user
	noteOwnUser         = "own-user"         // image, user
	noteDrop            = "drop"             // (none)
	noteUserReplaced    = "user-replaced"    // old, new
	noteDataVolume      = "data-volume"      // path
	noteMemoryLowered   = "memory-lowered"   // memory
	noteUlimitInvalid   = "ulimit-invalid"   // name, soft, hard
	noteRestartReplaced = "restart-replaced" // old, new
	notePublishAll      = "publish-all"      // (none)
	notePin             = "pin"              // message
)

// changes reports whether the plan sets a field.
func (p *Plan) changes(field string) bool {
	for _, st := range p.Steps {
		if st.Change != nil && st.Change.Field == field {
			return true
		}
	}
	return false
}

// planInput is everything a plan is decided from.
type planInput struct {
	spec *container.Spec
	// findings are the audit's findings on this container, found their
	// rule slugs.
	findings []rules.Finding
	found    map[string]bool
	lim      Limits
	opt      Options
	// pinnable is set when the input names the image as it is, so that a
	// digest can be added to it (not a compose service's build output,
	// not a reference made from variables).
	pinnable bool
}

// findingsOf judges a container the way the audit does (the same mapper,
// the same rules, the same configuration).
func findingsOf(spec *container.Spec, cfg rules.Config) []rules.Finding {
	return policy.New(cfg).Container(container.Map(spec))
}

// slugs are the rules of findings.
func slugs(fs []rules.Finding) map[string]bool {
	found := map[string]bool{}
	for _, f := range fs {
		found[f.Rule.Slug] = true
	}
	return found
}

type planner struct {
	in      planInput
	p       *Plan
	covered map[string]bool
}

// optedOut reports whether the configuration turns a rule off (disable:):
// harden then leaves its control as it is, whatever the format, as it
// leaves the user alone when root-user is off.
func (pl *planner) optedOut(slug string) bool {
	rs := rules.Lookup(slug)
	return len(rs) > 0 && !policy.Enabled(rs[0], pl.in.opt.Config)
}

func (pl *planner) unknown(field string) bool {
	_, ok := pl.in.spec.Unknown[field]
	return ok
}

func (pl *planner) change(rule, field string, value any, text string, add bool) {
	pl.p.Steps = append(pl.p.Steps, Step{Rule: rule, Change: &Change{Field: field, Value: value, Text: text, Add: add}})
}

func (pl *planner) note(rule, kind string, args ...string) {
	pl.p.Steps = append(pl.p.Steps, Step{Rule: rule, Note: &PlanNote{Kind: kind, Args: args}})
}

// decide makes the plan of one container.
func decide(in planInput) *Plan {
	pl := &planner{in: in, p: &Plan{Limits: in.lim}, covered: map[string]bool{}}
	pl.user()
	pl.readOnly()
	pl.capabilities()
	pl.noNewPrivileges()
	pl.image()
	pl.memory()
	pl.cpus()
	pl.pids()
	pl.ulimits()
	pl.restart()
	pl.ports()
	pl.p.Covered = sortedKeys(pl.covered)
	seen := map[string]bool{}
	for _, f := range in.findings {
		if pl.covered[f.Rule.Slug] || seen[f.Rule.Slug+"\x00"+f.Message] {
			continue
		}
		seen[f.Rule.Slug+"\x00"+f.Message] = true
		pl.p.Manual = append(pl.p.Manual, Manual{Finding: f, Reason: manualReason(f.Rule.Slug, pl.p)})
	}
	return pl.p
}

// manualReason says why a finding is left to a person.
func manualReason(slug string, p *Plan) string {
	switch slug {
	case "root-start-drop":
		return "the container switches user itself after a root start; a user set from outside would break the switch"
	case "root-user":
		if p.Drop {
			return "the container switches user itself after a root start; a user set from outside would break the switch"
		}
		return "the user cannot be set here (it is held in a variable, or the image's own user decides)"
	case "privileged", "dangerous-capability", "host-network", "host-pid-ipc", "host-uts-cgroupns", "shared-namespace",
		"userns-host", "host-device", "host-block-device", "host-path-mount", "runtime-socket-mount", "mount-propagation",
		"mount-type", "volume-bind", "volumes-from", "unmasked-paths", "seccomp-unconfined", "seccomp-profile",
		"apparmor-unconfined", "selinux-disabled", "runtime":
		return "harden never takes away what the container was given: it may need it, and only a person can tell"
	case "port-all-interfaces":
		if p.Limits.Public {
			return "the configuration keeps this container's ports public (--public, or public: true)"
		}
		return "a published port is held in a variable"
	case "ulimit-invalid":
		return "whether the soft or the hard limit is the one meant is the user's choice"
	case "publish-all":
		return "which of the exposed ports are needed is the user's choice"
	case "image-unpinned", "image-latest":
		return "pinning needs the digest the registry or engine gives (--resolve), and a tag the user chooses"
	case "secret-in-env", "secret-in-arg", "secret-arg-name":
		return "a secret must move out of the configuration (a secret store, a file mounted at run time)"
	}
	return "harden has no automatic fix for it"
}

// user gives a container that would run as root a user of its own: the
// image's service user when it switches to one itself (userFor), else the
// numeric User. Not when it switches user itself (the root start is
// needed), nor when its image runs as a user of its own.
func (pl *planner) user() {
	spec, found := pl.in.spec, pl.in.found
	c := spec.Config
	info := pl.in.opt.image(c.Image)
	// What the container runs: its own entrypoint and command, else the
	// image's when the daemon holds it.
	drop := found["root-start-drop"] || dropsPrivileges(info.starts(spec))
	_, userSet := spec.At[container.FieldUser]
	if !userSet && found["root-user"] {
		if tool := info.scriptDrop(spec, drop); tool != "" {
			drop = true
			pl.note("root-user", noteScriptDrop, tool)
		}
	}
	pl.p.Drop = drop
	switch {
	case drop:
		if !userSet {
			pl.note("root-user", noteDrop)
		}
	case !found["root-user"] || pl.unknown(container.FieldUser) || (userSet && !rootOrUnset(c.User)):
	case !userSet && info.nonRootUser() != "":
		pl.note("root-user", noteImageUser, info.nonRootUser())
	default:
		u, own := userFor(c.Image)
		if own {
			pl.note("root-user", noteOwnUser, c.Image, u)
		}
		pl.change("root-user", container.FieldUser, u, u, false)
		if userSet {
			pl.note("root-user", noteUserReplaced, c.User, u)
		}
		pl.covered["root-user"] = true
	}
}

// readOnly makes the root filesystem read-only, with a tmpfs where the
// image is known to write; its data folders stay volumes (a note).
func (pl *planner) readOnly() {
	spec := pl.in.spec
	if pl.unknown(container.FieldReadonlyRootfs) || pl.optedOut("read-only-rootfs") {
		return
	}
	pl.covered["read-only-rootfs"] = true
	if spec.HostConfig.ReadonlyRootfs {
		return
	}
	pl.change("read-only-rootfs", container.FieldReadonlyRootfs, true, "true", false)
	tmpfs, data := pl.in.opt.writablePaths(spec.Config.Image, pl.in.lim)
	var missing []string
	for _, p := range tmpfs {
		if !hasTarget(spec, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		pl.change("read-only-rootfs", container.FieldTmpfs, missing, "", true)
	}
	for _, p := range data {
		if !mountedAround(spec, p) {
			pl.note("read-only-rootfs", noteDataVolume, p)
		}
	}
}

// capabilities drops every capability, keeping those a privilege drop
// needs. No NET_BIND_SERVICE for published ports under 1024: Docker
// (20.10 and later) sets net.ipv4.ip_unprivileged_port_start=0 in a
// container's own network namespace, so any user binds them, and a
// capability added for a non-root user never becomes effective (Docker
// sets no ambient capabilities). Both measured on a private daemon
// (CapEff 0, bind allowed).
func (pl *planner) capabilities() {
	h := pl.in.spec.HostConfig
	if pl.unknown(container.FieldCapDrop) || pl.optedOut("capabilities-not-dropped") {
		return
	}
	pl.covered["capabilities-not-dropped"] = true
	// Also for a privileged container, which has no finding of this rule
	// (privileged is its finding): the drop takes effect once privileged
	// goes, which is a manual fix.
	if capIn(h.CapDrop, "ALL") {
		return
	}
	pl.change("capabilities-not-dropped", container.FieldCapDrop, []string{"ALL"}, "ALL", true)
	if !pl.p.Drop {
		return
	}
	var missing []string
	for _, n := range []string{"CHOWN", "SETUID", "SETGID"} {
		if !capIn(h.CapAdd, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		pl.change("capabilities-not-dropped", container.FieldCapAdd, missing, "", true)
	}
}

// nnpState is how a container's security options set no-new-privileges:
// on, off (an entry turning it off), or not at all.
func nnpState(opts []string) (on, off bool) {
	for _, o := range opts {
		k, v, _ := strings.Cut(strings.ReplaceAll(o, "=", ":"), ":")
		if k != "no-new-privileges" {
			continue
		}
		if b, err := strconv.ParseBool(v); v != "" && (err != nil || !b) {
			off = true
		} else {
			on = true
		}
	}
	return on, off
}

func (pl *planner) noNewPrivileges() {
	if pl.unknown(container.FieldSecurityOpt) {
		return
	}
	pl.covered["no-new-privileges-missing"] = true
	pl.covered["no-new-privileges-disabled"] = true
	on, off := nnpState(pl.in.spec.HostConfig.SecurityOpt)
	switch {
	case off && !pl.optedOut("no-new-privileges-disabled"):
		pl.change("no-new-privileges-disabled", container.FieldSecurityOpt, "no-new-privileges", "no-new-privileges", false)
	case !on && !off && !pl.optedOut("no-new-privileges-missing"):
		pl.change("no-new-privileges-missing", container.FieldSecurityOpt, "no-new-privileges", "no-new-privileges", true)
	}
}

// image pins the image by digest (--resolve), keeping its tag.
func (pl *planner) image() {
	ref := pl.in.spec.Config.Image
	if !pl.in.pinnable || pl.unknown(container.FieldImage) {
		return
	}
	pinned, n := pl.in.opt.pin(ref)
	if n != nil {
		pl.note(n.Rule, notePin, n.Message)
	}
	if pinned != "" {
		pl.change("image-unpinned", container.FieldImage, pinned, pinned, false)
		pl.covered["image-unpinned"] = true
	}
}

// memory sets the memory limit (lowering one above maxMemory) and a swap
// limit equal to it.
func (pl *planner) memory() {
	h := pl.in.spec.HostConfig
	lim := pl.in.lim
	if pl.unknown(container.FieldMemory) {
		// A limit in a variable: swap takes the same variable.
		if _, set := pl.in.spec.At[container.FieldMemorySwap]; !set && !pl.unknown(container.FieldMemorySwap) && !pl.optedOut("memory-swap") {
			pl.change("memory-swap", container.FieldMemorySwap, SameAs(container.FieldMemory), "", false)
			pl.covered["memory-swap"] = true
		}
		return
	}
	mem, memText := h.Memory, ""
	if !pl.optedOut("memory-limit") {
		switch {
		case h.Memory > 0 && pl.in.opt.Config.MaxMemory > 0 && h.Memory > pl.in.opt.Config.MaxMemory:
			mem, memText = lim.MemoryBytes, lim.Memory
			pl.change("memory-limit", container.FieldMemory, mem, memText, false)
			pl.note("memory-limit", noteMemoryLowered, memText)
		case h.Memory <= 0:
			mem, memText = lim.MemoryBytes, lim.Memory
			pl.change("memory-limit", container.FieldMemory, mem, memText, false)
		}
		pl.covered["memory-limit"] = true
	}
	if mem <= 0 || pl.unknown(container.FieldMemorySwap) || pl.optedOut("memory-swap") {
		return
	}
	pl.covered["memory-swap"] = true
	_, swapSet := pl.in.spec.At[container.FieldMemorySwap]
	if swapSet && h.MemorySwap == mem {
		return
	}
	if memText == "" {
		memText = bytesText(mem)
	}
	pl.change("memory-swap", container.FieldMemorySwap, mem, memText, false)
}

// cpus caps the CPUs when nothing caps them.
func (pl *planner) cpus() {
	h := pl.in.spec.HostConfig
	if pl.unknown(container.FieldNanoCPUs) || pl.unknown(container.FieldCPUQuota) || pl.optedOut("cpu-limit") {
		return
	}
	pl.covered["cpu-limit"] = true
	if h.NanoCPUs > 0 || h.CPUQuota > 0 {
		return
	}
	cpus, _ := strconv.ParseFloat(pl.in.lim.CPUs, 64)
	pl.change("cpu-limit", container.FieldNanoCPUs, int64(cpus*1e9), pl.in.lim.CPUs, false)
}

// pids sets a PIDs limit when there is none, it is unlimited or above
// maxPids.
func (pl *planner) pids() {
	if pl.unknown(container.FieldPidsLimit) || pl.optedOut("pids-limit") {
		return
	}
	pl.covered["pids-limit"] = true
	p, max := pl.in.spec.HostConfig.PidsLimit, pl.in.opt.Config.MaxPids
	if p != nil && *p > 0 && (max <= 0 || *p <= max) {
		return
	}
	want := pl.in.lim.Pids
	pl.change("pids-limit", container.FieldPidsLimit, want, strconv.FormatInt(want, 10), false)
}

// ulimits adds nofile and nproc where the container sets none.
func (pl *planner) ulimits() {
	if pl.unknown(container.FieldUlimits) {
		return
	}
	has := map[string]bool{}
	for _, u := range pl.in.spec.HostConfig.Ulimits {
		has[u.Name] = true
		if u.Soft > u.Hard && u.Hard >= 0 {
			pl.note("ulimit-invalid", noteUlimitInvalid, u.Name, strconv.FormatInt(u.Soft, 10), strconv.FormatInt(u.Hard, 10))
		}
	}
	if pl.optedOut("ulimits-missing") {
		return
	}
	pl.covered["ulimits-missing"] = true
	lim := pl.in.lim
	for _, u := range []struct{ name, text string }{{"nofile", lim.NoFile}, {"nproc", lim.NProc}} {
		if has[u.name] {
			continue
		}
		soft, hard := ulimitPair(u.text)
		pl.change("ulimits-missing", container.FieldUlimits, &api.Ulimit{Name: u.name, Soft: soft, Hard: hard}, u.text, true)
	}
}

// restart bounds a restart policy that restarts forever (or more often
// than maxRestartRetries).
func (pl *planner) restart() {
	if pl.unknown(container.FieldRestartPolicy) || pl.optedOut("restart-policy") {
		return
	}
	if _, set := pl.in.spec.At[container.FieldRestartPolicy]; set {
		pl.covered["restart-policy"] = true
	}
	rp := pl.in.spec.HostConfig.RestartPolicy
	max := pl.in.opt.Config.MaxRestartRetries
	// A count with always (compose's deploy condition: any with
	// max_attempts) bounds it already.
	forever := (rp.Name == "always" || rp.Name == "unless-stopped") && rp.MaximumRetryCount <= 0
	if !(forever ||
		(rp.Name == "on-failure" && (rp.MaximumRetryCount <= 0 || (max > 0 && rp.MaximumRetryCount > max)))) {
		return
	}
	want := api.RestartPolicy{Name: "on-failure", MaximumRetryCount: pl.in.lim.Retries}
	text := "on-failure:" + strconv.Itoa(want.MaximumRetryCount)
	pl.change("restart-policy", container.FieldRestartPolicy, want, text, false)
	if rp.Name == "always" || rp.Name == "unless-stopped" {
		pl.note("restart-policy", noteRestartReplaced, string(rp.Name), text)
	}
	pl.covered["restart-policy"] = true
}

// ports binds published ports to 127.0.0.1, unless they are to stay
// public.
func (pl *planner) ports() {
	if pl.in.lim.Public {
		return
	}
	h := pl.in.spec.HostConfig
	if h.PublishAllPorts && !pl.optedOut("publish-all") {
		pl.note("publish-all", notePublishAll)
	}
	if pl.optedOut("port-all-interfaces") {
		return
	}
	if anyInterface(h) {
		pl.change("port-all-interfaces", container.FieldPortBindings, "127.0.0.1", "127.0.0.1", false)
	}
	if !pl.unknown(container.FieldPortBindings) {
		pl.covered["port-all-interfaces"] = true
	}
}

// anyInterface reports whether a port is published on every interface.
func anyInterface(h *api.HostConfig) bool {
	for _, bs := range h.PortBindings {
		for _, b := range bs {
			if !b.HostIP.IsValid() || b.HostIP.IsUnspecified() {
				return true
			}
		}
	}
	return false
}
