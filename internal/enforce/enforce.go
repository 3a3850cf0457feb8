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
	"mime"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
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
	profile rules.Profile
	self    string
	maxBody int64
	images  Images
	// readOnly: the read-only API profile (enforce.api: read-only).
	readOnly bool
}

// New returns a Decider; images may be nil (users then unknown).
func New(s Settings, images Images) *Decider {
	prof := s.Config.Profile
	if prof.IsZero() {
		prof = rules.DefaultProfile
	}
	d := &Decider{pol: enforcePolicy(s.Rules, prof), cfg: s.Config, self: s.Self, images: images, profile: prof}
	d.mode = s.Config.Mode
	if s.ModeOverride != "" {
		d.mode = s.ModeOverride
	}
	if d.mode == "" {
		d.mode = "enforce"
	}
	d.readOnly = s.Config.API == config.APIReadOnly
	d.maxBody = s.Config.MaxBody
	if d.maxBody <= 0 {
		d.maxBody = DefaultMaxBody
	}
	return d
}

// enforcePolicy is the audit's policy plus the rules the profile denies
// even where rules.disable quiets them in the audit (a control or a noisy
// low rule named there must not open the boundary); enforce.rules is
// where enforcement turns a rule off.
func enforcePolicy(cfg rules.Config, prof rules.Profile) *policy.Policy {
	return policy.WithProfile(cfg, prof, nil)
}

// Profile is the enforcement profile in force.
func (d *Decider) Profile() rules.Profile { return d.profile }

// Mode is enforce, warn or audit.
func (d *Decider) Mode() string { return d.mode }

// API is the proxy's API profile: full or read-only.
func (d *Decider) API() string {
	if d.readOnly {
		return config.APIReadOnly
	}
	return config.APIFull
}

// RedactsEnv reports whether the proxy redacts environment values.
func (d *Decider) RedactsEnv() bool { return d.cfg.RedactEnv }

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
	if d.readOnly && j.readOnly(r.RequestMethod, t) {
		if t.route != nil {
			dec.Route = t.route.pattern
		}
		return
	}
	if t.route == nil {
		j.failClosed("route-not-allowed", "%s %s is not on dockguard's allow-list", r.RequestMethod, truncate(t.path, 80))
		return
	}
	if d.cfg.RedactEnv && t.route.pattern == "/containers/{id}/top" {
		if why := topArgsRisk(t.query.Get("ps_args")); why != "" {
			j.failClosed("redact-env", "%s (enforce.redactEnv)", why)
			return
		}
	}
	dec.Route = t.route.pattern
	if t.version != "" && versionBelow(t.version, 1, 24) {
		// Before 1.24 a start carried a HostConfig the daemon applied;
		// no current client speaks those versions.
		j.failClosed("api-version-too-old", "API version %s is older than 1.24, which no current client sends; use the /v1.24 or later path", truncate(t.version, 20))
		return
	}
	if ct, ok := header(r.RequestHeaders, "Content-Type"); ok {
		if mt, _, _ := mime.ParseMediaType(ct); mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
			// The daemon reads form bodies as parameters (a build's form
			// wins over its query): judged on no route.
			j.failClosed("body-form", "a %s body is read by the daemon as request parameters, which dockguard does not judge; send parameters in the query", mt)
			return
		}
	}
	if r.User != "" {
		j.subject = "user " + r.User
		for _, u := range d.cfg.Exempt.Users {
			if u == r.User {
				j.reason = "exempt client identity " + r.User
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
		if n != int64(len(r.RequestBody)) && (len(r.RequestBody) > 0 || ReadsBody(t)) {
			j.failClosed("body-short", "the body forwarded is %d bytes, Content-Length says %d: not judged (the daemon forwards bodies of 1 MiB or more empty before 29.3.1)", len(r.RequestBody), n)
			return
		}
	}
	switch t.route.kind {
	case kindAllow:
		if t.route.pattern == "/containers/{id}/start" {
			// API < 1.24 applied a HostConfig given at start; later
			// versions refuse a body, so any body is not judged.
			if b := bytes.TrimSpace(r.RequestBody); len(b) > 0 && string(b) != "{}" && string(b) != "null" {
				j.failClosed("start-with-config", "a HostConfig given at start (API before 1.24) is not judged")
				return
			}
		}
		if t.route.pattern == "/containers/{id}/start" || t.route.pattern == "/containers/{id}/restart" || t.route.pattern == "/containers/{id}/archive" {
			// The daemon resolves bind sources again at every start, and
			// mounts them again (as root, following the path as it is
			// then) to read a stopped container's files for docker cp.
			j.startBinds(ctx, t)
		}
	case kindCreate:
		j.create(ctx, t, r)
	case kindUpdate:
		j.update(ctx, t, r)
	case kindExec:
		j.exec(ctx, t, r)
	case kindExecStart:
		j.execStart(t, r)
	case kindAttach:
		j.upgrade(t, r)
	case kindVolume:
		j.volume(r)
	case kindService:
		j.service(ctx, t, r)
	case kindJSONAllowed:
		j.network(t, r)
	case kindBuild:
		j.build(t)
	case kindBuildKit:
		// The BuildKit session (files, secrets and credentials the client
		// hands the build) and the BuildKit control API (/grpc, which
		// buildx's docker driver builds through) are gRPC that no
		// authorization plugin sees: what a build asks for there is
		// bounded by the daemon's builder entitlements.
		if d.cfg.DenyBuilds {
			j.check("buildkit-session", "remove enforce.allowBuilds: false to allow BuildKit builds",
				"%s carries BuildKit traffic, denied by enforce.allowBuilds: false", t.route.pattern)
		}
		j.upgrade(t, r)
	case kindPlugin:
		j.plugin(t, r)
	case kindArchivePut:
		if !d.cfg.AllowArchiveWrites {
			j.archiveWrite(ctx)
		}
		// The daemon mounts the binds again for the copy, and writes the
		// archive's owners and modes as root: into a bind that is the
		// host's, a set-user-ID-root file. Whatever the version.
		j.startBinds(ctx, t)
		j.archiveIntoBinds(ctx, t)
	default:
		j.failClosed("route-not-allowed", "%s %s is not judged", r.RequestMethod, t.route.pattern)
	}
	return
}

// archiveWrite denies docker cp into a container on a daemon affected by
// CVE-2026-41567 (the daemon runs the container's decompressor as root on
// the host), and when the daemon's version cannot be known.
func (j *judgement) archiveWrite(ctx context.Context) {
	const fix = "upgrade the daemon to a release with the fix, or set enforce.allowArchiveWrites: true"
	f, err := j.d.daemonFacts(ctx)
	if err != nil {
		j.check("archive-write", fix, "the daemon's version cannot be asked (%s): docker cp into a container is denied on a daemon that may have CVE-2026-41567", truncate(err.Error(), 80))
		return
	}
	if _, ok := cves.Parse(f.Version); !ok {
		j.check("archive-write", fix, "the daemon's version %q cannot be read: docker cp into a container is denied on a daemon that may have CVE-2026-41567", truncate(f.Version, 40))
		return
	}
	for _, a := range KnownBypasses(f.Version) {
		if a.CVE == archiveCVE {
			j.check("archive-write", fix, "docker cp into a container on daemon %s runs the container's decompressor as root on the host (%s; fixed in %s)", truncate(f.Version, 40), a.CVE, a.Fixed)
			return
		}
	}
}

// judge runs the policy on a container fact.
func (j *judgement) judge(c *facts.Container) {
	for _, f := range j.d.pol.Container(c) {
		j.rule(f.Rule, f.Severity, f.Message)
	}
}

// deniedFields adds a violation for each DenySet field of the table set in v,
// a decoded request of the type the table names name.
func (j *judgement) deniedFields(name string, v any) {
	for _, path := range setFields(name, reflect.ValueOf(v)) {
		f, _, _ := Classify(path)
		why := f.Why
		if why == "" {
			why = "not judged"
		}
		j.check("field-denied", "leave "+path+" unset", "%s is set: %s", path, why)
	}
}
