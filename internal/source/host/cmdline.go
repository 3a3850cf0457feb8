package host

import (
	"strings"
)

// flagValue is one occurrence of a dockerd flag: its value and the byte
// offset of the argument in /proc/<pid>/cmdline.
type flagValue struct {
	Value  string
	Offset int
	// Bare is true for a boolean flag given without a value (--icc).
	Bare bool
}

// commandLine is dockerd's argv decoded into flags.
type commandLine struct {
	Path  string // /proc/<pid>/cmdline
	flags map[string][]flagValue
}

// shortFlags are dockerd's one-letter flags, by long name.
var shortFlags = map[string]string{"H": "host", "D": "debug", "G": "group", "l": "log-level", "p": "pidfile", "b": "bridge", "v": "version", "h": "help"}

// boolFlags are the dockerd flags that take no separate value.
var boolFlags = map[string]bool{
	"tls": true, "tlsverify": true, "icc": true, "no-new-privileges": true, "selinux-enabled": true,
	"live-restore": true, "userland-proxy": true, "debug": true, "experimental": true, "iptables": true,
	"ip6tables": true, "ip-forward": true, "ip-masq": true, "ipv6": true, "rootless": true, "help": true,
	"version": true, "raw-logs": true, "validate": true, "init": true, "userns-remap-disable": true,
}

// parseCommandLine reads the NUL-separated argv of /proc/<pid>/cmdline.
// dockerd takes no positional arguments, so a word that is not a flag is
// always the value of the flag before it.
func parseCommandLine(path string, data []byte) *commandLine {
	c := &commandLine{Path: path, flags: map[string][]flagValue{}}
	var args []string
	var offs []int
	start := 0
	for i := 0; i <= len(data); i++ {
		if i == len(data) || data[i] == 0 {
			if i > start {
				args = append(args, string(data[start:i]))
				offs = append(offs, start)
			}
			start = i + 1
		}
	}
	if len(args) == 0 {
		return c
	}
	args, offs = args[1:], offs[1:] // argv[0]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		var name, value string
		hasValue := false
		if strings.HasPrefix(a, "--") {
			name = a[2:]
			if j := strings.IndexByte(name, '='); j >= 0 {
				name, value, hasValue = name[:j], name[j+1:], true
			}
		} else {
			short := a[1:2]
			name = short
			if long, ok := shortFlags[short]; ok {
				name = long
			}
			if rest := a[2:]; rest != "" {
				value, hasValue = strings.TrimPrefix(rest, "="), true
			}
		}
		fv := flagValue{Offset: offs[i]}
		switch {
		case hasValue:
			fv.Value = value
		case boolFlags[name]:
			fv.Value, fv.Bare = "true", true
		case i+1 < len(args) && !strings.HasPrefix(args[i+1], "-"):
			fv.Value = args[i+1]
			i++
		default:
			fv.Bare = true
		}
		c.flags[name] = append(c.flags[name], fv)
	}
	return c
}

// get returns every value of a flag, in order.
func (c *commandLine) get(name string) []flagValue {
	if c == nil {
		return nil
	}
	return c.flags[name]
}

// last returns the flag's last value (the one that wins for single-valued
// flags).
func (c *commandLine) last(name string) (flagValue, bool) {
	v := c.get(name)
	if len(v) == 0 {
		return flagValue{}, false
	}
	return v[len(v)-1], true
}

// parseBool reads a boolean flag value the way pflag does.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "t", "true":
		return true, true
	case "0", "f", "false":
		return false, true
	}
	return false, false
}
