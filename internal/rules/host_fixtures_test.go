package rules_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/system"
	"go.yaml.in/yaml/v3"

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

func (b *hostBuilder) container(n *yaml.Node) (*facts.Container, error) {
	c := &facts.Container{Subject: facts.Subject{Kind: facts.SubjectContainer}, Origin: b.at(n), Engine: "docker", Live: &facts.LiveState{}}
	var err error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			c.Subject.Name = v.Value
		case "status":
			c.Live.Status = v.Value
		case "restarting":
			c.Live.Restarting, err = hostValue(b, v, strconv.ParseBool)
		case "restartCount":
			c.Live.RestartCount, err = hostValue(b, v, strconv.Atoi)
		case "recentDies":
			c.Live.RecentDies, err = hostValue(b, v, strconv.Atoi)
			c.Live.EventsWindow = "1h"
		default:
			return nil, fmt.Errorf("line %d: unknown container key %q", k.Line, k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
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
