package rules

import (
	"fmt"
	"strings"
)

// Profile is a versioned enforcement profile, named as Kubernetes' Pod
// Security Standards name theirs. Whether enforcement denies a finding is
// decided by the profile's membership, never by severity: a finding keeps
// the severity the audit gives it, and a low finding of a baseline rule
// denies while a high one outside the profile does not.
//
// A version never changes once released: a rule added later joins the next
// version, so that `baseline@v1` means the same thing on every release.
type Profile struct {
	Name    string // baseline or restricted
	Version int
}

// The profiles of this release.
var (
	Baseline   = Profile{"baseline", 1}
	Restricted = Profile{"restricted", 1}
)

// DefaultProfile is enforcement's profile when the configuration names none.
var DefaultProfile = Baseline

func (p Profile) String() string { return fmt.Sprintf("%s@v%d", p.Name, p.Version) }

// IsZero reports whether no profile is set.
func (p Profile) IsZero() bool { return p.Name == "" }

// Level is how strict a profile is: each level denies what the one below
// it denies.
type Level int

// Levels, from none to the strictest.
const (
	LevelNone Level = iota
	LevelBaseline
	LevelRestricted
)

func (p Profile) level() Level {
	switch p.Name {
	case "baseline":
		return LevelBaseline
	case "restricted":
		return LevelRestricted
	}
	return LevelNone
}

// ParseProfile reads "baseline", "baseline@v1", "restricted@v1" (any
// case). A name without a version is the newest version of that name.
func ParseProfile(s string) (Profile, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	name, ver, hasVer := strings.Cut(v, "@")
	var p Profile
	switch name {
	case "baseline":
		p = Baseline
	case "restricted":
		p = Restricted
	default:
		return Profile{}, fmt.Errorf("%q is not a profile: baseline@v1 or restricted@v1", s)
	}
	if hasVer && ver != fmt.Sprintf("v%d", p.Version) {
		return Profile{}, fmt.Errorf("%q: %s has no version %q (this release has %s)", s, name, ver, p)
	}
	return p, nil
}

// Member returns the lowest level of the profile's version that denies the
// rule's findings (LevelNone: no profile denies them). Fail-closed rules
// deny in every profile.
func (p Profile) Member(r *Rule) Level {
	if r.Enforce == EnforceFailClosed {
		return LevelBaseline
	}
	return membershipV1[r.Slug]
}

// Denies reports whether the profile denies the rule's findings.
func (p Profile) Denies(r *Rule) bool {
	l := p.Member(r)
	return l != LevelNone && l <= p.level()
}

// Verdict is what enforcement does with a finding of the rule under the
// profile and the enforce.rules overrides: deny it, or ignore it (off).
// A fail-closed rule always denies. When several overrides name the rule,
// the most specific wins (ID or slug over its control), and of equally
// specific ones the stricter: the outcome never depends on map order.
func Verdict(p Profile, overrides map[string]string, r *Rule) (deny, off bool) {
	deny = p.Denies(r)
	if r.Enforce == EnforceFailClosed {
		return true, false
	}
	best, how := 0, ""
	for k, v := range overrides {
		if !r.Matches(k) {
			continue
		}
		spec := 1 // a control
		if !strings.EqualFold(strings.TrimSpace(k), string(r.Control)) {
			spec = 2 // the rule's ID or slug
		}
		if spec > best || (spec == best && overrideRank[v] > overrideRank[how]) {
			best, how = spec, v
		}
	}
	switch how {
	case "deny":
		return true, false
	case "warn":
		return false, false
	case "off":
		return false, true
	}
	return deny, false
}

// overrideRank orders equally specific enforce.rules overrides: the
// stricter wins.
var overrideRank = map[string]int{"off": 1, "warn": 2, "deny": 3}

// ProfilesDenying lists the profiles of this release that deny the rule
// ("baseline@v1, restricted@v1"), for explain and the docs.
func ProfilesDenying(r *Rule) []string {
	var out []string
	for _, p := range []Profile{Baseline, Restricted} {
		if p.Denies(r) {
			out = append(out, p.String())
		}
	}
	return out
}

// membershipV1 is version 1 of both profiles. Every rule of the catalogue
// is classified here, even the ones no profile denies (LevelNone), so
// that a new rule cannot be forgotten: TestProfileClassifiesEveryRule.
//
// baseline blocks every known path from the Docker API to root on the host;
// restricted also hardens the container (non-root numeric user, no
// capabilities, no-new-privileges, read-only root filesystem, limits, binds
// only under the configured roots).
var membershipV1 = map[string]Level{
	// Paths to host root.
	"privileged":                  LevelBaseline,
	"host-pid-ipc":                LevelBaseline,
	"host-network":                LevelBaseline,
	"host-uts-cgroupns":           LevelBaseline,
	"userns-host":                 LevelBaseline,
	"shared-namespace":            LevelBaseline,
	"dangerous-capability":        LevelBaseline,
	"capability-added":            LevelBaseline,
	"seccomp-unconfined":          LevelBaseline,
	"seccomp-profile":             LevelBaseline,
	"apparmor-unconfined":         LevelBaseline,
	"apparmor-profile":            LevelBaseline,
	"selinux-disabled":            LevelBaseline,
	"selinux-type":                LevelBaseline,
	"unmasked-paths":              LevelBaseline,
	"host-block-device":           LevelBaseline,
	"runtime":                     LevelBaseline,
	"sysctl":                      LevelBaseline,
	"runtime-socket-mount":        LevelBaseline,
	"host-path-mount":             LevelBaseline,
	"writable-bind-root":          LevelBaseline,
	"writable-bind-suid":          LevelBaseline,
	"bind-swappable":              LevelBaseline,
	"volumes-from":                LevelBaseline,
	"volume-bind":                 LevelBaseline,
	"volume-driver":               LevelBaseline,
	"volume-unknown":              LevelBaseline,
	"image-mount":                 LevelBaseline,
	"mount-type":                  LevelBaseline,
	"network-endpoint":            LevelBaseline,
	"image-user-unknown":          LevelBaseline,
	"exec-privileged":             LevelBaseline,
	"build-parameter":             LevelBaseline,
	"build-network":               LevelBaseline,
	"plugin-change":               LevelBaseline,
	"service-plugin":              LevelBaseline,
	"archive-write":               LevelBaseline,
	"update-devices":              LevelBaseline,
	"field-denied":                LevelBaseline,
	"request-unjudged":            LevelBaseline,
	"buildkit-session":            LevelBaseline,
	"privileged-beside-sensitive": LevelNone,
	// The API through dockguard's own proxy: every request is judged.
	"proxy-socket-mount": LevelNone,

	// Hardening.
	"root-user":                  LevelRestricted,
	"root-start-drop":            LevelRestricted,
	"user-not-numeric":           LevelRestricted,
	"exec-root":                  LevelRestricted,
	"capabilities-not-dropped":   LevelRestricted,
	"no-new-privileges-missing":  LevelRestricted,
	"no-new-privileges-disabled": LevelRestricted,
	"read-only-rootfs":           LevelRestricted,
	"memory-limit":               LevelRestricted,
	"cpu-limit":                  LevelRestricted,
	"pids-limit":                 LevelRestricted,
	"update-limit-removed":       LevelRestricted,
	"host-device":                LevelRestricted,
	"mount-propagation":          LevelRestricted,
	"bind-outside-roots":         LevelRestricted,

	// Reported, never denied: they are about the image, the host, the
	// project or hygiene, or a request can only state them (a restart
	// policy, a published port).
	"mixed-trust":                  LevelNone,
	"kernel-cves":                  LevelNone,
	"runtime-cves":                 LevelNone,
	"daemon-exposure":              LevelNone,
	"daemon-userns-off":            LevelNone,
	"daemon-no-new-privileges-off": LevelNone,
	"daemon-icc-on":                LevelNone,
	"daemon-ulimits-missing":       LevelNone,
	"daemon-seccomp-unconfined":    LevelNone,
	"host-no-mac":                  LevelNone,
	"daemon-selinux-off":           LevelNone,
	"memory-swap":                  LevelNone,
	"restart-policy":               LevelNone,
	"ulimit-invalid":               LevelNone,
	"ulimits-missing":              LevelNone,
	"restart-loop":                 LevelNone,
	"update-restart-unlimited":     LevelNone,
	"suid-added":                   LevelNone,
	"suid-removal-noop":            LevelNone,
	"suid-removal-missing":         LevelNone,
	"suid-sgid-file":               LevelNone,
	"sudo":                         LevelNone,
	"expose-ssh":                   LevelNone,
	"port-all-interfaces":          LevelNone,
	"publish-all":                  LevelNone,
	"world-writable-dir":           LevelNone,
	"exposed-beside-internal":      LevelNone,
	"shared-network":               LevelNone,
	"image-unpinned":               LevelNone,
	"image-latest":                 LevelNone,
	"untrusted-registry":           LevelNone,
	"content-trust-disabled":       LevelNone,
	"image-signature":              LevelNone,
	"pipe-to-shell":                LevelNone,
	"add-url-unverified":           LevelNone,
	"tls-verification-off":         LevelNone,
	"secret-in-env":                LevelNone,
	"secret-in-arg":                LevelNone,
	"secret-in-run":                LevelNone,
	"secret-arg-name":              LevelNone,
	"context-copy-unfiltered":      LevelNone,
	"secret-file-in-image":         LevelNone,
	"no-healthcheck":               LevelNone,
	"ignore-directive":             LevelNone,
}
