package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"go.yaml.in/yaml/v3"
)

// Harden is the harden section: the limits `dockguard harden` writes, as
// defaults and per compose service (or container name) and per image.
type Harden struct {
	// Defaults are the keys written directly under harden:.
	Defaults HardenLimits
	// Services maps a compose service name, or a container name (docker
	// run --name), to its settings.
	Services map[string]HardenLimits
	// Images maps an image reference to its settings: a repository
	// (nginx, ghcr.io/acme/app) matches every tag and digest of it, a
	// reference with a tag (nginx:1.27) only that tag.
	Images map[string]HardenLimits
}

// HardenLimits are settings of the harden section; the zero value of each
// field means "not set here".
type HardenLimits struct {
	// Memory is the memory limit (and swap) in bytes.
	Memory int64
	// CPUs is the CPU cap as written ("1.5").
	CPUs string
	// Pids is the PIDs limit.
	Pids int64
	// NoFile is the nofile ulimit, "soft:hard" (or one number for both).
	NoFile string
	// NProc is the nproc ulimit, "soft:hard" (or one number for both).
	NProc string
	// RestartRetries is N of restart on-failure:N.
	RestartRetries int
	// Public keeps published ports on every interface (nil: not set).
	Public *bool
	// Tmpfs are paths given a tmpfs besides the ones harden chooses.
	Tmpfs []string
}

// hardenLimitKeys are the keys of a set of limits.
var hardenLimitKeys = []string{"memory", "cpus", "pids", "nofile", "nproc", "restartRetries", "public", "tmpfs"}

type hardenLimitsFile struct {
	Memory         *scalar  `yaml:"memory"`
	CPUs           *scalar  `yaml:"cpus"`
	Pids           *scalar  `yaml:"pids"`
	NoFile         *scalar  `yaml:"nofile"`
	NProc          *scalar  `yaml:"nproc"`
	RestartRetries *scalar  `yaml:"restartRetries"`
	Public         *scalar  `yaml:"public"`
	Tmpfs          []scalar `yaml:"tmpfs"`
}

func (h *hardenLimitsFile) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "harden", hardenLimitKeys...); err != nil {
		return err
	}
	type plain hardenLimitsFile
	return n.Decode((*plain)(h))
}

type hardenFile struct {
	hardenLimitsFile
	Services map[string]*hardenLimitsFile
	Images   map[string]*hardenLimitsFile
	// lines of the service and image keys, for errors.
	keyLine map[string]int
}

func (h *hardenFile) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "harden", append([]string{"services", "images"}, hardenLimitKeys...)...); err != nil {
		return err
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	h.keyLine = map[string]int{}
	// The limits and the two maps share one mapping: split them.
	limits := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "services", "images":
			m, err := decodeHardenMap(k.Value, v, h.keyLine)
			if err != nil {
				return err
			}
			if k.Value == "services" {
				h.Services = m
			} else {
				h.Images = m
			}
		default:
			limits.Content = append(limits.Content, k, v)
		}
	}
	return limits.Decode(&h.hardenLimitsFile)
}

func decodeHardenMap(section string, n *yaml.Node, lines map[string]int) (map[string]*hardenLimitsFile, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &lineError{n.Line, "harden." + section + ": must be a map of names to settings"}
	}
	out := map[string]*hardenLimitsFile{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || strings.TrimSpace(k.Value) == "" {
			return nil, &lineError{k.Line, "harden." + section + ": empty or non-text name"}
		}
		if _, dup := out[k.Value]; dup {
			return nil, &lineError{k.Line, fmt.Sprintf("harden.%s: %q is given twice", section, k.Value)}
		}
		f := &hardenLimitsFile{}
		if err := strictKeys(v, "harden."+section+"."+k.Value, hardenLimitKeys...); err != nil {
			return nil, err
		}
		if v.Kind == yaml.MappingNode {
			type plain hardenLimitsFile
			if err := v.Decode((*plain)(f)); err != nil {
				return nil, err
			}
		}
		out[k.Value] = f
		lines[section+"\x00"+k.Value] = k.Line
	}
	return out, nil
}

func parseHarden(f *hardenFile, fail func(int, string, ...any) error) (Harden, error) {
	var h Harden
	if f == nil {
		return h, nil
	}
	var err error
	if h.Defaults, err = parseHardenLimits("harden", &f.hardenLimitsFile, fail); err != nil {
		return h, err
	}
	for _, sec := range []struct {
		name string
		in   map[string]*hardenLimitsFile
		out  *map[string]HardenLimits
	}{{"services", f.Services, &h.Services}, {"images", f.Images, &h.Images}} {
		names := make([]string, 0, len(sec.in))
		for n := range sec.in {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if sec.name == "images" && strings.ContainsAny(n, " \t@") {
				return h, fail(f.keyLine[sec.name+"\x00"+n], "harden.images: %q is not a repository or repository:tag", n)
			}
			l, err := parseHardenLimits("harden."+sec.name+"."+n, sec.in[n], fail)
			if err != nil {
				return h, err
			}
			if *sec.out == nil {
				*sec.out = map[string]HardenLimits{}
			}
			(*sec.out)[n] = l
		}
	}
	return h, nil
}

func parseHardenLimits(key string, f *hardenLimitsFile, fail func(int, string, ...any) error) (HardenLimits, error) {
	var l HardenLimits
	if f == nil {
		return l, nil
	}
	if s := f.Memory; s != nil {
		n, err := units.RAMInBytes(s.Value)
		if err != nil || n < 4<<20 {
			return l, fail(s.Line, "%s.memory: %q is not a size of at least 4m such as 512m or 2g", key, s.Value)
		}
		l.Memory = n
	}
	if s := f.CPUs; s != nil {
		v, err := strconv.ParseFloat(s.Value, 64)
		if err != nil || v <= 0 || v > 1e6 {
			return l, fail(s.Line, "%s.cpus: %q is not a positive number of CPUs such as 1 or 0.5", key, s.Value)
		}
		l.CPUs = s.Value
	}
	if s := f.Pids; s != nil {
		n, err := strconv.ParseInt(s.Value, 10, 64)
		if err != nil || n <= 0 {
			return l, fail(s.Line, "%s.pids: %q is not a whole number above 0", key, s.Value)
		}
		l.Pids = n
	}
	for _, u := range []struct {
		name string
		s    *scalar
		dst  *string
	}{{"nofile", f.NoFile, &l.NoFile}, {"nproc", f.NProc, &l.NProc}} {
		if u.s == nil {
			continue
		}
		v, ok := ulimitValue(u.s.Value)
		if !ok {
			return l, fail(u.s.Line, "%s.%s: %q is not a limit such as 1024 or 1024:2048 (soft at most hard)", key, u.name, u.s.Value)
		}
		*u.dst = v
	}
	if s := f.RestartRetries; s != nil {
		n, err := strconv.Atoi(s.Value)
		if err != nil || n <= 0 {
			return l, fail(s.Line, "%s.restartRetries: %q is not a whole number above 0 (0 would mean restart forever)", key, s.Value)
		}
		l.RestartRetries = n
	}
	if s := f.Public; s != nil {
		b, err := strconv.ParseBool(s.Value)
		if err != nil {
			return l, fail(s.Line, "%s.public: %q is not true or false", key, s.Value)
		}
		l.Public = &b
	}
	for _, s := range f.Tmpfs {
		if !strings.HasPrefix(s.Value, "/") || strings.ContainsAny(s.Value, ": \t,") || s.Value == "/" {
			return l, fail(s.Line, "%s.tmpfs: %q is not an absolute container path (options are not taken here)", key, s.Value)
		}
		l.Tmpfs = append(l.Tmpfs, s.Value)
	}
	return l, nil
}

// ulimitValue checks a ulimit "soft[:hard]" and returns it as soft:hard.
func ulimitValue(v string) (string, bool) {
	soft, hard, two := strings.Cut(v, ":")
	s, err := strconv.ParseInt(soft, 10, 64)
	if err != nil || s <= 0 {
		return "", false
	}
	if !two {
		return soft + ":" + soft, true
	}
	h, err := strconv.ParseInt(hard, 10, 64)
	if err != nil || h < s {
		return "", false
	}
	return soft + ":" + hard, true
}
