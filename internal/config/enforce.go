package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/rules"
	"go.yaml.in/yaml/v3"
)

// Enforce is the enforcement section (authorization plugin and socket
// proxy). The zero value is the default: enforce mode, the baseline
// profile.
type Enforce struct {
	// Mode is "enforce" (deny), "warn" (allow and log a warning) or
	// "audit" (allow and log); "" is enforce.
	Mode string
	// Profile decides which findings deny (rules.Profile.Denies); the zero
	// value is rules.DefaultProfile. ProfileLine is where it was set.
	Profile     rules.Profile
	ProfileLine int
	// Rules overrides the profile per rule (ID, slug or control): "deny"
	// denies, "warn" never denies, "off" ignores the rule.
	Rules map[string]string
	// UnknownImageUser is what a create whose image user cannot be asked
	// (the daemon does not answer) is judged as: "deny" (default) or
	// "allow".
	UnknownImageUser string
	// DenyBuilds (allowBuilds: false) denies BuildKit builds: /session,
	// /grpc and /build?version=2. By default they are allowed and judged
	// on what the request shows (the zero value is the default).
	DenyBuilds bool
	// AllowExecRoot lets exec sessions run as root.
	AllowExecRoot bool
	// AllowPlugins lets plugin install, enable, disable, set, upgrade and
	// remove through (never for dockguard's own plugin).
	AllowPlugins bool
	// AllowArchiveWrites lets PUT /containers/{id}/archive through.
	AllowArchiveWrites bool
	// MaxBody is the largest request body judged, in bytes (0: 4 MiB).
	MaxBody int64
	// API is the proxy's API profile: "full" ("" too: every route the
	// policy allows) or "read-only" (the routes monitoring tools read,
	// whatever the mode). The plugin ignores it: it would make the whole
	// daemon read-only.
	API string
	// RedactEnv has the proxy replace environment values in the inspect
	// and list answers that carry them (containers, images, services,
	// tasks), keeping the names.
	RedactEnv bool
	// Exempt requests are allowed and logged.
	Exempt Exemptions
	// Warnings are settings that were read and are not honoured (removed
	// keys): the plugin logs them and starts, since a plugin that does
	// not start makes dockerd refuse every request.
	Warnings []string
}

// Exemptions name what enforcement lets through unjudged: only what the
// requester cannot choose. Names, labels and tags are chosen by whoever
// sends the request, so they exempt nothing.
type Exemptions struct {
	// Images are image digests (sha256:…, a manifest digest or an image
	// ID) or repository@sha256:… references; a create is exempt only when
	// it names the image by that digest.
	Images []string
	// Users are client identities: the TLS client certificate's common
	// name (the proxy), the authorization request's User (the plugin,
	// under dockerd --tlsverify).
	Users []string
}

type enforceFile struct {
	Mode               *scalar           `yaml:"mode"`
	Profile            *scalar           `yaml:"profile"`
	MinSeverity        *scalar           `yaml:"minSeverity"`
	Rules              map[string]scalar `yaml:"rules"`
	UnknownImageUser   *scalar           `yaml:"unknownImageUser"`
	AllowBuilds        *scalar           `yaml:"allowBuilds"`
	AllowExecRoot      *scalar           `yaml:"allowExecRoot"`
	AllowPlugins       *scalar           `yaml:"allowPlugins"`
	AllowArchiveWrites *scalar           `yaml:"allowArchiveWrites"`
	MaxBody            *scalar           `yaml:"maxBody"`
	API                *scalar           `yaml:"api"`
	RedactEnv          *scalar           `yaml:"redactEnv"`
	Exempt             *exemptFile       `yaml:"exempt"`
}

type exemptFile struct {
	Images []scalar `yaml:"images"`
	Names  []scalar `yaml:"names"`
	Labels []scalar `yaml:"labels"`
	Users  []scalar `yaml:"users"`
}

// strictKeys rejects keys a section does not know, with their line: a node
// decoded through UnmarshalYAML loses the decoder's KnownFields.
func strictKeys(n *yaml.Node, section string, known ...string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &lineError{n.Line, section + ": must be a map"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ok := false
		for _, want := range known {
			if k.Value == want {
				ok = true
			}
		}
		if !ok {
			return &lineError{k.Line, fmt.Sprintf("%s: unknown key %q (see `dockguard init` for every key)", section, k.Value)}
		}
	}
	return nil
}

func (e *enforceFile) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "enforce", "mode", "profile", "minSeverity", "rules", "unknownImageUser", "allowBuilds",
		"allowExecRoot", "allowPlugins", "allowArchiveWrites", "maxBody", "api", "redactEnv", "exempt"); err != nil {
		return err
	}
	type plain enforceFile
	return n.Decode((*plain)(e))
}

func (e *exemptFile) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "enforce.exempt", "images", "names", "labels", "users"); err != nil {
		return err
	}
	type plain exemptFile
	return n.Decode((*plain)(e))
}

func parseEnforce(f *enforceFile, fail func(int, string, ...any) error) (Enforce, error) {
	var e Enforce
	if f == nil {
		return e, nil
	}
	if f.Mode != nil {
		switch v := strings.ToLower(f.Mode.Value); v {
		case "enforce", "warn", "audit":
			e.Mode = v
		default:
			return e, fail(f.Mode.Line, "enforce.mode: %q is not enforce, warn or audit", f.Mode.Value)
		}
	}
	if f.Profile != nil {
		p, err := rules.ParseProfile(f.Profile.Value)
		if err != nil {
			return e, fail(f.Profile.Line, "enforce.profile: %v", err)
		}
		e.Profile, e.ProfileLine = p, f.Profile.Line
	}
	if f.MinSeverity != nil {
		// Removed: a profile decides what denies. A removed key warns and
		// never stops the plugin (dockerd then refuses every request).
		e.Warnings = append(e.Warnings, fmt.Sprintf("line %d: enforce.minSeverity is removed and not honoured (%q): enforce.profile (baseline@v1 or restricted@v1) decides what denies, and enforce.rules overrides it per rule", f.MinSeverity.Line, f.MinSeverity.Value))
	}
	for k, v := range f.Rules {
		if len(rules.Lookup(k)) == 0 {
			return e, fail(v.Line, "enforce.rules: no rule, slug or control named %q (see `dockguard rules`)", k)
		}
		switch d := strings.ToLower(v.Value); d {
		case "deny", "warn", "off":
			for _, r := range rules.Lookup(k) {
				if r.Enforce == rules.EnforceFailClosed && d != "deny" {
					e.Warnings = append(e.Warnings, fmt.Sprintf("line %d: enforce.rules.%s: %s: %s always denies (no setting relaxes it); %s is ignored for it", v.Line, k, d, r.Slug, d))
				}
			}
			if e.Rules == nil {
				e.Rules = map[string]string{}
			}
			e.Rules[k] = d
		default:
			return e, fail(v.Line, "enforce.rules.%s: %q is not deny, warn or off", k, v.Value)
		}
	}
	if f.UnknownImageUser != nil {
		switch v := strings.ToLower(f.UnknownImageUser.Value); v {
		case "deny", "allow":
			e.UnknownImageUser = v
		default:
			return e, fail(f.UnknownImageUser.Line, "enforce.unknownImageUser: %q is not deny or allow", f.UnknownImageUser.Value)
		}
	}
	for _, b := range []struct {
		key string
		s   *scalar
		dst *bool
	}{
		{"allowExecRoot", f.AllowExecRoot, &e.AllowExecRoot},
		{"allowPlugins", f.AllowPlugins, &e.AllowPlugins},
		{"allowArchiveWrites", f.AllowArchiveWrites, &e.AllowArchiveWrites},
		{"redactEnv", f.RedactEnv, &e.RedactEnv},
	} {
		if b.s == nil {
			continue
		}
		v, err := strconv.ParseBool(b.s.Value)
		if err != nil {
			return e, fail(b.s.Line, "enforce.%s: %q is not true or false", b.key, b.s.Value)
		}
		*b.dst = v
	}
	if f.AllowBuilds != nil {
		v, err := strconv.ParseBool(f.AllowBuilds.Value)
		if err != nil {
			return e, fail(f.AllowBuilds.Line, "enforce.allowBuilds: %q is not true or false", f.AllowBuilds.Value)
		}
		e.DenyBuilds = !v
	}
	if f.MaxBody != nil {
		n, err := units.RAMInBytes(f.MaxBody.Value)
		if err != nil || n <= 0 {
			return e, fail(f.MaxBody.Line, "enforce.maxBody: %q is not a size such as 4m", f.MaxBody.Value)
		}
		e.MaxBody = n
	}
	if f.API != nil {
		v, err := ParseAPI(f.API.Value)
		if err != nil {
			return e, fail(f.API.Line, "enforce.api: %v", err)
		}
		e.API = v
	}
	if x := f.Exempt; x != nil {
		for _, s := range x.Images {
			v := strings.TrimSpace(s.Value)
			if v == "" {
				return e, fail(s.Line, "enforce.exempt.images: empty image")
			}
			if !digestRef(v) {
				e.Warnings = append(e.Warnings, fmt.Sprintf("line %d: enforce.exempt.images: %q is not honoured: only a digest (sha256:…, or repository@sha256:…) exempts, since a tag is chosen by the requester", s.Line, v))
				continue
			}
			e.Exempt.Images = append(e.Exempt.Images, v)
		}
		for _, s := range x.Names {
			e.Warnings = append(e.Warnings, fmt.Sprintf("line %d: enforce.exempt.names is removed and not honoured (%q): a container name is chosen by the requester; exempt by image digest or client identity", s.Line, s.Value))
		}
		for _, s := range x.Labels {
			e.Warnings = append(e.Warnings, fmt.Sprintf("line %d: enforce.exempt.labels is removed and not honoured (%q): labels are chosen by the requester; exempt by image digest or client identity", s.Line, s.Value))
		}
		for _, s := range x.Users {
			if s.Value == "" {
				return e, fail(s.Line, "enforce.exempt.users: empty identity (the daemon sends no User without --tlsverify)")
			}
			e.Exempt.Users = append(e.Exempt.Users, s.Value)
		}
	}
	return e, nil
}

// API profiles of the proxy.
const (
	APIFull     = "full"
	APIReadOnly = "read-only"
)

// ParseAPI reads an API profile (enforce.api, --api).
func ParseAPI(v string) (string, error) {
	switch s := strings.ToLower(strings.TrimSpace(v)); s {
	case APIFull, APIReadOnly:
		return s, nil
	default:
		return "", fmt.Errorf("%q is not full or read-only", v)
	}
}

// digestRef reports whether an exemption names an image by digest:
// sha256:<64 hex> alone or after repository@.
func digestRef(v string) bool {
	if _, dg, ok := strings.Cut(v, "@"); ok {
		v = dg
	}
	return isSHA256(v)
}
