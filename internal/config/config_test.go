package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/rules"
)

func TestTemplateIsTheDefault(t *testing.T) {
	c, err := Parse("t.yaml", []byte(Template))
	if err != nil {
		t.Fatal(err)
	}
	if c.FailOn != "" || len(c.Rules.Disable) != 0 || c.Rules.MaxMemory != 0 || c.Rules.NoDigestPinning {
		t.Errorf("the commented template must be the defaults: %+v", c)
	}
	// Uncommenting every key must still parse.
	var b strings.Builder
	for _, l := range strings.Split(Template, "\n") {
		if strings.HasPrefix(l, "# ") && strings.Contains(l, ":") && !strings.HasPrefix(l, "#  ") {
			key := strings.TrimPrefix(l, "# ")
			if k, _, _ := strings.Cut(key, ":"); !strings.Contains(k, " ") {
				b.WriteString(key + "\n")
			}
		}
	}
	if _, err := Parse("t.yaml", []byte(b.String())); err != nil {
		t.Errorf("uncommented template does not parse: %v\n%s", err, b.String())
	}
}

func TestParse(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
failOn: medium
disable: [no-healthcheck, DG421, hygiene]
enable: [shared-network]
severity: {root-user: high, memory-limit: info}
maxMemory: 2g
maxPids: 4096
maxRestartRetries: 5
requireDigestPinning: false
allowedCapabilities: [NET_ADMIN]
trustedRegistries: [ghcr.io/acme]
sensitivePaths: [/srv/secrets]
suidAllow: [/usr/bin/ping]
trustLabel: acme.trust
tenantLabel: acme.tenant
enforce:
  mode: warn
  profile: restricted@v1
  rules: {root-user: deny, DG330: warn}
  exempt:
    images: [ghcr.io/acme/agent, "ghcr.io/acme/agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
    labels: [acme.exempt=true]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Rules
	if c.FailOn != "medium" || len(r.Disable) != 3 || r.Severity["root-user"] != rules.High || r.MaxMemory != 2<<30 ||
		r.MaxPids != 4096 || r.MaxRestartRetries != 5 || !r.NoDigestPinning || r.Allow.Capabilities[0] != "NET_ADMIN" ||
		r.TrustedRegistries[0] != "ghcr.io/acme" || r.SensitivePaths[0] != "/srv/secrets" || r.SUIDAllow[0] != "/usr/bin/ping" ||
		r.TrustLabel != "acme.trust" || r.TenantLabel != "acme.tenant" || c.Enforce.Mode != "warn" ||
		c.Enforce.Profile != rules.Restricted || c.Enforce.Rules["root-user"] != "deny" || len(c.Enforce.Exempt.Images) != 1 || !strings.HasSuffix(c.Enforce.Exempt.Images[0], "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") ||
		len(c.Enforce.Warnings) != 2 || !strings.Contains(c.Enforce.Warnings[0], "not honoured") || !strings.Contains(c.Enforce.Warnings[1], "labels is removed") {
		t.Errorf("parsed %+v", c)
	}
}

func TestErrorsHaveLines(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
		msg  string
	}{
		{"failOn: high\ndisabel: [root-user]\n", 2, "unknown key"},
		{"disable: [root-usr]\n", 1, "no rule"},
		{"disable:\n  - root-user\n  - no-such\n", 3, "no-such"},
		{"severity:\n  root-user: urgent\n", 2, "unknown severity"},
		{"severity:\n  nope: high\n", 2, "nope"},
		{"maxMemory: lots\n", 1, "maxMemory"},
		{"maxPids: -3\n", 1, "maxPids"},
		{"maxPids: [1]\n", 1, "single value"},
		{"requireDigestPinning: maybe\n", 1, "true or false"},
		{"failOn: sometimes\n", 1, "failOn"},
		{"sensitivePaths: [relative/path]\n", 1, "absolute"},
		{"trustedRegistries: ghcr.io\n", 1, ""},
		{"enforce: 3\n", 1, "map"},
		{"enforce:\n  mode: deny\n", 2, "enforce, warn or audit"},
		{"enforce:\n  mod: warn\n", 2, "unknown key"},
		{"enforce:\n  rules:\n    no-such: deny\n", 3, "no-such"},
		{"enforce:\n  rules:\n    root-user: block\n", 3, "deny, warn or off"},
		{"enforce:\n  exempt:\n    image: [x]\n", 3, "unknown key"},
		{"enforce:\n  allowBuilds: perhaps\n", 2, "true or false"},
		{"enforce:\n  api: readonly\n", 2, "full or read-only"},
		{"enforce:\n  redactEnv: yes please\n", 2, "true or false"},
		{"enforce:\n  profile: strict\n", 2, "not a profile"},
		{"enforce:\n  profile: baseline@v2\n", 2, "no version"},
		{"allow:\n  bindroots: [/srv]\n", 2, "unknown key"},
		{"allow:\n  bindRoots: [srv]\n", 2, "absolute"},
		{"allow:\n  bindRoots: [/]\n", 2, "every host path"},
		{"allow:\n  devices: [/etc/x]\n", 2, "under /dev"},
		{"allow:\n  seccompProfiles: [abc]\n", 2, "sha256"},
		{"allow:\n  apparmorProfiles: [unconfined]\n", 2, "never allowed"},
		{"allow:\n  selinuxTypes: [spc_t]\n", 2, "not confined"},
		{"allow:\n  volumeTypes: [proc]\n", 2, "kernel filesystems"},
		{"allow:\n  sysctls: [\"*\"]\n", 2, "sysctl name"},
		{"allow:\n  capabilities: [\"SYS ADMIN\"]\n", 2, "capability name"},
		{"allow: [x]\n", 1, "map"},
		{"disable: [\n", 0, ""},
	} {
		_, err := Parse("c.yaml", []byte(tc.src))
		ie, ok := err.(*inputs.Error)
		if !ok {
			t.Errorf("%q: want *inputs.Error, got %v", tc.src, err)
			continue
		}
		if ie.Path != "c.yaml" || (tc.line > 0 && ie.Line != tc.line) || !strings.Contains(ie.Message, tc.msg) {
			t.Errorf("%q: got %v, want line %d containing %q", tc.src, ie, tc.line, tc.msg)
		}
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if Find(deep) != "" && !strings.HasPrefix(Find(deep), root) {
		// A file above the temp dir (the machine's /) must not exist for this test.
		t.Skip("a .dockguard.yaml exists above the temp folder")
	}
	p := filepath.Join(root, "a", ".dockguard.yml")
	if err := os.WriteFile(p, []byte("failOn: low\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(deep); got != p {
		t.Errorf("Find = %q, want %q", got, p)
	}
	if got := Find(root); got == p {
		t.Errorf("Find must not look below the start folder")
	}
}

// TestImageSignature: the imageSignature section, its paths taken from
// the file's folder, and its wrong combinations as errors with their line.
func TestImageSignature(t *testing.T) {
	c, err := Parse("/repo/.dockguard.yaml", []byte("imageSignature:\n  key: keys/cosign.pub\n"))
	if err != nil || c.ImageSignature.Key != "/repo/keys/cosign.pub" {
		t.Errorf("key: %v %+v", err, c.ImageSignature)
	}
	c, err = Parse("/repo/.dockguard.yaml", []byte("imageSignature:\n  certificateIdentityRegexp: '^ci@'\n  certificateOidcIssuer: https://i\n  trustedRoot: /etc/root.json\n"))
	if err != nil || c.ImageSignature.IdentityRegexp != "^ci@" || c.ImageSignature.Issuer != "https://i" || c.ImageSignature.TrustedRoot != "/etc/root.json" {
		t.Errorf("keyless: %v %+v", err, c.ImageSignature)
	}
	for src, line := range map[string]string{
		"imageSignature:\n  key: k.pub\n  certificateIdentity: a@b\n":                                             "c.yaml:2:",
		"imageSignature:\n  certificateIdentity: a@b\n":                                                           "c.yaml:2:",
		"imageSignature:\n  key: k.pub\n  trustedRoot: r.json\n":                                                  "c.yaml:3:",
		"imageSignature:\n  certificateIdentity: a\n  certificateIdentityRegexp: b\n  certificateOidcIssuer: c\n": "c.yaml:3:",
		"imageSignature:\n  keyFile: k.pub\n":                                                                     "c.yaml:2:",
	} {
		_, err := Parse("c.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), line) {
			t.Errorf("%q: error %v, want one starting %s", src, err, line)
		}
	}
}

func TestEnforceAPIProfile(t *testing.T) {
	c, err := Parse("t.yaml", []byte("enforce:\n  api: Read-Only\n  redactEnv: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Enforce.API != APIReadOnly || !c.Enforce.RedactEnv {
		t.Errorf("parsed %+v", c.Enforce)
	}
	c, err = Parse("t.yaml", []byte("enforce:\n  mode: warn\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Enforce.API != "" || c.Enforce.RedactEnv {
		t.Errorf("defaults: %+v", c.Enforce)
	}
}

func TestAllowAndProfile(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
allowedCapabilities: [cap_net_admin]
allow:
  bindRoots: [/srv/app/]
  devices: [/dev/sdb]
  capabilities: [SYS_NICE]
  seccompProfiles: ["sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
  apparmorProfiles: [my-profile]
  selinuxTypes: [container_kvm_t]
  volumeDrivers: [rexray]
  volumeTypes: [ext4]
  sysctls: [net.ipv4.*]
  runtimes: [runsc]
enforce:
  profile: Baseline
  minSeverity: low
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Rules.Allow
	if a.BindRoots[0] != "/srv/app" || a.Devices[0] != "/dev/sdb" || strings.Join(a.Capabilities, ",") != "NET_ADMIN,SYS_NICE" ||
		len(a.SeccompProfiles) != 1 || a.AppArmorProfiles[0] != "my-profile" || a.SELinuxTypes[0] != "container_kvm_t" ||
		a.VolumeDrivers[0] != "rexray" || a.VolumeTypes[0] != "ext4" || a.Sysctls[0] != "net.ipv4.*" || a.Runtimes[0] != "runsc" {
		t.Errorf("allow = %+v", a)
	}
	if c.Enforce.Profile != rules.Baseline || c.Enforce.ProfileLine != 15 {
		t.Errorf("profile = %v at %d", c.Enforce.Profile, c.Enforce.ProfileLine)
	}
	if len(c.Enforce.Warnings) != 1 || !strings.Contains(c.Enforce.Warnings[0], "minSeverity is removed") || !strings.Contains(c.Enforce.Warnings[0], "line 16") {
		t.Errorf("warnings = %q", c.Enforce.Warnings)
	}
}
