// Package enforce decides Engine API requests the way dockerd will act on
// them: the request is routed as the daemon routes it, its body decoded
// with encoding/json into the Engine API's own types, containers are
// turned into facts by the one mapper (internal/container) and judged by
// the same policy as the audit. Everything unknown is denied: routes not
// on the allow-list, bodies that do not decode, trailing data, empty or
// short bodies, bodies over the cap.
package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
)

// DefaultMaxBody is the largest body judged: dockerd forwards at most 4
// MiB to authorization plugins and rejects larger requests.
const DefaultMaxBody = 4 << 20

// GCPercent is the garbage collector's pace the enforce commands set when
// GOGC is not given: a decision allocates about 14 KiB and the heap stays
// near 10 MiB, and at Go's default of 100 collections put the p99 of
// decisions over 100 µs (TestDecideLatencyP99 measures both).
const GCPercent = 400

// MaxMessage caps the denial message.
const MaxMessage = 1024

// Request is the daemon's AuthZReq (and AuthZRes) body, with the wire
// names of moby's pkg/authorization.
type Request struct {
	User            string            `json:"User,omitempty"`
	UserAuthNMethod string            `json:"UserAuthNMethod,omitempty"`
	RequestMethod   string            `json:"RequestMethod,omitempty"`
	RequestURI      string            `json:"RequestUri,omitempty"`
	RequestBody     []byte            `json:"RequestBody,omitempty"`
	RequestHeaders  map[string]string `json:"RequestHeaders,omitempty"`
}

// Response is the plugin's answer.
type Response struct {
	Allow bool   `json:"Allow"`
	Msg   string `json:"Msg,omitempty"`
	Err   string `json:"Err,omitempty"`
}

// Images tells the user an image runs as, and the user a container's
// processes run as (Config.User after the daemon merged the image's).
type Images interface {
	// ImageUser returns the image's configured user; found is false when
	// the daemon has no such image.
	ImageUser(ctx context.Context, ref string) (user string, found bool, err error)
	// ContainerUser returns a container's user; found is false when the
	// daemon has no such container.
	ContainerUser(ctx context.Context, id string) (user string, found bool, err error)
}

// Violation is one reason a request is denied or warned about.
type Violation struct {
	Rule     string // rule ID, or an enforcement check's name
	Slug     string
	Severity rules.Severity
	Message  string
	Fix      string
	Deny     bool
}

// Decision is the verdict on one request.
type Decision struct {
	Allow      bool
	Method     string
	Route      string // the route template, or the normalized path
	Subject    string
	Violations []Violation
	// Reason says why a request was allowed or denied without rules
	// (exempt, image not present, body does not decode, …).
	Reason string
	// Msg is the denial message for the daemon.
	Msg     string
	Latency time.Duration
}

// Rules returns the IDs of the violations, denying ones first.
func (d *Decision) Rules() []string {
	out := make([]string, 0, len(d.Violations))
	for _, v := range d.Violations {
		out = append(out, v.Rule)
	}
	return out
}

// Settings are the enforcement settings and the policy.
type Settings struct {
	Config config.Enforce
	Rules  rules.Config
	// Self is the plugin's own name: requests that would disable,
	// remove or reconfigure it are always denied.
	Self string
	// ModeOverride replaces the configured mode when set (--mode).
	ModeOverride string
}

// Decider decides requests. It is safe for concurrent use.
type Decider struct {
	pol     *policy.Policy
	cfg     config.Enforce
	mode    string
	min     rules.Severity
	self    string
	maxBody int64
	images  Images
}

// New returns a Decider; images may be nil (users then unknown).
func New(s Settings, images Images) *Decider {
	d := &Decider{pol: policy.New(s.Rules), cfg: s.Config, self: s.Self, images: images}
	d.mode = s.Config.Mode
	if s.ModeOverride != "" {
		d.mode = s.ModeOverride
	}
	if d.mode == "" {
		d.mode = "enforce"
	}
	d.min = s.Config.MinSeverity
	if d.min == "" {
		d.min = rules.High
	}
	d.maxBody = s.Config.MaxBody
	if d.maxBody <= 0 {
		d.maxBody = DefaultMaxBody
	}
	return d
}

// Mode is enforce, warn or audit.
func (d *Decider) Mode() string { return d.mode }

// judgement collects what one request violates.
type judgement struct {
	d       *Decider
	vs      []Violation
	subject string
	reason  string
	denied  bool // a fail-closed denial (decode, route, size)
}

// failClosed denies the request whatever the mode's rules say.
func (j *judgement) failClosed(check, format string, args ...any) {
	j.denied = true
	j.vs = append(j.vs, Violation{Rule: check, Slug: check, Severity: rules.Critical, Message: fmt.Sprintf(format, args...), Deny: true})
}

// check adds an enforcement check's violation (not a catalogue rule);
// it always denies.
func (j *judgement) check(check, fix, format string, args ...any) {
	j.vs = append(j.vs, Violation{Rule: check, Slug: check, Severity: rules.High, Message: fmt.Sprintf(format, args...), Fix: fix, Deny: true})
}

// rule adds a catalogue rule's violation, denying per severity and the
// per-rule overrides.
func (j *judgement) rule(r *rules.Rule, sev rules.Severity, msg string) {
	deny := sev.Rank() >= j.d.min.Rank()
	for k, v := range j.d.cfg.Rules {
		if !r.Matches(k) {
			continue
		}
		switch v {
		case "deny":
			deny = true
		case "warn":
			deny = false
		case "off":
			return
		}
	}
	j.vs = append(j.vs, Violation{Rule: r.ID, Slug: r.Slug, Severity: sev, Message: msg, Fix: firstSentence(r.Remediation), Deny: deny})
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// Decide judges one AuthZReq. It never panics on hostile input and denies
// whatever it cannot judge.
func (d *Decider) Decide(ctx context.Context, r *Request) (dec Decision) {
	t0 := time.Now()
	j := &judgement{d: d}
	dec.Method = r.RequestMethod
	defer func() {
		if p := recover(); p != nil {
			j.failClosed("internal-error", "internal error: %v", p)
		}
		d.finish(&dec, j)
		dec.Latency = time.Since(t0)
	}()
	t, err := parseTarget(r.RequestMethod, r.RequestURI)
	if err != nil {
		dec.Route = r.RequestURI
		j.failClosed("bad-path", "request path %q cannot be routed: %v", truncate(r.RequestURI, 80), err)
		return
	}
	dec.Route = t.path
	if t.route == nil {
		j.failClosed("route-not-allowed", "%s %s is not on dockguard's allow-list", r.RequestMethod, truncate(t.path, 80))
		return
	}
	dec.Route = t.route.pattern
	if r.User != "" {
		j.subject = "user " + r.User
		for _, u := range d.cfg.Exempt.Users {
			if u == r.User {
				j.reason = "exempt TLS identity " + r.User
				return
			}
		}
	}
	if int64(len(r.RequestBody)) > d.maxBody {
		j.failClosed("body-too-large", "request body of %d bytes is over the %d-byte cap", len(r.RequestBody), d.maxBody)
		return
	}
	if cl, ok := header(r.RequestHeaders, "Content-Length"); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64)
		if err != nil || n < 0 {
			j.failClosed("bad-content-length", "Content-Length %q is not a length", truncate(cl, 40))
			return
		}
		if n != int64(len(r.RequestBody)) && (len(r.RequestBody) > 0 || needsBody(t.route.kind)) {
			j.failClosed("body-short", "the body forwarded is %d bytes, Content-Length says %d: not judged", len(r.RequestBody), n)
			return
		}
	}
	switch t.route.kind {
	case kindAllow:
		if t.route.pattern == "/containers/{id}/start" {
			// API < 1.24 applied a HostConfig given at start.
			if b := bytes.TrimSpace(r.RequestBody); len(b) > 0 && string(b) != "{}" && string(b) != "null" {
				j.failClosed("start-with-config", "a HostConfig given at start (API before 1.24) is not judged")
			}
		}
	case kindCreate:
		j.create(ctx, t, r)
	case kindUpdate:
		j.update(t, r)
	case kindExec:
		j.exec(ctx, t, r)
	case kindVolume:
		j.volume(r)
	case kindService:
		j.service(r)
	case kindJSONAllowed:
		if len(r.RequestBody) > 0 {
			var v any
			j.decode(r, &v)
		}
	case kindBuild:
		j.build(t)
	case kindBuildKit:
		if !d.cfg.AllowBuilds {
			j.check("buildkit-session", "set enforce.allowBuilds: true to allow BuildKit builds (their gRPC traffic is never seen by authorization plugins)",
				"%s carries BuildKit traffic that authorization cannot see", t.route.pattern)
		}
	case kindPlugin:
		j.plugin(t)
	case kindArchivePut:
		if !d.cfg.AllowArchiveWrites {
			j.check("archive-write", "set enforce.allowArchiveWrites: true to allow docker cp into containers",
				"writing into a container's filesystem (docker cp) is not allowed (CVE-2026-41567)")
		}
	default:
		j.failClosed("route-not-allowed", "%s %s is not judged", r.RequestMethod, t.route.pattern)
	}
	return
}

func needsBody(kind string) bool {
	switch kind {
	case kindCreate, kindUpdate, kindExec, kindVolume, kindService:
		return true
	}
	return false
}

func header(h map[string]string, name string) (string, bool) {
	if v, ok := h[name]; ok {
		return v, true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// decode reads a body as the daemon does (encoding/json into the API
// type) and denies what the daemon would not read the same way: empty
// bodies, bodies not sent as JSON, trailing data.
func (j *judgement) decode(r *Request, v any) bool {
	if len(bytes.TrimSpace(r.RequestBody)) == 0 {
		j.failClosed("body-missing", "the request has no body to judge (empty, chunked or not forwarded by the daemon)")
		return false
	}
	if ct, ok := header(r.RequestHeaders, "Content-Type"); ok {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			j.failClosed("body-not-json", "Content-Type %q is not application/json", truncate(ct, 60))
			return false
		}
	}
	dec := json.NewDecoder(bytes.NewReader(r.RequestBody))
	if err := dec.Decode(v); err != nil {
		j.failClosed("body-undecodable", "the body does not decode: %v", truncate(err.Error(), 120))
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		j.failClosed("body-trailing-data", "the body has data after its JSON value")
		return false
	}
	return true
}

func (j *judgement) create(ctx context.Context, t *target, r *Request) {
	var req apicontainer.CreateRequest
	if !j.decode(r, &req) {
		return
	}
	if req.Config == nil {
		j.failClosed("body-undecodable", "the body has no container configuration")
		return
	}
	name := strings.TrimPrefix(t.query.Get("name"), "/")
	j.subject = "container " + name
	if name == "" {
		j.subject = "container (unnamed)"
	}
	j.subject += " image " + req.Config.Image
	if why := j.d.exempt(ctx, name, req.Config); why != "" {
		j.reason = why
		return
	}
	spec := &container.Spec{
		Config:     req.Config,
		HostConfig: req.HostConfig,
		Subject:    facts.Subject{Kind: facts.SubjectContainer, Name: name},
		Origin:     facts.Location{Engine: "api", Object: "POST /containers/create"},
	}
	if req.Config.User == "" && req.Config.Image != "" {
		switch user, found, err := j.d.imageUser(ctx, req.Config.Image); {
		case err != nil:
			if j.d.cfg.UnknownImageUser != "allow" {
				j.check("image-user-unknown", "start dockguard with access to the daemon's API, or set enforce.unknownImageUser: allow",
					"the user of image %s cannot be asked (%v); judged as root", req.Config.Image, truncate(err.Error(), 80))
			}
			spec.Image = &facts.Container{User: facts.SetAt("root", spec.Origin)}
		case !found:
			// The daemon answers 404; the CLI pulls and creates again,
			// and that create is judged with the image known.
			j.reason = "image " + req.Config.Image + " is not present: the daemon will refuse the create"
			return
		case user == "":
			spec.Image = &facts.Container{User: facts.Value[string]{Why: "the image's user (" + req.Config.Image + " sets no USER): root"}}
		default:
			spec.Image = &facts.Container{User: facts.SetAt(user, facts.Location{Engine: "api", Object: "image " + req.Config.Image, Field: "Config.User"})}
		}
	}
	j.judge(container.Map(spec))
	j.namespaces(req.HostConfig)
}

func (d *Decider) imageUser(ctx context.Context, ref string) (string, bool, error) {
	if d.images == nil {
		return "", false, errors.New("no daemon to ask")
	}
	return d.images.ImageUser(ctx, ref)
}

// judge runs the policy on a container fact.
func (j *judgement) judge(c *facts.Container) {
	for _, f := range j.d.pol.Container(c) {
		j.rule(f.Rule, f.Severity, f.Message)
	}
}

// namespaces adds what the container rules do not decide on their own
// from a create request: joining another container's namespaces or
// mounts, and an alternate runtime.
func (j *judgement) namespaces(h *apicontainer.HostConfig) {
	if h == nil {
		return
	}
	for _, m := range []struct{ name, v string }{
		{"NetworkMode", string(h.NetworkMode)}, {"PidMode", string(h.PidMode)}, {"IpcMode", string(h.IpcMode)}, {"UTSMode", string(h.UTSMode)},
	} {
		if strings.HasPrefix(m.v, "container:") || strings.HasPrefix(m.v, "ns:") {
			j.check("namespace-join", "give the container its own namespaces", "%s %q joins another container's or a path's namespace", m.name, truncate(m.v, 60))
		}
	}
	if len(h.VolumesFrom) > 0 {
		j.check("volumes-from", "mount named volumes instead of --volumes-from", "VolumesFrom inherits the mounts of %s", truncate(strings.Join(h.VolumesFrom, ","), 60))
	}
	if h.Runtime != "" && h.Runtime != "runc" && h.Runtime != "io.containerd.runc.v2" {
		j.check("runtime", "leave --runtime unset", "runtime %q is not the default runtime", truncate(h.Runtime, 40))
	}
	for _, m := range h.Mounts {
		if m.Type == mount.TypeVolume && m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil && localBind(m.VolumeOptions.DriverConfig.Name, m.VolumeOptions.DriverConfig.Options) {
			j.check("volume-bind", "use a bind mount the policy can judge, or a plain volume", "a local-driver volume mount with o=bind mounts host path %q", truncate(m.VolumeOptions.DriverConfig.Options["device"], 60))
		}
		if m.Type == "image" {
			j.check("image-mount", "copy the files into the image instead", "image mounts are not judged")
		}
	}
}

func localBind(driver string, opts map[string]string) bool { return container.LocalBind(driver, opts) }

// ImageDigests is implemented by Images that can tell an image's ID and
// repository digests, so a digest exemption matches an image run by tag.
type ImageDigests interface {
	ImageDigests(ctx context.Context, ref string) ([]string, error)
}

func (d *Decider) exempt(ctx context.Context, name string, c *apicontainer.Config) string {
	for _, n := range d.cfg.Exempt.Names {
		if n == name && name != "" {
			return "exempt container name " + name
		}
	}
	for _, l := range d.cfg.Exempt.Labels {
		k, v, hasV := strings.Cut(l, "=")
		if got, ok := c.Labels[k]; ok && (!hasV || got == v) {
			return "exempt label " + l
		}
	}
	repo, digest := splitRef(c.Image)
	var known []string // the image's ID and repository digests, asked once
	asked := false
	for _, im := range d.cfg.Exempt.Images {
		if strings.HasPrefix(im, "sha256:") {
			if digest == im {
				return "exempt image digest " + im
			}
			if !asked {
				asked = true
				if id, ok := d.images.(ImageDigests); ok && digest == "" {
					known, _ = id.ImageDigests(ctx, c.Image)
				}
			}
			for _, k := range known {
				if k == im {
					return "exempt image digest " + im
				}
			}
			continue
		}
		if repo == im || repo == "docker.io/library/"+im || repo == "docker.io/"+im {
			return "exempt image " + im
		}
	}
	return ""
}

// splitRef returns an image reference's repository (normalized with
// docker.io/library for bare names) and digest.
func splitRef(ref string) (repo, digest string) {
	ref, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	first, _, hasSlash := strings.Cut(ref, "/")
	switch {
	case !hasSlash:
		ref = "docker.io/library/" + ref
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		ref = "docker.io/" + ref
	}
	return ref, digest
}

func (j *judgement) exec(ctx context.Context, t *target, r *Request) {
	var req apicontainer.ExecCreateRequest
	if !j.decode(r, &req) {
		return
	}
	id := t.params["id"]
	j.subject = "exec in " + id
	if req.Privileged {
		j.check("exec-privileged", "drop --privileged from docker exec", "docker exec --privileged gives the process every capability")
	}
	if j.d.cfg.AllowExecRoot {
		return
	}
	user, how := req.User, "--user "+req.User
	if strings.TrimSpace(user) == "" {
		how = "the container's user"
		unknown := j.d.cfg.UnknownImageUser != "allow" // the same setting as for creates
		if j.d.images == nil {
			if !unknown {
				return
			}
			user = "root"
			how += " (unknown: no daemon to ask)"
		} else {
			u, found, err := j.d.images.ContainerUser(ctx, id)
			switch {
			case err != nil:
				if !unknown {
					return
				}
				user, how = "root", how+" (unknown: "+truncate(err.Error(), 60)+")"
			case !found:
				return // the daemon answers 404
			default:
				user = u
				if user == "" {
					user = "root"
				}
			}
		}
	}
	if container.IsRootUser(user) {
		j.check("exec-root", "run docker exec with --user of an unprivileged user (or set enforce.allowExecRoot: true)", "exec as root (%s)", truncate(how, 80))
	}
}

func (j *judgement) update(t *target, r *Request) {
	var u apicontainer.UpdateConfig
	if !j.decode(r, &u) {
		return
	}
	j.subject = "container " + t.params["id"]
	const fix = "keep the container's limits; recreate it to change them under review"
	if u.PidsLimit != nil && *u.PidsLimit <= 0 {
		j.check("update-pids-unlimited", fix, "PidsLimit %d removes the PIDs limit", *u.PidsLimit)
	}
	if u.MemorySwap < 0 {
		j.check("update-swap-unlimited", fix, "MemorySwap %d allows unlimited swap", u.MemorySwap)
	}
	if u.Memory < 0 {
		j.check("update-memory-unlimited", fix, "Memory %d removes the memory limit", u.Memory)
	}
	if u.CPUQuota < 0 {
		j.check("update-cpu-unlimited", fix, "CpuQuota %d removes the CPU limit", u.CPUQuota)
	}
	if m := j.d.pol.Config.MaxMemory; m > 0 && u.Memory > m {
		j.check("update-memory-over-max", fix, "Memory %d is over maxMemory %d", u.Memory, m)
	}
	if m := j.d.pol.Config.MaxPids; m > 0 && u.PidsLimit != nil && *u.PidsLimit > m {
		j.check("update-pids-over-max", fix, "PidsLimit %d is over maxPids %d", *u.PidsLimit, m)
	}
	if len(u.Devices) > 0 || len(u.DeviceCgroupRules) > 0 || len(u.DeviceRequests) > 0 {
		j.check("update-devices", fix, "an update may not add devices")
	}
	switch rp := u.RestartPolicy; rp.Name {
	case "always", "unless-stopped":
		j.check("update-restart-unlimited", "use on-failure with a retry count", "restart policy %s restarts forever", rp.Name)
	case "on-failure":
		if rp.MaximumRetryCount <= 0 {
			j.check("update-restart-unlimited", "use on-failure with a retry count", "restart policy on-failure without a retry count restarts forever")
		}
	}
}

func (j *judgement) volume(r *Request) {
	var v struct {
		Name       string
		Driver     string
		DriverOpts map[string]string
		Labels     map[string]string
	}
	if !j.decode(r, &v) {
		return
	}
	j.subject = "volume " + v.Name
	if localBind(v.Driver, v.DriverOpts) {
		j.check("volume-bind", "use a named volume without o=bind, or a bind mount the policy can judge", "local-driver volume with o=bind mounts host path %q", truncate(v.DriverOpts["device"], 60))
	}
}

func (j *judgement) service(r *Request) {
	var s swarm.ServiceSpec
	if !j.decode(r, &s) {
		return
	}
	j.subject = "service " + s.Name
	cs := s.TaskTemplate.ContainerSpec
	if s.TaskTemplate.PluginSpec != nil {
		j.check("service-plugin", "install plugins by hand, reviewed", "a plugin service installs a plugin on every node")
	}
	if cs == nil {
		if s.TaskTemplate.PluginSpec == nil {
			j.failClosed("body-undecodable", "the service has no container spec")
		}
		return
	}
	j.subject += " image " + cs.Image
	c := &apicontainer.Config{Image: cs.Image, User: cs.User, Labels: cs.Labels, Env: cs.Env, Healthcheck: cs.Healthcheck}
	h := &apicontainer.HostConfig{CapAdd: cs.CapabilityAdd, CapDrop: cs.CapabilityDrop, ReadonlyRootfs: cs.ReadOnly, Mounts: cs.Mounts, Init: cs.Init}
	for _, u := range cs.Ulimits {
		h.Ulimits = append(h.Ulimits, u)
	}
	if p := cs.Privileges; p != nil {
		if p.NoNewPrivileges {
			h.SecurityOpt = append(h.SecurityOpt, "no-new-privileges")
		}
		if p.Seccomp != nil && p.Seccomp.Mode == swarm.SeccompModeUnconfined {
			h.SecurityOpt = append(h.SecurityOpt, "seccomp=unconfined")
		}
		if p.AppArmor != nil && p.AppArmor.Mode == swarm.AppArmorModeDisabled {
			h.SecurityOpt = append(h.SecurityOpt, "apparmor=unconfined")
		}
		if p.SELinuxContext != nil && p.SELinuxContext.Disable {
			h.SecurityOpt = append(h.SecurityOpt, "label=disable")
		}
	}
	if res := s.TaskTemplate.Resources; res != nil && res.Limits != nil {
		h.Memory, h.NanoCPUs = res.Limits.MemoryBytes, res.Limits.NanoCPUs
		if res.Limits.Pids > 0 {
			p := res.Limits.Pids
			h.PidsLimit = &p
		}
	}
	if rp := s.TaskTemplate.RestartPolicy; rp != nil {
		switch rp.Condition {
		case swarm.RestartPolicyConditionNone:
			h.RestartPolicy.Name = "no"
		case swarm.RestartPolicyConditionOnFailure:
			h.RestartPolicy.Name = "on-failure"
		default:
			h.RestartPolicy.Name = "always"
		}
		if rp.MaxAttempts != nil && *rp.MaxAttempts > 0 {
			h.RestartPolicy.Name = "on-failure"
			h.RestartPolicy.MaximumRetryCount = int(*rp.MaxAttempts)
		}
	} else {
		h.RestartPolicy.Name = "always" // Swarm's default condition is any
	}
	for _, n := range s.TaskTemplate.Networks {
		if n.Target == "host" {
			h.NetworkMode = "host"
		}
	}
	j.judge(container.Map(&container.Spec{Config: c, HostConfig: h,
		Subject: facts.Subject{Kind: facts.SubjectService, Name: s.Name},
		Origin:  facts.Location{Engine: "api", Object: "service " + s.Name}}))
	j.namespaces(h)
}

func (j *judgement) build(t *target) {
	if strings.EqualFold(t.query.Get("networkmode"), "host") {
		j.check("build-network-host", "build without --network host", "the build runs on the host's network")
	}
	if t.query.Get("cgroupparent") != "" {
		j.check("build-cgroup-parent", "build without --cgroup-parent", "the build runs under cgroup parent %q", truncate(t.query.Get("cgroupparent"), 60))
	}
	if t.query.Get("version") == "2" && !j.d.cfg.AllowBuilds {
		j.check("buildkit-session", "set enforce.allowBuilds: true to allow BuildKit builds", "BuildKit builds run over gRPC that authorization cannot see")
	}
}

func (j *judgement) plugin(t *target) {
	name := t.params["name"]
	if name == "" {
		name = t.query.Get("name")
		if name == "" {
			name = t.query.Get("remote")
		}
	}
	j.subject = "plugin " + name
	base, _, _ := strings.Cut(name, ":")
	if j.d.self != "" && (base == j.d.self || strings.HasSuffix(base, "/"+j.d.self)) {
		j.failClosed("plugin-self", "plugin %s is dockguard itself: it cannot be changed through the API it guards", truncate(name, 60))
		return
	}
	if !j.d.cfg.AllowPlugins {
		j.check("plugin-change", "manage plugins by hand, or set enforce.allowPlugins: true", "plugins run with the privileges they are granted; %s is not allowed", t.route.pattern)
	}
}

// finish turns the judgement into the decision under the mode.
func (d *Decider) finish(dec *Decision, j *judgement) {
	dec.Subject, dec.Reason = j.subject, j.reason
	sort.SliceStable(j.vs, func(a, b int) bool {
		if j.vs[a].Deny != j.vs[b].Deny {
			return j.vs[a].Deny
		}
		return j.vs[a].Severity.Rank() > j.vs[b].Severity.Rank()
	})
	dec.Violations = j.vs
	deny := j.denied
	for _, v := range j.vs {
		deny = deny || v.Deny
	}
	dec.Allow = !deny || d.mode != "enforce"
	if deny {
		dec.Msg = message(j.vs)
	}
}

// message is the denial text: denying rules first, each with its fix,
// capped at MaxMessage, the rest counted.
func message(vs []Violation) string {
	var b strings.Builder
	var ids []string
	n := 0
	for i, v := range vs {
		item := v.Slug
		if v.Rule != v.Slug {
			item += " (" + v.Rule + ")"
		}
		item += ": " + v.Message
		if v.Fix != "" {
			item += " fix: " + v.Fix
		}
		sep := ""
		if i > 0 {
			sep = "; "
		}
		if n > 0 && b.Len()+len(sep)+len(item) > MaxMessage-80 {
			break
		}
		if b.Len()+len(sep)+len(item) > MaxMessage-80 {
			item = truncate(item, MaxMessage-80-b.Len()-len(sep))
		}
		b.WriteString(sep + item)
		n++
	}
	if rest := vs[n:]; len(rest) > 0 {
		for _, v := range vs {
			if strings.HasPrefix(v.Rule, "DG") {
				ids = append(ids, v.Rule)
			}
		}
		fmt.Fprintf(&b, "; and %d more", len(rest))
		if len(ids) > 0 {
			s := strings.Join(ids, " ")
			fmt.Fprintf(&b, " (dockguard explain %s)", truncate(s, MaxMessage-b.Len()-25))
		}
	}
	return truncate(b.String(), MaxMessage)
}

func truncate(s string, n int) string {
	if n < 4 {
		n = 4
	}
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
