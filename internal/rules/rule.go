// Package rules is dockguard's catalogue: one file per rule, each a pure
// function from facts to findings, registering itself with its metadata.
// Reading this folder is reading the policy; `dockguard rules`, `explain`,
// the README table and report descriptors are all generated from it.
package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// Rule is one check and everything a user needs to know about it.
type Rule struct {
	ID          string   `json:"id"`   // DG + number; ranges by group (see Threat)
	Slug        string   `json:"slug"` // stable, kebab-case
	Control     Control  `json:"control"`
	Threat      Threat   `json:"threat"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Rationale   string   `json:"rationale"`
	Remediation string   `json:"remediation"`
	References  []string `json:"references,omitempty"`
	// Doc is the long text `explain` shows: what the rule sees, what it
	// deliberately does not, and why its severity is what it is.
	Doc string `json:"doc,omitempty"`
	// Surfaces narrows where the rule applies, when its facts exist on
	// fewer surfaces than its hooks reach (a restart count exists only
	// on a live container). Empty means every surface the hooks reach;
	// AppliesTo is what users are shown. A test keeps it a subset.
	Surfaces []Surface `json:"-"`
	// ImageConfig marks Container rules that also judge an image's own
	// config (its USER, ENV), which has no run configuration.
	ImageConfig bool `json:"-"`
	// OffWhen turns the rule off under a setting that makes it moot
	// (digest pinning when the configuration accepts tags).
	OffWhen func(*Config) bool `json:"-"`
	// Request marks rules that enforcement judges on Engine API requests
	// beyond the container they describe: exec, update, volume and
	// network bodies, builds, plugins, and how a request is shaped. They
	// read the API's request types and may ask the daemon, so their
	// decision code lives in internal/enforce; their identity, severity
	// and mode live here.
	Request bool `json:"-"`
	// Enforce marks the rules no setting relaxes (EnforceFailClosed);
	// which other rules deny is the profiles' membership (profile.go).
	Enforce EnforceMode `json:"enforce,omitempty"`

	// Build judges how an image is built (Dockerfile, image history).
	Build func(b *facts.Build, r *Reporter) `json:"-"`
	// Container judges a container as it will run.
	Container func(c *facts.Container, r *Reporter) `json:"-"`
	// Project judges containers deployed together (a compose project).
	Project func(p *facts.Project, r *Reporter) `json:"-"`
	// Host judges a Docker host and its daemon.
	Host func(h *facts.Host, r *Reporter) `json:"-"`
	// Image judges an image's content: its files in every layer, its
	// history and how it was referenced.
	Image func(im *facts.Image, r *Reporter) `json:"-"`
	// Script judges shell code that runs on a host or CI runner (a shell
	// script, Makefile recipes, CI steps): what it downloads, which checks
	// it turns off, which credentials it writes on command lines.
	Script func(s *facts.Script, r *Reporter) `json:"-"`
	// Shell marks Build rules that read RUN bodies as POSIX shell; they do
	// not apply to Windows images.
	Shell bool `json:"-"`
	// Off rules run only when the configuration enables them.
	Off bool `json:"off,omitempty"`
	// Meta rules are reported by the policy itself (about ignores), not by
	// judging facts.
	Meta bool `json:"-"`
}

// EnforceMode is what enforcement does with a rule's findings by default.
type EnforceMode string

const (
	// EnforceByProfile denies when the profile in force has the rule.
	EnforceByProfile EnforceMode = ""
	// EnforceFailClosed always denies: the request could not be judged,
	// and no setting lets an unjudged request through.
	EnforceFailClosed EnforceMode = "fail-closed"
)

// AppliesTo returns the surfaces the rule judges: those its hooks reach,
// narrowed by Surfaces when it is set.
func (r *Rule) AppliesTo() []Surface {
	reach := r.Reach()
	if len(r.Surfaces) == 0 {
		return reach
	}
	var out []Surface
	for _, s := range reach {
		for _, n := range r.Surfaces {
			if s == n {
				out = append(out, s)
			}
		}
	}
	return out
}

// Reach returns every surface the rule's hooks are run on, in the order
// of CONTROLS.md's surface letters.
func (r *Rule) Reach() []Surface {
	on := map[Surface]bool{}
	if r.Build != nil {
		on[SurfaceDockerfile] = true
	}
	if r.Container != nil {
		// The one mapper turns each of these into a container fact.
		for _, s := range []Surface{SurfaceCompose, SurfaceRun, SurfaceLive, SurfaceSwarm, SurfaceAPI} {
			on[s] = true
		}
		if r.ImageConfig {
			on[SurfaceImage] = true
		}
	}
	if r.Project != nil {
		on[SurfaceCompose], on[SurfaceLive] = true, true
	}
	if r.Host != nil {
		on[SurfaceHost] = true
	}
	if r.Image != nil {
		on[SurfaceImage] = true
	}
	if r.Script != nil {
		on[SurfaceRun] = true
	}
	if r.Request {
		on[SurfaceAPI] = true
	}
	if r.Meta {
		// Ignore directives are read in Dockerfiles and compose files.
		on[SurfaceDockerfile], on[SurfaceCompose] = true, true
	}
	var out []Surface
	for _, s := range AllSurfaces {
		if on[s] {
			out = append(out, s)
		}
	}
	return out
}

// MarshalJSON writes the rule with the surfaces it applies to.
func (r *Rule) MarshalJSON() ([]byte, error) {
	type plain Rule
	return json.Marshal(struct {
		*plain
		Surfaces []Surface `json:"surfaces"`
	}{(*plain)(r), r.AppliesTo()})
}

// Finding is one problem, at one place, about one subject.
type Finding struct {
	Rule     *Rule
	Severity Severity
	Subject  facts.Subject
	Message  string
	At       facts.Location
	// DeniedBy names the enforcement profile that would deny the finding
	// (audit --profile); "" when none was asked for or it would not.
	DeniedBy string
}

// Reporter collects a rule's findings; the message is built where the
// decision is made.
type Reporter struct {
	rule     *Rule
	config   *Config
	findings []Finding
}

// Config holds the user's settings: which rules run and at what severity,
// and the thresholds and allow-lists rules read. The zero value is the
// default policy.
type Config struct {
	// Disable turns rules off, by ID, slug or control; Enable turns on
	// rules that are off by default (Rule.Off). Enable wins over Disable.
	Disable []string
	Enable  []string
	// Severity overrides the severity of every finding of a rule (by ID,
	// slug or control).
	Severity map[string]Severity

	// TrustedRegistries limits where images may come from; empty means any.
	TrustedRegistries []string
	// MaxMemory (bytes), MaxPids and MaxRestartRetries are the largest
	// limits that count as limits; 0 means any limit will do.
	MaxMemory         int64
	MaxPids           int64
	MaxRestartRetries int
	// NoDigestPinning accepts images pinned by tag alone.
	NoDigestPinning bool
	// Allow is the allow-lists (.dockguard.yaml allow:), read alike by
	// the audit and enforcement.
	Allow Allow
	// SensitivePaths are host paths to treat like /etc when mounted.
	SensitivePaths []string
	// SUIDAllow are image paths that may keep or get a SUID/SGID bit.
	SUIDAllow []string
	// TrustLabel and TenantLabel are the label keys for host segregation;
	// empty means dockguard.trust and dockguard.tenant.
	TrustLabel  string
	TenantLabel string
}

// Allow lists what the configuration declares safe beyond the built-in
// defaults. Each list widens one rule's idea of safe; none turns a rule off.
type Allow struct {
	// BindRoots are the host folders restricted lets binds come from.
	BindRoots []string
	// Devices are host device paths allowed beyond named character
	// devices (a disk given to a storage container).
	Devices []string
	// Capabilities may be added (upper case, without CAP_).
	Capabilities []string
	// SeccompProfiles are sha256:<hex> hashes of the canonical JSON of
	// seccomp profiles (SeccompHash).
	SeccompProfiles []string
	// AppArmorProfiles are AppArmor profiles besides docker-default.
	AppArmorProfiles []string
	// SELinuxTypes are SELinux process types besides the container
	// types of container-selinux.
	SELinuxTypes []string
	// VolumeDrivers are volume plugins allowed besides local.
	VolumeDrivers []string
	// VolumeTypes are filesystem types a local volume may mount besides
	// tmpfs and network filesystems.
	VolumeTypes []string
	// Sysctls are kernel parameters allowed beyond the namespaced ones:
	// a name, or a prefix ending in ".*".
	Sysctls []string
	// Runtimes are OCI runtimes allowed besides the daemon's default.
	Runtimes []string
}

// Has reports whether v is on an allow-list, compared as its rule compares
// (upper case for capabilities is done by the caller).
func Has(list []string, v string) bool {
	for _, a := range list {
		if a == v {
			return true
		}
	}
	return false
}

// NewReporter returns a reporter for one rule.
func NewReporter(r *Rule, cfg *Config) *Reporter {
	if cfg == nil {
		cfg = &Config{}
	}
	return &Reporter{rule: r, config: cfg}
}

// Config returns the settings the rule runs under.
func (r *Reporter) Config() *Config { return r.config }

// Report records a finding.
func (r *Reporter) Report(subject facts.Subject, at facts.Location, format string, args ...any) {
	r.findings = append(r.findings, Finding{
		Rule:     r.rule,
		Severity: r.rule.Severity,
		Subject:  subject,
		Message:  fmt.Sprintf(format, args...),
		At:       at,
	})
}

// ReportSeverity records a finding at a lower severity than the rule's
// (a read-only mount of a path that is worse read-write). Rule.Severity is
// the worst a rule reports.
func (r *Reporter) ReportSeverity(sev Severity, subject facts.Subject, at facts.Location, format string, args ...any) {
	if sev.Rank() > r.rule.Severity.Rank() {
		sev = r.rule.Severity
	}
	r.findings = append(r.findings, Finding{
		Rule:     r.rule,
		Severity: sev,
		Subject:  subject,
		Message:  fmt.Sprintf(format, args...),
		At:       at,
	})
}

// Findings returns what was reported.
func (r *Reporter) Findings() []Finding { return r.findings }

var registry = map[string]*Rule{}

// register adds a rule; called from each rule file's init. A bad rule is a
// programming error caught by the first test run.
func register(r *Rule) {
	if _, dup := registry[r.ID]; dup {
		panic("rules: duplicate id " + r.ID)
	}
	for _, o := range registry {
		if o.Slug == r.Slug {
			panic("rules: duplicate slug " + r.Slug)
		}
	}
	registry[r.ID] = r
}

// All returns every rule, ordered by ID.
func All() []*Rule {
	out := make([]*Rule, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup resolves what a user names: a rule ID (any case), a rule slug, or a
// control name (all of its rules).
func Lookup(name string) []*Rule {
	n := strings.TrimSpace(name)
	if r, ok := registry[strings.ToUpper(n)]; ok {
		return []*Rule{r}
	}
	var out []*Rule
	for _, r := range All() {
		if r.Slug == strings.ToLower(n) {
			return []*Rule{r}
		}
		if string(r.Control) == strings.ToLower(n) {
			out = append(out, r)
		}
	}
	return out
}

// Matches reports whether name (ID, slug or control) designates this rule.
func (r *Rule) Matches(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	return n == strings.ToLower(r.ID) || n == r.Slug || n == string(r.Control)
}
