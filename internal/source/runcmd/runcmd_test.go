package runcmd_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/runcmd"
)

// col is the 1-based byte column of the n-th (1-based) occurrence of word in
// line.
func col(t *testing.T, line, word string, n ...int) int {
	t.Helper()
	nth := 1
	if len(n) > 0 {
		nth = n[0]
	}
	off := 0
	for i := 0; i < nth; i++ {
		j := strings.Index(line[off:], word)
		if j < 0 {
			t.Fatalf("%q not in %q", word, line)
		}
		off += j
		if i < nth-1 {
			off += len(word)
		}
	}
	return off + 1
}

func runAt(c int) facts.Location {
	return facts.Location{Path: facts.RunPath, Index: 1, Column: c}
}

func parse(t *testing.T, line string) (*runcmd.Result, *facts.Container) {
	t.Helper()
	res, err := runcmd.ParseLine(line, 1)
	if err != nil {
		t.Fatalf("ParseLine(%q): %v", line, err)
	}
	if len(res) != 1 {
		t.Fatalf("ParseLine(%q): %d containers, want 1", line, len(res))
	}
	return res[0], container.Map(res[0].Spec)
}

func setAt[T any](t *testing.T, what string, v facts.Value[T], want T, at facts.Location) {
	t.Helper()
	if v.State != facts.Set {
		t.Fatalf("%s: state %v (%s), want set", what, v.State, v.Why)
	}
	if !reflect.DeepEqual(v.V, want) {
		t.Fatalf("%s = %#v, want %#v", what, v.V, want)
	}
	if at != (facts.Location{}) && v.At != at {
		t.Fatalf("%s at %+v, want %+v", what, v.At, at)
	}
}

func unset[T any](t *testing.T, what string, v facts.Value[T]) {
	t.Helper()
	if v.State != facts.Unset {
		t.Fatalf("%s: state %v (%#v), want unset", what, v.State, v.V)
	}
}

func hasNote(t *testing.T, notes []facts.Note, sub string) facts.Note {
	t.Helper()
	for _, n := range notes {
		if strings.Contains(n.Message, sub) {
			return n
		}
	}
	t.Fatalf("no note contains %q in %+v", sub, notes)
	return facts.Note{}
}

func TestRunLines(t *testing.T) {
	const mib = 1 << 20
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		line  string
		check func(t *testing.T, line string, r *runcmd.Result, c *facts.Container)
	}{
		{"privileged root bind", `docker run -d --privileged -v /:/host nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Privileged", c.Privileged, true, runAt(col(t, line, "--privileged")))
			want := []facts.Mount{{Type: "bind", Source: "/", Target: "/host", At: runAt(col(t, line, "-v"))}}
			if !reflect.DeepEqual(c.Mounts, want) {
				t.Fatalf("mounts %+v, want %+v", c.Mounts, want)
			}
			setAt(t, "Image", c.Image, "nginx", runAt(col(t, line, "nginx")))
			if c.Subject != (facts.Subject{Kind: facts.SubjectContainer, Name: "nginx"}) {
				t.Fatalf("subject %+v", c.Subject)
			}
			if c.Origin != runAt(1) || c.Engine != "docker" || c.Rootless {
				t.Fatalf("origin %+v engine %q rootless %v", c.Origin, c.Engine, c.Rootless)
			}
			unset(t, "User", c.User)
			unset(t, "Memory", c.Memory)
		}},
		{"memory without swap", `docker run -m 512m nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Memory", c.Memory, int64(512*mib), runAt(col(t, line, "-m")))
			unset(t, "MemorySwap", c.MemorySwap)
		}},
		{"memory joined short form", `docker run -m512m nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Memory", c.Memory, int64(512*mib), runAt(col(t, line, "-m")))
		}},
		{"memory equals form and unlimited swap", `docker run --memory=1g --memory-swap -1 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Memory", c.Memory, int64(1024*mib), runAt(col(t, line, "--memory=")))
			setAt(t, "MemorySwap", c.MemorySwap, int64(-1), runAt(col(t, line, "--memory-swap")))
		}},
		{"memory swap equal to memory", `docker run -m 256m --memory-swap=256m nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "MemorySwap", c.MemorySwap, int64(256*mib), facts.Location{})
		}},
		{"zero memory is set", `docker run --memory 0 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Memory", c.Memory, int64(0), runAt(col(t, line, "--memory")))
		}},
		{"cpus", `docker run --cpus 1.5 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "NanoCPUs", c.NanoCPUs, int64(1500000000), runAt(col(t, line, "--cpus")))
		}},
		{"cpu shares period quota", `docker run -c 512 --cpu-period 100000 --cpu-quota=50000 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "CPUShares", c.CPUShares, int64(512), runAt(col(t, line, "-c")))
			setAt(t, "CPUPeriod", c.CPUPeriod, int64(100000), runAt(col(t, line, "--cpu-period")))
			setAt(t, "CPUQuota", c.CPUQuota, int64(50000), runAt(col(t, line, "--cpu-quota")))
		}},
		{"pids limit", `docker run --pids-limit 100 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "PidsLimit", c.PidsLimit, int64(100), runAt(col(t, line, "--pids-limit")))
		}},
		{"pids limit unlimited", `docker run --pids-limit=-1 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "PidsLimit", c.PidsLimit, int64(-1), facts.Location{})
		}},
		{"restart on-failure with count", `docker run --restart on-failure:3 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Restart", c.Restart, facts.RestartPolicy{Name: "on-failure", MaxRetry: 3}, runAt(col(t, line, "--restart")))
		}},
		{"restart always", `docker run --restart=always nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Restart", c.Restart, facts.RestartPolicy{Name: "always"}, facts.Location{})
		}},
		{"restart unless-stopped", `docker run --restart unless-stopped nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Restart", c.Restart, facts.RestartPolicy{Name: "unless-stopped"}, facts.Location{})
		}},
		{"ulimits kept as written", `docker run --ulimit nofile=2048:1024 --ulimit nproc=512 --ulimit cpu=10 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.Ulimit{
				{Name: "nofile", Soft: 2048, Hard: 1024, At: runAt(col(t, line, "--ulimit"))},
				{Name: "nproc", Soft: 512, Hard: 512, At: runAt(col(t, line, "--ulimit", 2))},
				{Name: "cpu", Soft: 10, Hard: 10, At: runAt(col(t, line, "--ulimit", 3))},
			}
			if !reflect.DeepEqual(c.Ulimits, want) {
				t.Fatalf("ulimits %+v, want %+v", c.Ulimits, want)
			}
		}},
		{"ulimit repeated name: last wins", `docker run --ulimit nofile=1 --ulimit nofile=5:10 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.Ulimit{{Name: "nofile", Soft: 5, Hard: 10, At: runAt(col(t, line, "--ulimit", 2))}}
			if !reflect.DeepEqual(c.Ulimits, want) {
				t.Fatalf("ulimits %+v, want %+v", c.Ulimits, want)
			}
		}},
		{"capabilities", `docker run --cap-add ALL --cap-drop ALL nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "CapAdd", c.CapAdd, []string{"ALL"}, runAt(col(t, line, "--cap-add")))
			setAt(t, "CapDrop", c.CapDrop, []string{"ALL"}, runAt(col(t, line, "--cap-drop")))
		}},
		{"capabilities are not split on commas by docker", `docker run --cap-add=SYS_ADMIN,NET_ADMIN --cap-add cap_sys_ptrace nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "CapAdd", c.CapAdd, []string{"SYS_ADMIN,NET_ADMIN", "SYS_PTRACE"}, facts.Location{})
			if got := r.Spec.At[container.Item(container.FieldCapAdd, 1)]; got != runAt(col(t, line, "--cap-add", 2)) {
				t.Fatalf("second cap at %+v", got)
			}
		}},
		{"no-new-privileges", `docker run --security-opt no-new-privileges nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "NoNewPrivileges", c.SecurityOpt.NoNewPrivileges, true, runAt(col(t, line, "--security-opt")))
		}},
		{"no-new-privileges false", `docker run --security-opt=no-new-privileges:false nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "NoNewPrivileges", c.SecurityOpt.NoNewPrivileges, false, runAt(col(t, line, "--security-opt")))
		}},
		{"label disable, seccomp and apparmor unconfined", `docker run --security-opt label:disable --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			so := c.SecurityOpt
			setAt(t, "SELinuxDisabled", so.SELinuxDisabled, true, runAt(col(t, line, "--security-opt")))
			setAt(t, "Seccomp", so.SeccompProfile, "unconfined", runAt(col(t, line, "--security-opt", 2)))
			setAt(t, "AppArmor", so.AppArmorProfile, "unconfined", runAt(col(t, line, "--security-opt", 3)))
			setAt(t, "Unmasked", so.Unmasked, true, runAt(col(t, line, "--security-opt", 4)))
		}},
		{"read-only root filesystem", `docker run --read-only --tmpfs /run:rw,size=64m nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "ReadOnlyRootfs", c.ReadOnlyRootfs, true, runAt(col(t, line, "--read-only")))
			want := []facts.Mount{{Type: "tmpfs", Target: "/run", At: runAt(col(t, line, "--tmpfs"))}}
			if !reflect.DeepEqual(c.Mounts, want) {
				t.Fatalf("mounts %+v", c.Mounts)
			}
			if got := r.Spec.HostConfig.Tmpfs["/run"]; got != "rw,size=64m" {
				t.Fatalf("tmpfs options %q", got)
			}
		}},
		{"explicit false is set", `docker run --privileged=false --read-only=false nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Privileged", c.Privileged, false, runAt(col(t, line, "--privileged")))
			setAt(t, "ReadOnlyRootfs", c.ReadOnlyRootfs, false, runAt(col(t, line, "--read-only")))
		}},
		{"published on loopback", `docker run -p 127.0.0.1:8080:80 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.PublishedPort{{HostIP: "127.0.0.1", HostPort: 8080, HostPortEnd: 8080, ContainerPort: 80, EndPort: 80, Proto: "tcp", At: runAt(col(t, line, "-p"))}}
			if !reflect.DeepEqual(c.Published, want) {
				t.Fatalf("published %+v, want %+v", c.Published, want)
			}
			if len(c.ExposedPorts) != 1 || c.ExposedPorts[0].Port != 80 {
				t.Fatalf("exposed %+v", c.ExposedPorts)
			}
			if got := r.Spec.At[container.Key(container.FieldPortBindings, "80/tcp")]; got != runAt(col(t, line, "-p")) {
				t.Fatalf("binding at %+v", got)
			}
			unset(t, "PublishAll", c.PublishAll)
		}},
		{"published on all interfaces", `docker run -p 8080:80 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.PublishedPort{{HostPort: 8080, HostPortEnd: 8080, ContainerPort: 80, EndPort: 80, Proto: "tcp", At: runAt(col(t, line, "-p"))}}
			if !reflect.DeepEqual(c.Published, want) {
				t.Fatalf("published %+v, want %+v", c.Published, want)
			}
		}},
		{"publish all", `docker run -P nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "PublishAll", c.PublishAll, true, runAt(col(t, line, "-P")))
			if len(c.Published) != 0 {
				t.Fatalf("published %+v", c.Published)
			}
		}},
		{"ipv6, udp, container port only", `docker run -p "[::1]:53:53/udp" -p 9000 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.PublishedPort{
				{HostIP: "::1", HostPort: 53, HostPortEnd: 53, ContainerPort: 53, EndPort: 53, Proto: "udp", At: runAt(col(t, line, "-p"))},
				{ContainerPort: 9000, EndPort: 9000, Proto: "tcp", At: runAt(col(t, line, "-p", 2))},
			}
			if !reflect.DeepEqual(c.Published, want) {
				t.Fatalf("published %+v, want %+v", c.Published, want)
			}
		}},
		{"port ranges", `docker run -p 8080-8090:80-90 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if len(c.Published) != 11 || len(c.ExposedPorts) != 11 {
				t.Fatalf("%d published, %d exposed", len(c.Published), len(c.ExposedPorts))
			}
			for _, p := range c.Published {
				if p.HostPort-8080 != p.ContainerPort-80 {
					t.Fatalf("binding %+v", p)
				}
			}
		}},
		{"publish long syntax and expose", `docker run -p published=8443,target=443 --expose 7000-7002/udp nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if len(c.Published) != 1 || c.Published[0].HostPort != 8443 || c.Published[0].ContainerPort != 443 {
				t.Fatalf("published %+v", c.Published)
			}
			if len(c.ExposedPorts) != 4 {
				t.Fatalf("exposed %+v", c.ExposedPorts)
			}
		}},
		{"memory from a variable", `docker run --memory "$MEM" nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if !c.Memory.IsUnknown() || c.Memory.At != runAt(col(t, line, "--memory")) {
				t.Fatalf("memory %+v", c.Memory)
			}
			n := hasNote(t, c.Notes, `--memory "$MEM" depends on a variable`)
			if n.At != runAt(col(t, line, "--memory")) {
				t.Fatalf("note at %+v", n.At)
			}
		}},
		{"user from a command substitution", `docker run -u "$(id -u):$(id -g)" nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if !c.User.IsUnknown() {
				t.Fatalf("user %+v", c.User)
			}
			hasNote(t, c.Notes, "depends on a command substitution")
		}},
		{"sudo", `sudo -E docker run --user 0 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "User", c.User, "0", runAt(col(t, line, "--user")))
			if c.Origin != runAt(1) {
				t.Fatalf("origin %+v", c.Origin)
			}
		}},
		{"global flags and container run", `docker -H tcp://x:2376 --tlsverify --context y -D container run --rm alpine true`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Image", c.Image, "alpine", facts.Location{})
			setAt(t, "Cmd", c.Cmd, []string{"true"}, runAt(col(t, line, "true")))
		}},
		{"create", `docker container create --name web -u app nginx:1.27`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if c.Subject != (facts.Subject{Kind: facts.SubjectContainer, Name: "web"}) {
				t.Fatalf("subject %+v", c.Subject)
			}
			setAt(t, "User", c.User, "app", facts.Location{})
		}},
		{"podman is rootless", `podman run nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if c.Engine != "podman" || !c.Rootless {
				t.Fatalf("engine %q rootless %v", c.Engine, c.Rootless)
			}
			setAt(t, "PidsLimit", c.PidsLimit, int64(container.PodmanPidsLimit), facts.Location{})
		}},
		{"sudo podman is rootful", `sudo podman run nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if c.Engine != "podman" || c.Rootless {
				t.Fatalf("engine %q rootless %v", c.Engine, c.Rootless)
			}
		}},
		{"sudo -u user podman stays rootless", `sudo -u alice podman run nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if !c.Rootless {
				t.Fatal("rootful")
			}
		}},
		{"podman flags", `podman --remote --log-level debug container run --userns=keep-id --pod mypod --replace --systemd=always --secret mysecret --tz=UTC --uidmap 0:1:1 --gidmap 0:1:1 --subuidname u --subgidname g --pids-limit 100 --tls-verify=false --env-host --read-only-tmpfs --cap-add NET_ADMIN,SYS_TIME -d --rm quay.io/x/y:1`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Userns", c.Namespaces[facts.NSUser], "keep-id", runAt(col(t, line, "--userns")))
			setAt(t, "PidsLimit", c.PidsLimit, int64(100), facts.Location{})
			setAt(t, "CapAdd", c.CapAdd, []string{"NET_ADMIN", "SYS_TIME"}, facts.Location{})
			setAt(t, "Image", c.Image, "quay.io/x/y:1", facts.Location{})
			hasNote(t, r.Notes, "--env-host")
		}},
		{"podman health none", `podman run --health-cmd none nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Healthcheck", c.Healthcheck, false, facts.Location{})
		}},
		{"nerdctl", `nerdctl -n k8s.io run --privileged alpine`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Privileged", c.Privileged, true, facts.Location{})
			if c.Engine != "docker" {
				t.Fatalf("engine %q", c.Engine)
			}
		}},
		{"wrappers", `env DOCKER_HOST=unix:///x nohup /usr/bin/docker run -itd --rm=false alpine sh`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Cmd", c.Cmd, []string{"sh"}, facts.Location{})
			if !r.Spec.Config.Tty || !r.Spec.Config.OpenStdin {
				t.Fatal("-it not read")
			}
		}},
		{"line continuation", "docker run \\\n  --privileged \\\n  nginx", func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Privileged", c.Privileged, true, runAt(col(t, line, "--privileged")))
		}},
		{"flags after the image are the command", `docker run nginx --privileged -p 80:80`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			unset(t, "Privileged", c.Privileged)
			setAt(t, "Cmd", c.Cmd, []string{"--privileged", "-p", "80:80"}, facts.Location{})
			if len(c.Published) != 0 {
				t.Fatal("published")
			}
		}},
		{"double dash", `docker run --rm -- nginx -x`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Image", c.Image, "nginx", runAt(col(t, line, "nginx")))
			setAt(t, "Cmd", c.Cmd, []string{"-x"}, facts.Location{})
		}},
		{"environment", `docker run -e FOO=bar --env BAZ -e "TOKEN=$TOKEN" nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.EnvVar{
				{Name: "FOO", Value: "bar", At: runAt(col(t, line, "-e FOO"))},
				{Name: "BAZ", Dynamic: true, At: runAt(col(t, line, "--env"))},
				{Name: "TOKEN", Value: "$TOKEN", Dynamic: true, At: runAt(col(t, line, `-e "TOKEN`))},
			}
			if !reflect.DeepEqual(c.Env, want) {
				t.Fatalf("env %+v, want %+v", c.Env, want)
			}
			hasNote(t, c.Notes, "--env BAZ takes its value from the environment docker runs in")
		}},
		{"labels entrypoint health", `docker run -l team=web --label tier=front --entrypoint /bin/sh --health-cmd "curl -f http://localhost/" --health-interval 30s nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "label", c.Labels["tier"], "front", runAt(col(t, line, "--label")))
			setAt(t, "Entrypoint", c.Entrypoint, []string{"/bin/sh"}, runAt(col(t, line, "--entrypoint")))
			setAt(t, "Healthcheck", c.Healthcheck, true, facts.Location{})
			hc := r.Spec.Config.Healthcheck
			if !reflect.DeepEqual(hc.Test, []string{"CMD-SHELL", "curl -f http://localhost/"}) || hc.Interval.String() != "30s" {
				t.Fatalf("healthcheck %+v", hc)
			}
		}},
		{"empty entrypoint is set", `docker run --entrypoint= nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Entrypoint", c.Entrypoint, []string{""}, facts.Location{})
		}},
		{"no healthcheck", `docker run --no-healthcheck nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Healthcheck", c.Healthcheck, false, runAt(col(t, line, "--no-healthcheck")))
		}},
		{"content trust disabled", `docker run --disable-content-trust nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "DisableContentTrust", c.DisableContentTrust, true, runAt(col(t, line, "--disable-content-trust")))
		}},
		{"content trust on", `docker run --disable-content-trust=false nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			unset(t, "DisableContentTrust", c.DisableContentTrust)
		}},
		{"namespaces", `docker run --network host --pid=host --ipc host --uts host --userns host --cgroupns host nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			for ns, flag := range map[facts.Namespace]string{facts.NSNetwork: "--network", facts.NSPid: "--pid", facts.NSIPC: "--ipc", facts.NSUTS: "--uts", facts.NSUser: "--userns", facts.NSCgroup: "--cgroupns"} {
				setAt(t, string(ns), c.Namespaces[ns], "host", runAt(col(t, line, flag)))
			}
		}},
		{"net alias and second network", `docker run --net=container:db --network backend nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "network", c.Namespaces[facts.NSNetwork], "container:db", runAt(col(t, line, "--net=")))
			if !reflect.DeepEqual(c.Networks, []string{"backend"}) {
				t.Fatalf("networks %v", c.Networks)
			}
		}},
		{"docker socket through --mount", `docker run --mount type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock,readonly nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.Mount{{Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock", ReadOnly: true, At: runAt(col(t, line, "--mount"))}}
			if !reflect.DeepEqual(c.Mounts, want) {
				t.Fatalf("mounts %+v", c.Mounts)
			}
		}},
		{"volumes", `docker run -v data:/data -v /etc:/etc:ro,rshared -v "$(pwd)":/app -v ./conf:/conf nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.Mount{
				{Type: "volume", Source: "data", Target: "/data", At: runAt(col(t, line, "-v"))},
				{Type: "bind", Source: "/etc", Target: "/etc", ReadOnly: true, Propagation: "rshared", At: runAt(col(t, line, "-v", 2))},
				{Type: "bind", Source: cwd, Target: "/app", At: runAt(col(t, line, "-v", 3))},
				{Type: "bind", Source: filepath.Join(cwd, "conf"), Target: "/conf", At: runAt(col(t, line, "-v", 4))},
			}
			if !reflect.DeepEqual(c.Mounts, want) {
				t.Fatalf("mounts %+v, want %+v", c.Mounts, want)
			}
			if len(c.Notes) != 0 {
				t.Fatalf("notes %+v", c.Notes)
			}
		}},
		{"bind from another variable", `docker run -v "$HOME/.ssh:/root/.ssh" nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			// The source is unknown: not a named volume, not judged, noted.
			if len(c.Mounts) != 0 {
				t.Fatalf("mounts %+v", c.Mounts)
			}
			hasNote(t, c.Notes, "-v")
		}},
		{"devices", `docker run --device /dev/fuse --device=/dev/sda:/dev/xvda:r --device-cgroup-rule 'c *:* rwm' --device nvidia.com/gpu=all nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			want := []facts.Device{
				{Host: "/dev/fuse", Container: "/dev/fuse", Permissions: "rwm", At: runAt(col(t, line, "--device"))},
				{Host: "/dev/sda", Container: "/dev/xvda", Permissions: "r", At: runAt(col(t, line, "--device=/"))},
				{Host: "cdi nvidia.com/gpu=all", At: c.Origin},
			}
			if !reflect.DeepEqual(c.Devices, want) {
				t.Fatalf("devices %+v", c.Devices)
			}
			if len(c.DeviceCgroupRules) != 1 || c.DeviceCgroupRules[0].V != "c *:* rwm" {
				t.Fatalf("rules %+v", c.DeviceCgroupRules)
			}
			dr := r.Spec.HostConfig.DeviceRequests
			if len(dr) != 1 || dr[0].Driver != "cdi" {
				t.Fatalf("device requests %+v", dr)
			}
		}},
		{"oom and sysctl mapped", `docker run --oom-kill-disable --sysctl net.ipv4.ip_forward=1 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			h := r.Spec.HostConfig
			if h.OomKillDisable == nil || !*h.OomKillDisable || h.Sysctls["net.ipv4.ip_forward"] != "1" {
				t.Fatalf("oom %v sysctls %v", h.OomKillDisable, h.Sysctls)
			}
			if r.Spec.At["HostConfig.OomKillDisable"] != runAt(col(t, line, "--oom-kill-disable")) {
				t.Fatal("oom position")
			}
		}},
		{"every accepted flag", `docker run --gpus all --platform linux/amd64 --pull always --dns 8.8.8.8 --add-host a:1.2.3.4 --log-driver json-file --log-opt max-size=10m --hostname h -h h2 --workdir /w -w /w2 --stop-signal SIGTERM --shm-size 64m --oom-score-adj 100 --group-add 10 --isolation default --runtime runc --storage-opt size=10G --volumes-from other --link other:alias --mac-address 92:d0:c6:0a:29:33 --ip 172.30.100.104 --ip6 2001:db8::33 --network-alias web --net-alias web2 --blkio-weight 300 --blkio-weight-device /dev/sda:200 --device-read-bps /dev/sda:1mb --device-write-bps /dev/sda:1mb --device-read-iops /dev/sda:1000 --device-write-iops /dev/sda:1000 --cpuset-cpus 0-1 --cpuset-mems 0 --cpu-rt-period 1000 --cpu-rt-runtime 500 --kernel-memory 10m --memory-swappiness 10 --memory-reservation 100m --cidfile /tmp/cid -a stdout --attach=stderr --detach-keys ctrl-x --sig-proxy=false -t -i -q --use-api-socket --annotation a=b --init --rm --label-file x --domainname d --stop-timeout 5 --health-interval 5s --health-retries 3 --health-timeout 2s --health-start-period 1s --health-start-interval 1s --dns-option ndots:1 --dns-opt ndots:2 --dns-search example.com --link-local-ip 169.254.1.1 --volume-driver local --cgroup-parent /x --umask 0022 --cpu-count 1 --cpu-percent 50 --io-maxbandwidth 1m --io-maxiops 10 --detach nginx sh -c 'echo hi'`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Image", c.Image, "nginx", facts.Location{})
			setAt(t, "Cmd", c.Cmd, []string{"sh", "-c", "echo hi"}, facts.Location{})
			h := r.Spec.HostConfig
			if h.ShmSize != 64*mib || h.Runtime != "runc" || h.OomScoreAdj != 100 || !h.AutoRemove || h.Init == nil || !*h.Init {
				t.Fatalf("host config %+v", h)
			}
			if r.Spec.Config.Hostname != "h2" || r.Spec.Config.WorkingDir != "/w2" {
				t.Fatalf("config %+v", r.Spec.Config)
			}
		}},
		{"docker in sh -c", `sh -c 'docker run --privileged nginx'`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Privileged", c.Privileged, true, runAt(col(t, line, "'")))
		}},
		{"variable holding flags", `docker run $DOCKER_OPTS nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			if !c.Image.IsUnknown() {
				t.Fatalf("image %+v", c.Image)
			}
			hasNote(t, r.Notes, "flags in it were not seen")
		}},
		{"variable flag name", `docker run --$KIND=1 nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Image", c.Image, "nginx", facts.Location{})
			hasNote(t, r.Notes, "names flags with a variable")
		}},
		{"global flags in a variable", `docker $DOCKER_FLAGS run nginx`, func(t *testing.T, line string, r *runcmd.Result, c *facts.Container) {
			setAt(t, "Image", c.Image, "nginx", facts.Location{})
			hasNote(t, r.Notes, "global flags")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, c := parse(t, tt.line)
			tt.check(t, tt.line, r, c)
		})
	}
}

func TestEnvFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.env")
	if err := os.WriteFile(path, []byte("\uFEFF# comment\nA=1\n\n  B= two \nHOME_DIR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	line := `docker run --env-file ` + path + ` -e A=override nginx`
	_, c := parse(t, line)
	want := []facts.EnvVar{
		{Name: "A", Value: "1", At: facts.Location{Path: path, Line: 2}},
		{Name: "B", Value: " two ", At: facts.Location{Path: path, Line: 4}},
		{Name: "HOME_DIR", Dynamic: true, At: facts.Location{Path: path, Line: 5}},
		{Name: "A", Value: "override", At: runAt(col(t, line, "-e A="))},
	}
	if !reflect.DeepEqual(c.Env, want) {
		t.Fatalf("env %+v, want %+v", c.Env, want)
	}

	r, _ := parse(t, `docker run --env-file `+filepath.Join(dir, "missing.env")+` nginx`)
	hasNote(t, r.Notes, "cannot be read")

	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("OK=1\nA B=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runcmd.ParseLine(`docker run --env-file `+bad+` nginx`, 4)
	var e *runcmd.Error
	wantAt := facts.Location{Path: facts.RunPath, Index: 4, Column: 12}
	if !errors.As(err, &e) || e.At != wantAt || !strings.Contains(e.Error(), bad+":2: the variable name contains whitespace") {
		t.Fatalf("error %v", err)
	}

	big := filepath.Join(dir, "big.env")
	if err := os.WriteFile(big, make([]byte, 1<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ = parse(t, `docker run --env-file `+big+` nginx`)
	hasNote(t, r.Notes, "larger than 1 MiB")
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, line, at, msg string
	}{
		{"unknown flag", `docker run --bogus nginx`, "--bogus", "unknown flag: --bogus"},
		{"unknown shorthand", `docker run -dZ nginx`, "-dZ", "unknown shorthand flag: 'Z' in -Z"},
		{"create has no -d", `docker create -d nginx`, "-d", "unknown shorthand flag: 'd'"},
		{"malformed memory", `docker run --memory 12q nginx`, "--memory", `invalid argument "12q" for "-m, --memory" flag`},
		{"malformed cpus", `docker run --cpus abc nginx`, "--cpus", `invalid argument "abc" for "--cpus" flag`},
		{"malformed cpu shares", `docker run -c lots nginx`, "-c", `"-c, --cpu-shares"`},
		{"malformed bool", `docker run --privileged=maybe nginx`, "--privileged", "invalid argument"},
		{"bad restart policy", `docker run --restart sometimes nginx`, "--restart", "unknown policy"},
		{"retry count without on-failure", `docker run --restart always:3 nginx`, "--restart", "maximum retry count"},
		{"bad ulimit", `docker run --ulimit nofiles=1 nginx`, "--ulimit", "invalid ulimit type"},
		{"bad port", `docker run -p 80:http nginx`, "-p", "invalid"},
		{"bad security opt", `docker run --security-opt nonsense nginx`, "--security-opt", "invalid --security-opt"},
		{"bad device", `docker run --device /dev/sda:relative nginx`, "--device", "not an absolute path"},
		{"bad mount", `docker run --mount type=bind,bogus=1 nginx`, "--mount", "unknown option"},
		{"bad pid mode", `docker run --pid process nginx`, "--pid", "invalid PID mode"},
		{"empty env name", `docker run -e =secret nginx`, "-e", "the name is empty"},
		{"flag without its value", `docker run nginx-less --memory`, "", ""},
		{"value missing at the end", `docker run --memory`, "--memory", "flag needs an argument: --memory"},
		{"missing image", `docker run -d --rm`, "run", "requires at least 1 argument"},
		{"rm and restart", `docker run --rm --restart always nginx`, "--restart", "conflicting options"},
		{"no-healthcheck with health-cmd", `docker run --no-healthcheck --health-cmd true nginx`, "--no-healthcheck", "conflicts"},
		{"unknown global flag", `docker --bogus run nginx`, "--bogus", "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runcmd.ParseLine(tt.line, 2)
			if tt.at == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *runcmd.Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseLine(%q) = %v, %v; want *Error", tt.line, res, err)
			}
			want := facts.Location{Path: facts.RunPath, Index: 2, Column: col(t, tt.line, tt.at)}
			if e.At != want {
				t.Fatalf("error at %+v, want %+v (%v)", e.At, want, e)
			}
			if !strings.Contains(e.Error(), tt.msg) || !strings.HasPrefix(e.Error(), "--run #2:") {
				t.Fatalf("error %q, want it to contain %q", e.Error(), tt.msg)
			}
			if strings.Contains(e.Error(), "secret") {
				t.Fatalf("error echoes a value: %q", e.Error())
			}
		})
	}
}

func TestNotAContainer(t *testing.T) {
	for _, line := range []string{
		`docker build .`,
		`echo docker run x`,
		`docker ps -a`,
		`docker compose run web`,
		`docker --version`,
		`docker run --help`,
		`podman pod create`,
		`docker image ls run`,
		`$DOCKER run nginx`,
		`command -v docker`,
	} {
		res, err := runcmd.ParseLine(line, 3)
		var e *runcmd.Error
		if !errors.As(err, &e) || e.At != (facts.Location{Path: facts.RunPath, Index: 3}) || !strings.Contains(e.Error(), "--run #3") {
			t.Errorf("ParseLine(%q) = %v, %v; want a no-command error for --run #3", line, res, err)
		}
	}
	cmds, err := shell.Parse(`echo docker run x; docker build .`, func(off int) facts.Location { return facts.Location{Line: 1, Column: off + 1} })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if res, ok, err := runcmd.FromCommand(c); ok || err != nil || res != nil {
			t.Errorf("FromCommand(%q) = %v, %v, %v", c.Args, res, ok, err)
		}
	}
}

func TestNotShell(t *testing.T) {
	_, err := runcmd.ParseLine(`docker run "nginx`, 5)
	var e *runcmd.Error
	if !errors.As(err, &e) || e.At.Path != facts.RunPath || e.At.Index != 5 || !strings.HasPrefix(e.Error(), "--run #5:") || !strings.Contains(e.Error(), "the command line is not valid shell") {
		t.Fatalf("error %v", err)
	}
}

func TestSeveralContainers(t *testing.T) {
	line := `docker network create n && sh -c 'docker run -d --name db postgres' && ID=$(docker create --name app app:1) && docker ps`
	res, err := runcmd.ParseLine(line, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res {
		names = append(names, r.Spec.Subject.Name)
	}
	if !reflect.DeepEqual(names, []string{"db", "app"}) {
		t.Fatalf("containers %v", names)
	}
}

// TestFromScript: commands from any script keep the script's locations.
func TestFromScript(t *testing.T) {
	src := "#!/bin/sh\nset -e\ndocker run \\\n  --cap-add SYS_ADMIN \\\n  alpine\n"
	cmds, err := shell.Parse(src, func(off int) facts.Location {
		line := 1 + strings.Count(src[:off], "\n")
		return facts.Location{Path: "deploy.sh", Line: line, Column: off - strings.LastIndex(src[:off], "\n")}
	})
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, cmd := range cmds {
		res, ok, err := runcmd.FromCommand(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		found++
		c := container.Map(res.Spec)
		setAt(t, "CapAdd", c.CapAdd, []string{"SYS_ADMIN"}, facts.Location{Path: "deploy.sh", Line: 4, Column: 3})
		if c.Origin != (facts.Location{Path: "deploy.sh", Line: 3, Column: 1}) {
			t.Fatalf("origin %+v", c.Origin)
		}
	}
	if found != 1 {
		t.Fatalf("%d containers", found)
	}
}
