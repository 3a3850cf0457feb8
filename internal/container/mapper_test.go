package container

import (
	"net/netip"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

func mapHost(h *container.HostConfig, at map[string]facts.Location) *facts.Container {
	return Map(&Spec{Config: &container.Config{Image: "nginx"}, HostConfig: h, At: at, Origin: facts.FileAt("compose.yaml", 1)})
}

func TestSecurityOptSpellings(t *testing.T) {
	for _, tc := range []struct {
		opt  string
		nnp  facts.State
		nnpV bool
	}{
		{"no-new-privileges", facts.Set, true},
		{"no-new-privileges=true", facts.Set, true},
		{"no-new-privileges:true", facts.Set, true},
		{"no-new-privileges=false", facts.Set, false},
		{"no-new-privileges:false", facts.Set, false},
		{"no-new-privileges=0", facts.Set, false},
		{"no-new-privileges=maybe", facts.Unset, false},
	} {
		c := mapHost(&container.HostConfig{SecurityOpt: []string{tc.opt}}, nil)
		if got := c.SecurityOpt.NoNewPrivileges; got.State != tc.nnp || got.V != tc.nnpV {
			t.Errorf("%s: no-new-privileges = %v %v, want %v %v", tc.opt, got.State, got.V, tc.nnp, tc.nnpV)
		}
	}
	c := mapHost(&container.HostConfig{SecurityOpt: []string{"seccomp:unconfined", "apparmor=unconfined", "label:disable", "systempaths=unconfined"}}, nil)
	if c.SecurityOpt.SeccompProfile.V != "unconfined" || c.SecurityOpt.AppArmorProfile.V != "unconfined" || !c.SecurityOpt.SELinuxDisabled.V || !c.SecurityOpt.Unmasked.V {
		t.Errorf("legacy spellings not decoded: %+v", c.SecurityOpt)
	}
	if c := mapHost(&container.HostConfig{SecurityOpt: []string{"disable"}}, nil); !c.SecurityOpt.SELinuxDisabled.V {
		t.Errorf("bare disable must disable SELinux labels")
	}
}

func TestCapabilitiesNormalized(t *testing.T) {
	c := mapHost(&container.HostConfig{CapAdd: []string{"cap_sys_admin", "Net_Admin"}, CapDrop: []string{"all"}}, nil)
	if got := c.CapAdd.V; len(got) != 2 || got[0] != "SYS_ADMIN" || got[1] != "NET_ADMIN" {
		t.Errorf("CapAdd = %v", got)
	}
	if c.CapDrop.V[0] != "ALL" {
		t.Errorf("CapDrop = %v", c.CapDrop.V)
	}
}

func TestExplicitZeroIsSet(t *testing.T) {
	at := map[string]facts.Location{FieldPrivileged: facts.FileAt("c.yaml", 4), FieldPidsLimit: facts.FileAt("c.yaml", 5)}
	zero := int64(0)
	c := mapHost(&container.HostConfig{Resources: container.Resources{PidsLimit: &zero}}, at)
	if !c.Privileged.IsSet() || c.Privileged.V || c.Privileged.At.Line != 4 {
		t.Errorf("privileged: false written in the file must be set: %+v", c.Privileged)
	}
	if !c.PidsLimit.IsSet() || c.PidsLimit.V != 0 {
		t.Errorf("pids_limit: 0 must be set to 0: %+v", c.PidsLimit)
	}
	if c2 := mapHost(&container.HostConfig{}, nil); c2.Privileged.State != facts.Unset || c2.PidsLimit.State != facts.Unset {
		t.Errorf("absent values must be unset")
	}
}

func TestUnknownValues(t *testing.T) {
	c := Map(&Spec{HostConfig: &container.HostConfig{}, Unknown: map[string]string{FieldMemory: "mem_limit: ${MEM} has no value"}, Origin: facts.FileAt("c.yaml", 2)})
	if !c.Memory.IsUnknown() || len(c.Notes) != 1 {
		t.Errorf("memory should be unknown with a note: %+v %v", c.Memory, c.Notes)
	}
}

func TestPodmanDefaults(t *testing.T) {
	c := Map(&Spec{Engine: "podman", Rootless: true})
	if !c.PidsLimit.IsSet() || c.PidsLimit.V != PodmanPidsLimit || !c.Rootless {
		t.Errorf("podman: pids %+v rootless %v", c.PidsLimit, c.Rootless)
	}
	if d := Map(&Spec{}); d.PidsLimit.State != facts.Unset || d.Engine != "docker" {
		t.Errorf("docker has no default pids limit")
	}
}

func TestMounts(t *testing.T) {
	c := mapHost(&container.HostConfig{
		Binds:  []string{"/var/run/docker.sock:/var/run/docker.sock:ro", "data:/data", "/srv//x/:/x:rw,rshared", "/anon"},
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "v", Target: "/v", VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: "local", Options: map[string]string{"type": "none", "o": "bind", "device": "/etc"}}}}},
		Tmpfs:  map[string]string{"/tmp": "size=64m"},
	}, nil)
	want := []facts.Mount{
		{Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock", ReadOnly: true},
		{Type: "volume", Source: "data", Target: "/data"},
		{Type: "bind", Source: "/srv/x", Target: "/x", Propagation: "rshared"},
		{Type: "volume", Target: "/anon"},
		{Type: "bind", Source: "/etc", Target: "/v"},
		{Type: "tmpfs", Target: "/tmp"},
	}
	if len(c.Mounts) != len(want) {
		t.Fatalf("mounts = %+v", c.Mounts)
	}
	for i, w := range want {
		g := c.Mounts[i]
		g.At = facts.Location{}
		if g != w {
			t.Errorf("mount %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestPorts(t *testing.T) {
	p80, _ := network.ParsePort("80/tcp")
	p53, _ := network.ParsePort("53/udp")
	c := mapHost(&container.HostConfig{PortBindings: network.PortMap{
		p80: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}, {HostPort: "8000-8010"}},
		p53: {{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: ""}},
	}}, nil)
	if len(c.Published) != 3 {
		t.Fatalf("published = %+v", c.Published)
	}
	if g := c.Published[0]; g.ContainerPort != 53 || g.Proto != "udp" || g.HostIP != "0.0.0.0" || g.HostPort != 0 {
		t.Errorf("53/udp = %+v", g)
	}
	if g := c.Published[2]; g.HostIP != "" || g.HostPort != 8000 || g.HostPortEnd != 8010 {
		t.Errorf("range = %+v", g)
	}
}

func TestRestartAndImageJoin(t *testing.T) {
	img := &facts.Container{User: facts.SetAt("10001", facts.FileAt("Dockerfile", 9)), Healthcheck: facts.SetAt(true, facts.FileAt("Dockerfile", 8))}
	c := Map(&Spec{Config: &container.Config{Image: "app"}, HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "on-failure"}}, Image: img})
	if c.User.V != "10001" || c.User.At.Path != "Dockerfile" {
		t.Errorf("user must come from the joined image: %+v", c.User)
	}
	if !c.Restart.IsSet() || c.Restart.V.Name != "on-failure" || c.Restart.V.MaxRetry != 0 {
		t.Errorf("restart = %+v", c.Restart)
	}
	c = Map(&Spec{Config: &container.Config{Image: "app", User: "0"}, Image: img})
	if c.User.V != "0" {
		t.Errorf("the container's user overrides the image's: %+v", c.User)
	}
}
