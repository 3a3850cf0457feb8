package config

import (
	"path"
	"strings"

	"github.com/dockguard/dockguard/internal/rules"
	"go.yaml.in/yaml/v3"
)

// allowFile is the allow: section, one schema for the audit and
// enforcement: what each list widens is in rules.Allow.
type allowFile struct {
	BindRoots        []scalar `yaml:"bindRoots"`
	Devices          []scalar `yaml:"devices"`
	Capabilities     []scalar `yaml:"capabilities"`
	SeccompProfiles  []scalar `yaml:"seccompProfiles"`
	AppArmorProfiles []scalar `yaml:"apparmorProfiles"`
	SELinuxTypes     []scalar `yaml:"selinuxTypes"`
	VolumeDrivers    []scalar `yaml:"volumeDrivers"`
	VolumeTypes      []scalar `yaml:"volumeTypes"`
	Sysctls          []scalar `yaml:"sysctls"`
	Runtimes         []scalar `yaml:"runtimes"`
}

func (a *allowFile) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "allow", "bindRoots", "devices", "capabilities", "seccompProfiles", "apparmorProfiles",
		"selinuxTypes", "volumeDrivers", "volumeTypes", "sysctls", "runtimes"); err != nil {
		return err
	}
	type plain allowFile
	return n.Decode((*plain)(a))
}

// parseAllow checks each allow-list entry; an entry that cannot mean what
// it says is an error with its line, never a silent widening.
func parseAllow(f *allowFile, legacyCaps []scalar, fail func(int, string, ...any) error) (rules.Allow, error) {
	var a rules.Allow
	if f == nil {
		f = &allowFile{}
	}
	abs := func(key string, list []scalar, under string) ([]string, error) {
		var out []string
		for _, s := range list {
			v := strings.TrimSpace(s.Value)
			if !strings.HasPrefix(v, "/") {
				return nil, fail(s.Line, "allow.%s: %q is not an absolute host path", key, s.Value)
			}
			v = path.Clean(v)
			if under != "" && v != under && !strings.HasPrefix(v, under+"/") {
				return nil, fail(s.Line, "allow.%s: %q is not under %s", key, s.Value, under)
			}
			if key == "bindRoots" && v == "/" {
				return nil, fail(s.Line, "allow.bindRoots: / would allow every host path; name the folders binds come from")
			}
			out = append(out, v)
		}
		return out, nil
	}
	names := func(key string, list []scalar, check func(string) bool, want string) ([]string, error) {
		var out []string
		for _, s := range list {
			v := strings.TrimSpace(s.Value)
			if v == "" || (check != nil && !check(v)) {
				return nil, fail(s.Line, "allow.%s: %q is not %s", key, s.Value, want)
			}
			out = append(out, v)
		}
		return out, nil
	}
	var err error
	if a.BindRoots, err = abs("bindRoots", f.BindRoots, ""); err != nil {
		return a, err
	}
	if a.Devices, err = abs("devices", f.Devices, "/dev"); err != nil {
		return a, err
	}
	capName := func(v string) bool {
		for _, c := range strings.TrimPrefix(strings.ToUpper(v), "CAP_") {
			if !(c >= 'A' && c <= 'Z' || c == '_') {
				return false
			}
		}
		return true
	}
	for _, list := range [][]scalar{legacyCaps, f.Capabilities} {
		caps, err := names("capabilities", list, capName, "a capability name such as NET_ADMIN")
		if err != nil {
			return a, err
		}
		for _, c := range caps {
			a.Capabilities = append(a.Capabilities, strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
		}
	}
	if a.SeccompProfiles, err = names("seccompProfiles", f.SeccompProfiles, isSHA256, "a sha256:<64 hex> hash (dockguard enforce seccomp-hash FILE prints it)"); err != nil {
		return a, err
	}
	if a.AppArmorProfiles, err = names("apparmorProfiles", f.AppArmorProfiles, func(v string) bool { return v != "unconfined" }, "an AppArmor profile name (unconfined is never allowed)"); err != nil {
		return a, err
	}
	if a.SELinuxTypes, err = names("selinuxTypes", f.SELinuxTypes, func(v string) bool { return v != "spc_t" && v != "unconfined_t" }, "a confined SELinux type (spc_t and unconfined_t are not confined)"); err != nil {
		return a, err
	}
	if a.VolumeDrivers, err = names("volumeDrivers", f.VolumeDrivers, nil, "a volume driver"); err != nil {
		return a, err
	}
	kernelFS := func(v string) bool {
		switch strings.ToLower(v) {
		case "proc", "sysfs", "cgroup", "cgroup2", "devtmpfs", "debugfs", "tracefs", "securityfs", "bpf", "configfs", "efivarfs", "none", "bind", "rbind":
			return false
		}
		return true
	}
	if a.VolumeTypes, err = names("volumeTypes", f.VolumeTypes, kernelFS, "a filesystem type a volume may mount (kernel filesystems and binds are never allowed)"); err != nil {
		return a, err
	}
	sysctl := func(v string) bool { return !strings.ContainsAny(v, " /") && v != "*" && v != ".*" }
	if a.Sysctls, err = names("sysctls", f.Sysctls, sysctl, "a sysctl name (kernel.x) or prefix (net.ipv4.*)"); err != nil {
		return a, err
	}
	if a.Runtimes, err = names("runtimes", f.Runtimes, nil, "a runtime name"); err != nil {
		return a, err
	}
	return a, nil
}

// isSHA256 reports whether v is sha256:<64 lower-case hex>, the form of
// image digests and of seccomp profile hashes.
func isSHA256(v string) bool {
	hex, ok := strings.CutPrefix(v, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
