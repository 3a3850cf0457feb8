package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"
	"go.yaml.in/yaml/v3"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/host"
)

// loadHostFacts reads a host fixture (testdata/host/<case>.yaml): a Docker
// host written as the Host fact the host source builds (the rules are pure
// functions of it), plus live containers as the engine source builds them.
// Every value is located at its own line of the fixture, so expectations
// sit beside the value a finding points at:
//
//	daemon: unix:///var/run/docker.sock   # the host; missing settings point here
//	local: true
//	kernel: 5.10.101                      # want: kernel-cves "…"
//	icc: unset                            # dockerd's default applies
//	noNewPrivileges: unknown              # not visible (a remote engine)
//	listeners:
//	  - {address: "tcp://0.0.0.0:2375", tlsVerify: false}   # want: daemon-exposure "…"
//	containers:
//	  - name: web                         # the container's origin
//	    restartCount: 7                   # want: restart-loop "…"
//	    hostConfig: {Privileged: true}    # its engine configuration (see container)
func loadHostFacts(path string) (*facts.Host, []*facts.Container, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: want a mapping", path)
	}
	b := &hostBuilder{path: path}
	h, cs, err := b.build(doc.Content[0])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	return h, cs, nil
}

type hostBuilder struct{ path string }

func (b *hostBuilder) at(n *yaml.Node) facts.Location { return facts.FileAt(b.path, n.Line) }

// hostValue reads a scalar into a Value: "unset" is unset with dockerd's
// default applying, "unknown" is unknown.
func hostValue[T any](b *hostBuilder, n *yaml.Node, parse func(string) (T, error)) (facts.Value[T], error) {
	switch n.Value {
	case "unset":
		return facts.Value[T]{State: facts.Unset, At: b.at(n), Why: "dockerd's default"}, nil
	case "unknown":
		return facts.UnknownBecause[T](b.at(n), "not visible"), nil
	}
	v, err := parse(n.Value)
	if err != nil {
		return facts.Value[T]{}, fmt.Errorf("line %d: %v", n.Line, err)
	}
	return facts.SetAt(v, b.at(n)), nil
}

func parseString(s string) (string, error) { return s, nil }

func parseMode(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	return uint32(v), err
}

func (b *hostBuilder) build(root *yaml.Node) (*facts.Host, []*facts.Container, error) {
	h := &facts.Host{Subject: facts.Subject{Kind: facts.SubjectHost, Name: "fixture"}, Builds: map[string]string{}}
	var cs []*facts.Container
	var err error
	str := func(dst *facts.Value[string], n *yaml.Node) {
		if err == nil {
			*dst, err = hostValue(b, n, parseString)
		}
	}
	boolean := func(dst *facts.Value[bool], n *yaml.Node) {
		if err == nil {
			*dst, err = hostValue(b, n, strconv.ParseBool)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "daemon":
			h.Subject.Name = v.Value
			h.Subject.Host = v.Value
			h.Origin = b.at(k)
		case "local":
			h.Local = v.Value == "true"
		case "kernel":
			str(&h.KernelVersion, v)
		case "distribution":
			str(&h.Distribution, v)
		case "engine":
			str(&h.EngineVersion, v)
		case "containerd":
			str(&h.ContainerdVersion, v)
		case "runc":
			str(&h.RuncVersion, v)
		case "builds", "packages", "componentPackages":
			m := map[string]string{}
			if err = v.Decode(&m); err != nil {
				return nil, nil, err
			}
			switch k.Value {
			case "builds":
				h.Builds = m
			case "packages":
				h.Packages = m
			default:
				h.ComponentPackages = m
			}
		case "packageCVEs":
			m := map[string][]string{}
			if err = v.Decode(&m); err != nil {
				return nil, nil, err
			}
			h.PackageCVEs = map[string]map[string]bool{}
			for pkg, ids := range m {
				h.PackageCVEs[pkg] = map[string]bool{}
				for _, id := range ids {
					h.PackageCVEs[pkg][id] = true
				}
			}
		case "authorizationPlugins":
			if err = v.Decode(&h.AuthorizationPlugins); err != nil {
				return nil, nil, err
			}
			h.AuthorizationPluginsAt = b.at(k)
		case "rootless":
			boolean(&h.Rootless, v)
		case "usernsRemap":
			str(&h.UsernsRemap, v)
		case "icc":
			boolean(&h.ICC, v)
		case "noNewPrivileges":
			boolean(&h.NoNewPrivileges, v)
		case "seccompProfile":
			str(&h.SeccompProfile, v)
		case "selinuxEnabled":
			boolean(&h.SELinuxEnabled, v)
		case "appArmorEnabled":
			boolean(&h.AppArmorEnabled, v)
		case "liveRestore":
			boolean(&h.LiveRestore, v)
		case "userlandProxy":
			boolean(&h.UserlandProxy, v)
		case "selinuxMode":
			str(&h.SELinuxMode, v)
		case "hostAppArmor":
			boolean(&h.HostAppArmor, v)
		case "socketOwner":
			str(&h.SocketOwner, v)
		case "socketMode":
			if err == nil {
				h.SocketMode, err = hostValue(b, v, parseMode)
			}
		case "defaultUlimits":
			for _, item := range v.Content {
				var u struct{ Name string }
				if err = item.Decode(&u); err != nil {
					return nil, nil, err
				}
				h.DefaultUlimits = append(h.DefaultUlimits, facts.Ulimit{Name: u.Name, At: b.at(item)})
			}
		case "listeners":
			for _, item := range v.Content {
				var l struct {
					Address   string
					TLSVerify bool `yaml:"tlsVerify"`
				}
				if err = item.Decode(&l); err != nil {
					return nil, nil, err
				}
				h.Listeners = append(h.Listeners, facts.Listener{Address: l.Address, TLSVerify: l.TLSVerify, At: b.at(item)})
			}
		case "containers":
			for _, item := range v.Content {
				c, cerr := b.container(item)
				if cerr != nil {
					return nil, nil, cerr
				}
				cs = append(cs, c)
			}
		default:
			return nil, nil, fmt.Errorf("line %d: unknown key %q", k.Line, k.Value)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return h, cs, nil
}

// container reads a live container. Without any of the keys below it is the
// bare container the restart rules need. With them it is built as the live
// audit builds it (engine.containerSpec, then container.Map):
//
//	containers:
//	  - name: web                          # the origin: findings about the whole container
//	    config: {Image: "nginx:1.27"}      # container.Config, in the Engine API's names
//	    hostConfig:                        # container.HostConfig, likewise
//	      Privileged: true                 # HostConfig.Privileged is located here
//	      Binds:
//	        - /etc:/host/etc               # HostConfig.Binds[0] here
//	      Sysctls:
//	        kernel.core_pattern: "|/x"     # HostConfig.Sysctls[kernel.core_pattern] here
//	    imageUser: ""                      # the image's USER as the daemon knows it; "": none, root for certain
//	    usernsRemap: true                  # the daemon remaps user namespaces
//	    defaultRuntime: runc               # docker info's DefaultRuntime
//
// Write config and hostConfig as containerSpec passes them on: the values
// the engine fills in by itself (a zero limit, the image's own user, the
// label=disable beside --privileged) are left out, since the live audit
// does not count them as settings; every key written counts as set. A
// map's keys are written as inspect does (PortBindings "80/tcp").
func (b *hostBuilder) container(n *yaml.Node) (*facts.Container, error) {
	live := &facts.LiveState{}
	var (
		name, defaultRuntime string
		cfgNode, hcNode      *yaml.Node
		imageUser            *yaml.Node
		usernsRemap, engine  bool
		err                  error
	)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			name = v.Value
		case "status":
			live.Status = v.Value
		case "restarting":
			live.Restarting, err = hostValue(b, v, strconv.ParseBool)
		case "restartCount":
			live.RestartCount, err = hostValue(b, v, strconv.Atoi)
		case "recentDies":
			live.RecentDies, err = hostValue(b, v, strconv.Atoi)
			live.EventsWindow = "1h"
		case "config":
			cfgNode, engine = v, true
		case "hostConfig":
			hcNode, engine = v, true
		case "imageUser":
			imageUser, engine = v, true
		case "usernsRemap":
			usernsRemap, err = strconv.ParseBool(v.Value)
			engine = true
		case "defaultRuntime":
			defaultRuntime, engine = v.Value, true
		default:
			return nil, fmt.Errorf("line %d: unknown container key %q", k.Line, k.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", v.Line, err)
		}
	}
	subject := facts.Subject{Kind: facts.SubjectContainer, Name: name}
	if !engine {
		return &facts.Container{Subject: subject, Origin: b.at(n), Engine: "docker", Live: live}, nil
	}
	spec := &container.Spec{
		Config:         &apicontainer.Config{},
		HostConfig:     &apicontainer.HostConfig{},
		Subject:        subject,
		Origin:         b.at(n),
		Engine:         "docker",
		UsernsRemap:    usernsRemap,
		DefaultRuntime: defaultRuntime,
		At:             map[string]facts.Location{},
	}
	if cfgNode != nil {
		if err := b.engineFields(cfgNode, "Config", spec.Config, spec.At); err != nil {
			return nil, err
		}
	}
	if hcNode != nil {
		if err := b.engineFields(hcNode, "HostConfig", spec.HostConfig, spec.At); err != nil {
			return nil, err
		}
	}
	if imageUser != nil {
		if imageUser.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: imageUser: want a string", imageUser.Line)
		}
		im := &facts.Container{ImageUserKnown: true}
		if imageUser.Value != "" {
			im.User = facts.SetAt(imageUser.Value, b.at(imageUser))
		} else {
			ref := spec.Config.Image
			if ref == "" {
				ref = "the image"
			}
			im.User.Why = "the image's user (" + ref + " sets no USER): root"
		}
		spec.Image = im
	}
	c := container.Map(spec)
	c.Live = live
	return c, nil
}

// engineFields decodes a mapping written in the Engine API's field names
// into dst (a container.Config or HostConfig) through encoding/json, one
// key at a time so that an error names its line, and records where each
// value is: the field at its key, list items and map entries at theirs.
func (b *hostBuilder) engineFields(n *yaml.Node, prefix string, dst any, at map[string]facts.Location) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s: want a mapping", n.Line, prefix)
	}
	names := jsonFields(reflect.TypeOf(dst).Elem())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !names[k.Value] {
			return fmt.Errorf("line %d: unknown %s key %q", k.Line, prefix, k.Value)
		}
		var val any
		if err := v.Decode(&val); err != nil {
			return fmt.Errorf("line %d: %s.%s: %v", k.Line, prefix, k.Value, err)
		}
		data, err := json.Marshal(map[string]any{k.Value: val})
		if err != nil {
			return fmt.Errorf("line %d: %s.%s: %v", k.Line, prefix, k.Value, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("line %d: %s.%s: %v", k.Line, prefix, k.Value, err)
		}
		field := prefix + "." + k.Value
		at[field] = b.at(k)
		switch v.Kind {
		case yaml.SequenceNode:
			for j, item := range v.Content {
				at[container.Item(field, j)] = b.at(item)
			}
		case yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				at[container.Key(field, v.Content[j].Value)] = b.at(v.Content[j])
			}
		}
	}
	return nil
}

// jsonFields lists the JSON names of a struct's fields, embedded structs'
// included (HostConfig embeds Resources).
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			for k := range jsonFields(f.Type) {
				out[k] = true
			}
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		out[tag] = true
	}
	return out
}

// TestHostFixtureRejects checks that a mistyped container entry is an
// error naming its line, not a container quietly judged without it.
func TestHostFixtureRejects(t *testing.T) {
	for name, tc := range map[string]struct{ src, err string }{
		"unknown container key":  {"containers:\n  - name: a\n    hostconfig: {}\n", `line 3: unknown container key "hostconfig"`},
		"unknown HostConfig key": {"containers:\n  - name: a\n    hostConfig:\n      Priviledged: true\n", `line 4: unknown HostConfig key "Priviledged"`},
		"unknown Config key":     {"containers:\n  - name: a\n    config: {image: x}\n", `line 3: unknown Config key "image"`},
		"wrong type":             {"containers:\n  - name: a\n    hostConfig:\n      Sysctls:\n        net.ipv4.ip_forward: 1\n", `line 4: HostConfig.Sysctls: json: cannot unmarshal`},
		"not a mapping":          {"containers:\n  - name: a\n    hostConfig: [x]\n", `line 3: HostConfig: want a mapping`},
	} {
		path := t.TempDir() + "/host.yaml"
		if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loadHostFacts(path); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: got %v, want %q", name, err, tc.err)
		}
	}
}

// TestThisMachineDebianBackports reads this machine's own package records:
// Debian 12's docker.io 20.10.24+dfsg1-1+deb12u1 carries the CVE-2024-41110
// fix and runc 1.1.5+ds1-1+deb12u1 carries CVE-2024-21626's, under upstream
// versions that are in range. With the records read, neither is reported,
// even with an authorization plugin configured. Skipped where those
// packages are not installed.
func TestThisMachineDebianBackports(t *testing.T) {
	status, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		t.Skip("no dpkg records on this machine")
	}
	installed := map[string]string{}
	for _, block := range strings.Split(string(status), "\n\n") {
		var name, version string
		ok := false
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "Package: "):
				name = strings.TrimPrefix(line, "Package: ")
			case strings.HasPrefix(line, "Version: "):
				version = strings.TrimPrefix(line, "Version: ")
			case strings.HasPrefix(line, "Status: ") && strings.HasSuffix(line, " installed"):
				ok = true
			}
		}
		if ok {
			installed[name] = version
		}
	}
	want := map[string]string{"docker.io": "20.10.24+dfsg1-1+deb12u1", "runc": "1.1.5+ds1-1+deb12u1"}
	for pkg, prefix := range want {
		if !strings.HasPrefix(installed[pkg], prefix) {
			t.Skipf("%s %q is not Debian 12's %s", pkg, installed[pkg], prefix)
		}
		if _, err := os.Stat("/usr/share/doc/" + pkg + "/changelog.Debian.gz"); err != nil {
			t.Skipf("no changelog for %s", pkg)
		}
	}
	upstream := func(v string) string { return v[:strings.LastIndexByte(v, '-')] }
	info := system.Info{Plugins: system.PluginsInfo{Authorization: []string{"testauthz"}}, SecurityOptions: []string{"name=seccomp,profile=default"}}
	ver := system.VersionResponse{Components: []system.ComponentVersion{
		{Name: "Engine", Version: upstream(installed["docker.io"])}, // 20.10.24+dfsg1-1+deb12u1+b6 → 20.10.24+dfsg1
		{Name: "runc", Version: "1.1.5+ds1", Details: map[string]string{"GitCommit": installed["runc"]}},
	}}
	h := host.FromEngine("unix:///run/dockguard-no-such.sock", info, ver, &host.Local{Root: "/"})
	if !h.PackageCVEs["docker.io"]["CVE-2024-41110"] || !h.PackageCVEs["runc"]["CVE-2024-21626"] {
		t.Fatalf("changelogs not read: docker.io %d CVEs, runc %d CVEs", len(h.PackageCVEs["docker.io"]), len(h.PackageCVEs["runc"]))
	}
	r := rules.Lookup("runtime-cves")[0]
	rep := rules.NewReporter(r, nil)
	r.Host(h, rep)
	for _, fd := range rep.Findings() {
		t.Logf("%s: %s", fd.Severity, fd.Message)
		if strings.Contains(fd.Message, "range of CVE-2024-41110") || strings.Contains(fd.Message, "range of CVE-2024-21626") {
			t.Errorf("a fix the package records show is reported: %s", fd.Message)
		}
		if fd.Severity != rules.Low {
			t.Errorf("a distribution build reported %s: %s", fd.Severity, fd.Message)
		}
	}
	// Seen through the API alone, the same versions are a low finding.
	rep = rules.NewReporter(r, nil)
	r.Host(host.FromEngine("tcp://10.0.0.5:2376", info, ver, nil), rep)
	seen := false
	for _, fd := range rep.Findings() {
		if strings.Contains(fd.Message, "range of CVE-2024-41110") && fd.Severity == rules.Low {
			seen = true
		}
	}
	if !seen {
		t.Error("without package records CVE-2024-41110 is not reported low")
	}
}
