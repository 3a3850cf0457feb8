// Package config reads .dockguard.yaml: which rules run and at what
// severity, the thresholds and allow-lists rules use, and the exit
// threshold. A typo must never silently turn a check off, so unknown keys,
// wrong types, unknown rules and bad values are errors with the file and
// line.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/rules"
	"go.yaml.in/yaml/v3"
)

// Names are the file names looked up, in order.
var Names = []string{".dockguard.yaml", ".dockguard.yml"}

// Config is a loaded configuration.
type Config struct {
	// Path is the file it came from, "" for the defaults.
	Path string
	// FailOn is the exit threshold ("" when the file does not set it).
	FailOn string
	// Rules is what the policy and the rules read.
	Rules rules.Config
	// Enforce is the enforcement section.
	Enforce Enforce
	// Harden is what `dockguard harden` writes.
	Harden Harden
	// ImageSignature is the signature --image requires.
	ImageSignature ImageSignature
}

// file is the YAML layout; every key is optional.
type file struct {
	FailOn               *scalar             `yaml:"failOn"`
	Disable              []scalar            `yaml:"disable"`
	Enable               []scalar            `yaml:"enable"`
	Severity             map[string]scalar   `yaml:"severity"`
	MaxMemory            *scalar             `yaml:"maxMemory"`
	MaxPids              *scalar             `yaml:"maxPids"`
	MaxRestartRetries    *scalar             `yaml:"maxRestartRetries"`
	RequireDigestPinning *scalar             `yaml:"requireDigestPinning"`
	AllowedCapabilities  []scalar            `yaml:"allowedCapabilities"`
	TrustedRegistries    []scalar            `yaml:"trustedRegistries"`
	SensitivePaths       []scalar            `yaml:"sensitivePaths"`
	SUIDAllow            []scalar            `yaml:"suidAllow"`
	TrustLabel           *scalar             `yaml:"trustLabel"`
	TenantLabel          *scalar             `yaml:"tenantLabel"`
	Allow                *allowFile          `yaml:"allow"`
	Enforce              *enforceFile        `yaml:"enforce"`
	Harden               *hardenFile         `yaml:"harden"`
	ImageSignature       *imageSignatureFile `yaml:"imageSignature"`
}

// scalar is a plain value with the line it was written on.
type scalar struct {
	Value string
	Line  int
}

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &lineError{n.Line, "expected a single value, not a list or map"}
	}
	s.Value, s.Line = n.Value, n.Line
	return nil
}

type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// Default is the configuration used when there is no file.
func Default() *Config { return &Config{} }

// Find looks for a configuration file in dir and its parents; "" when
// there is none.
func Find(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		for _, n := range Names {
			p := filepath.Join(abs, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs = parent
	}
}

// Load reads a configuration file. Errors are *inputs.Error with the path
// and line.
func Load(path string) (*Config, error) {
	data, err := inputs.Read(path, 1<<20)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

var reYAMLLine = regexp.MustCompile(`line (\d+): (.*)`)

// Parse reads a configuration from bytes; path names it in errors.
func Parse(path string, data []byte) (*Config, error) {
	fail := func(line int, format string, args ...any) error {
		return &inputs.Error{Path: path, Line: line, Message: fmt.Sprintf(format, args...)}
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		var le *lineError
		if errors.As(err, &le) {
			return nil, fail(le.line, "%s", le.msg)
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
		if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, fail(line, "%s", friendly(m[2]))
		}
		return nil, fail(0, "%s", msg)
	}
	c := &Config{Path: path}
	rc := &c.Rules
	if f.FailOn != nil {
		v := strings.ToLower(f.FailOn.Value)
		if _, err := rules.ParseSeverity(v); err != nil && v != "none" {
			return nil, fail(f.FailOn.Line, "failOn: %q is not critical, high, medium, low, info or none", f.FailOn.Value)
		}
		c.FailOn = v
	}
	names := func(key string, list []scalar) ([]string, error) {
		var out []string
		for _, s := range list {
			if len(rules.Lookup(s.Value)) == 0 {
				return nil, fail(s.Line, "%s: no rule, slug or control named %q (see `dockguard rules`)", key, s.Value)
			}
			out = append(out, s.Value)
		}
		return out, nil
	}
	var err error
	if rc.Disable, err = names("disable", f.Disable); err != nil {
		return nil, err
	}
	if rc.Enable, err = names("enable", f.Enable); err != nil {
		return nil, err
	}
	for k, v := range f.Severity {
		if len(rules.Lookup(k)) == 0 {
			return nil, fail(v.Line, "severity: no rule, slug or control named %q", k)
		}
		sev, perr := rules.ParseSeverity(v.Value)
		if perr != nil {
			return nil, fail(v.Line, "severity of %s: %v", k, perr)
		}
		if rc.Severity == nil {
			rc.Severity = map[string]rules.Severity{}
		}
		rc.Severity[k] = sev
	}
	if f.MaxMemory != nil && f.MaxMemory.Value != "0" {
		n, perr := units.RAMInBytes(f.MaxMemory.Value)
		if perr != nil || n <= 0 {
			return nil, fail(f.MaxMemory.Line, "maxMemory: %q is not a size such as 512m or 2g", f.MaxMemory.Value)
		}
		rc.MaxMemory = n
	}
	// 0 means no threshold, as in the template.
	positive := func(key string, s *scalar) (int64, error) {
		n, perr := strconv.ParseInt(s.Value, 10, 64)
		if perr != nil || n < 0 {
			return 0, fail(s.Line, "%s: %q is not a whole number (0 for no maximum)", key, s.Value)
		}
		return n, nil
	}
	if f.MaxPids != nil {
		if rc.MaxPids, err = positive("maxPids", f.MaxPids); err != nil {
			return nil, err
		}
	}
	if f.MaxRestartRetries != nil {
		n, perr := positive("maxRestartRetries", f.MaxRestartRetries)
		if perr != nil {
			return nil, perr
		}
		rc.MaxRestartRetries = int(n)
	}
	if f.RequireDigestPinning != nil {
		b, perr := strconv.ParseBool(f.RequireDigestPinning.Value)
		if perr != nil {
			return nil, fail(f.RequireDigestPinning.Line, "requireDigestPinning: %q is not true or false", f.RequireDigestPinning.Value)
		}
		rc.NoDigestPinning = !b
	}
	values := func(list []scalar) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.Value)
		}
		return out
	}
	if rc.Allow, err = parseAllow(f.Allow, f.AllowedCapabilities, fail); err != nil {
		return nil, err
	}
	rc.TrustedRegistries = values(f.TrustedRegistries)
	rc.SUIDAllow = values(f.SUIDAllow)
	for _, s := range f.SensitivePaths {
		if !strings.HasPrefix(s.Value, "/") {
			return nil, fail(s.Line, "sensitivePaths: %q is not an absolute host path", s.Value)
		}
		rc.SensitivePaths = append(rc.SensitivePaths, s.Value)
	}
	if f.TrustLabel != nil {
		rc.TrustLabel = f.TrustLabel.Value
	}
	if f.TenantLabel != nil {
		rc.TenantLabel = f.TenantLabel.Value
	}
	if c.Enforce, err = parseEnforce(f.Enforce, fail); err != nil {
		return nil, err
	}
	if c.Harden, err = parseHarden(f.Harden, fail); err != nil {
		return nil, err
	}
	if c.ImageSignature, err = parseImageSignature(path, f.ImageSignature, fail); err != nil {
		return nil, err
	}
	return c, nil
}

// friendly rewrites go-yaml's type errors for people.
func friendly(msg string) string {
	if m := regexp.MustCompile(`field (\S+) not found in type`).FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q (see `dockguard init` for every key)", m[1])
	}
	if strings.Contains(msg, "cannot unmarshal !!seq") {
		return "expected a single value, not a list"
	}
	if strings.Contains(msg, "cannot unmarshal !!map") {
		return "expected a single value or list, not a map"
	}
	if strings.Contains(msg, "cannot unmarshal !!str") && strings.Contains(msg, "[]") {
		return "expected a list"
	}
	return msg
}
