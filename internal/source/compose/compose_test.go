package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
)

func load(t *testing.T, opt Options) *Project {
	t.Helper()
	p, err := Load(context.Background(), opt)
	if err != nil {
		t.Fatalf("Load(%v): %v", opt.Files, err)
	}
	return p
}

// mapped returns a service of the project and its Container fact.
func mapped(t *testing.T, p *Project, name string) (*Service, *facts.Container) {
	t.Helper()
	for _, s := range p.Services {
		if s.Name == name {
			return s, container.Map(s.Spec)
		}
	}
	var names []string
	for _, s := range p.Services {
		names = append(names, s.Name)
	}
	t.Fatalf("no service %s in %v", name, names)
	return nil, nil
}

// at checks a location: path (as shown) and line.
func at(t *testing.T, what string, got facts.Location, path string, line int) {
	t.Helper()
	if got.Path != path || got.Line != line {
		t.Errorf("%s at %s, want %s:%d", what, got, path, line)
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func hasNote(notes []facts.Note, path string, line int, contains string) bool {
	for _, n := range notes {
		if n.At.Path == path && n.At.Line == line && strings.Contains(n.Message, contains) {
			return true
		}
	}
	return false
}

const basic = "testdata/basic/compose.yaml"

func TestServiceMapping(t *testing.T) {
	p := load(t, Options{Files: []string{basic}})
	eq(t, "project name", p.Name, "basic")
	eq(t, "files", p.Files, []string{basic})
	var names []string
	for _, s := range p.Services {
		names = append(names, s.Name)
	}
	// In file order; debug is in a profile that is not active.
	eq(t, "services", names, []string{"web", "worker", "sidecar"})

	s, c := mapped(t, p, "web")
	eq(t, "subject", c.Subject, facts.Subject{Kind: facts.SubjectService, Name: "web"})
	at(t, "origin", c.Origin, basic, 7)

	eq(t, "image", c.Image.V, "nginx:1.27")
	at(t, "image", c.Image.At, basic, 9)
	eq(t, "user", c.User.V, "101:101")
	at(t, "user", c.User.At, basic, 10)
	eq(t, "privileged (default of ${PRIV:-true})", c.Privileged, facts.SetAt(true, facts.Location{Path: basic, Line: 11, Column: 5}))
	eq(t, "cap_add", c.CapAdd.V, []string{"NET_ADMIN", "SYS_TIME"})
	at(t, "cap_add", c.CapAdd.At, basic, 12)
	at(t, "cap_add[1]", s.Spec.At[container.Item(container.FieldCapAdd, 1)], basic, 12)
	eq(t, "cap_drop", c.CapDrop.V, []string{"ALL"})
	at(t, "cap_drop[0]", s.Spec.At[container.Item(container.FieldCapDrop, 0)], basic, 14)
	// From the x-common anchor merged with <<.
	eq(t, "no-new-privileges", c.SecurityOpt.NoNewPrivileges.V, true)
	at(t, "no-new-privileges", c.SecurityOpt.NoNewPrivileges.At, basic, 5)
	eq(t, "restart", c.Restart.V, facts.RestartPolicy{Name: "on-failure", MaxRetry: 3})
	at(t, "restart", c.Restart.At, basic, 3)
	eq(t, "read_only", c.ReadOnlyRootfs.V, true)
	at(t, "read_only", c.ReadOnlyRootfs.At, basic, 15)

	eq(t, "memory", c.Memory.V, int64(512<<20))
	at(t, "memory", c.Memory.At, basic, 16)
	eq(t, "memswap", c.MemorySwap.V, int64(1<<30))
	eq(t, "reservation", s.Spec.HostConfig.MemoryReservation, int64(128<<20))
	eq(t, "cpus", c.NanoCPUs.V, int64(1_500_000_000))
	at(t, "cpus", c.NanoCPUs.At, basic, 19)
	eq(t, "cpu_shares", c.CPUShares.V, int64(512))
	eq(t, "cpu_period", c.CPUPeriod.V, int64(100000))
	eq(t, "cpu_quota", c.CPUQuota.V, int64(50000))
	at(t, "cpu_quota", c.CPUQuota.At, basic, 22)
	// pids_limit: 0 is written, so it is set (to unlimited).
	eq(t, "pids_limit", c.PidsLimit, facts.SetAt(int64(0), facts.Location{Path: basic, Line: 23, Column: 5}))
	eq(t, "ulimits", c.Ulimits, []facts.Ulimit{
		{Name: "nofile", Soft: 1024, Hard: 2048, At: facts.Location{Path: basic, Line: 26, Column: 7}},
		{Name: "nproc", Soft: 65535, Hard: 65535, At: facts.Location{Path: basic, Line: 25, Column: 7}},
	})

	for ns, want := range map[facts.Namespace][2]any{
		facts.NSNetwork: {"host", 29}, facts.NSPid: {"host", 30}, facts.NSIPC: {"shareable", 31},
		facts.NSUTS: {"host", 32}, facts.NSUser: {"host", 33}, facts.NSCgroup: {"host", 34},
	} {
		v := c.Namespaces[ns]
		eq(t, string(ns), v.V, want[0].(string))
		at(t, string(ns), v.At, basic, want[1].(int))
	}

	dir := abs(t, "testdata/basic")
	home, _ := os.UserHomeDir()
	eq(t, "mounts", c.Mounts, []facts.Mount{
		{Type: "bind", Source: dir + "/data", Target: "/data", ReadOnly: true, At: facts.Location{Path: basic, Line: 36, Column: 9}},
		{Type: "bind", Source: filepath.Join(home, "cache"), Target: "/cache", At: facts.Location{Path: basic, Line: 37, Column: 9}},
		{Type: "volume", Source: "named", Target: "/named", At: facts.Location{Path: basic, Line: 38, Column: 9}},
		{Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock", At: facts.Location{Path: basic, Line: 39, Column: 9}},
		{Type: "bind", Source: "/etc", Target: "/host-etc", ReadOnly: true, Propagation: "rshared", At: facts.Location{Path: basic, Line: 40, Column: 9}},
		// A local volume with o=bind is a bind of its device.
		{Type: "bind", Source: dir + "/bound-src", Target: "/bound", At: facts.Location{Path: basic, Line: 46, Column: 9}},
		{Type: "tmpfs", Target: "/scratch", At: facts.Location{Path: basic, Line: 49, Column: 9}},
		{Type: "volume", Target: "/anon", At: facts.Location{Path: basic, Line: 53, Column: 9}},
		// The file secret, mounted read-only by compose.
		{Type: "bind", Source: dir + "/db_password.txt", Target: "/run/secrets/db_password", ReadOnly: true, At: facts.Location{Path: basic, Line: 85, Column: 5}},
		{Type: "tmpfs", Target: "/run", At: facts.Location{Path: basic, Line: 55, Column: 9}},
	})
	eq(t, "binds", s.Spec.HostConfig.Binds[0], dir+"/data:/data:ro")
	eq(t, "tmpfs", s.Spec.HostConfig.Tmpfs, map[string]string{"/run": "size=64m"})
	eq(t, "devices", c.Devices, []facts.Device{
		{Host: "/dev/fuse", Container: "/dev/fuse", Permissions: "rwm", At: facts.Location{Path: basic, Line: 57, Column: 9}},
		{Host: "/dev/sda", Container: "/dev/xvda", Permissions: "r", At: facts.Location{Path: basic, Line: 58, Column: 9}},
	})
	eq(t, "device cgroup rules", c.DeviceCgroupRules, []facts.Value[string]{facts.SetAt("c 1:3 mr", facts.Location{Path: basic, Line: 60, Column: 9})})

	loc := func(line, col int) facts.Location { return facts.Location{Path: basic, Line: line, Column: col} }
	eq(t, "published", c.Published, []facts.PublishedPort{
		{HostIP: "127.0.0.1", HostPort: 8443, HostPortEnd: 8443, ContainerPort: 443, EndPort: 443, Proto: "tcp", At: loc(63, 9)},
		{HostIP: "0.0.0.0", HostPort: 5353, HostPortEnd: 5353, ContainerPort: 53, EndPort: 53, Proto: "udp", At: loc(65, 9)},
		{HostPort: 8080, HostPortEnd: 8080, ContainerPort: 80, EndPort: 80, Proto: "tcp", At: loc(62, 9)},
		{HostPort: 9000, HostPortEnd: 9000, ContainerPort: 9000, EndPort: 9000, Proto: "tcp", At: loc(64, 9)},
		{HostPort: 9001, HostPortEnd: 9001, ContainerPort: 9001, EndPort: 9001, Proto: "tcp", At: loc(64, 9)},
	})
	var exposed []string
	for _, e := range c.ExposedPorts {
		exposed = append(exposed, e.Proto+"/"+strconv.Itoa(e.Port))
	}
	slices.Sort(exposed)
	eq(t, "exposed", exposed, []string{"tcp/3000", "tcp/443", "tcp/80", "tcp/9000", "tcp/9001", "udp/4000", "udp/4001", "udp/53"})

	// env_file first (overridden entries dropped), then environment.
	eq(t, "env", s.Spec.Config.Env, []string{"API_KEY=abc123", "DEBUG=1", "PLAIN=value", "FROM_DOTENV=fromdotenv", "UNSET", "MISSING="})
	envAt := map[string]facts.EnvVar{}
	for _, e := range c.Env {
		envAt[e.Name] = e
	}
	at(t, "API_KEY", envAt["API_KEY"].At, "testdata/basic/web.env", 2)
	at(t, "DEBUG", envAt["DEBUG"].At, "testdata/basic/web.env", 3)
	at(t, "PLAIN", envAt["PLAIN"].At, basic, 73)
	eq(t, "PLAIN dynamic", envAt["PLAIN"].Dynamic, false)
	eq(t, "UNSET dynamic", envAt["UNSET"].Dynamic, true)
	eq(t, "MISSING dynamic", envAt["MISSING"].Dynamic, true)
	eq(t, "env files", s.EnvFiles, []facts.EnvVar{
		{Name: "API_KEY", Value: "abc123", At: facts.Location{Path: "testdata/basic/web.env", Line: 2}},
		{Name: "DEBUG", Value: "1", At: facts.Location{Path: "testdata/basic/web.env", Line: 3}},
		{Name: "PLAIN", Value: "overridden", At: facts.Location{Path: "testdata/basic/web.env", Line: 4}},
	})
	if !hasNote(p.Notes, basic, 76, "${NOPE} has no value") || !hasNote(p.Notes, basic, 75, "UNSET") {
		t.Errorf("missing notes for MISSING and UNSET: %v", p.Notes)
	}

	eq(t, "labels", c.Labels, map[string]facts.Value[string]{"com.example.team": facts.SetAt("payments", loc(79, 7))})
	eq(t, "healthcheck", c.Healthcheck, facts.SetAt(true, loc(80, 5)))
	eq(t, "health test", s.Spec.Config.Healthcheck.Test, []string{"CMD", "curl", "-f", "http://localhost"})
	eq(t, "health interval", s.Spec.Config.Healthcheck.Interval, 30*time.Second)
	eq(t, "entrypoint", c.Entrypoint, facts.SetAt([]string{"/docker-entrypoint.sh"}, loc(83, 5)))
	eq(t, "command", c.Cmd, facts.SetAt([]string{"nginx", "-g", "daemon off;"}, loc(84, 5)))
	eq(t, "uses secrets", s.UsesSecrets, true)
	eq(t, "networks (network_mode host)", c.Networks, []string(nil))

	s, c = mapped(t, p, "worker")
	// deploy.resources.limits apply when the service-level keys are absent.
	eq(t, "deploy memory", c.Memory.V, int64(256<<20))
	at(t, "deploy memory", c.Memory.At, basic, 98)
	eq(t, "deploy cpus", c.NanoCPUs.V, int64(250_000_000))
	at(t, "deploy cpus", c.NanoCPUs.At, basic, 99)
	eq(t, "deploy pids", c.PidsLimit.V, int64(100))
	at(t, "deploy pids", c.PidsLimit.At, basic, 100)
	// condition: any is the Engine's always.
	eq(t, "deploy restart", c.Restart.V, facts.RestartPolicy{Name: "always", MaxRetry: 5})
	at(t, "deploy restart", c.Restart.At, basic, 101)
	eq(t, "healthcheck disabled", c.Healthcheck, facts.SetAt(false, loc(104, 5)))
	eq(t, "networks", c.Networks, []string{"back", "front"})
	eq(t, "image", c.Image.State, facts.Unset)
	eq(t, "dockerfile", s.Dockerfile, "testdata/basic/app/Dockerfile.worker")
	eq(t, "build context", s.BuildContext, "testdata/basic/app")
	eq(t, "build target", s.BuildTarget, "runtime")
	// TOKEN has no value here; compose passes it from the environment of
	// whoever builds, so it is kept, as a value known only then.
	eq(t, "build args", s.BuildArgs, []facts.EnvVar{{Name: "VERSION", Value: "1.0", At: loc(93, 11)}, {Name: "TOKEN", Dynamic: true, At: loc(94, 11)}})
	eq(t, "uses secrets", s.UsesSecrets, false)

	_, c = mapped(t, p, "sidecar")
	// service:x and container:x are kept as written.
	eq(t, "network", c.Namespaces[facts.NSNetwork].V, "service:web")
	eq(t, "pid", c.Namespaces[facts.NSPid].V, "container:other")
	eq(t, "restart", c.Restart.V, facts.RestartPolicy{Name: "unless-stopped"})
	eq(t, "healthcheck NONE", c.Healthcheck, facts.SetAt(false, loc(114, 5)))
	// --cpus 1.1 is 1100000000 exactly, not float noise.
	eq(t, "cpus", c.NanoCPUs.V, int64(1_100_000_000))

	if !hasNote(p.Notes, basic, 117, "service debug is not audited") {
		t.Errorf("no note for the service left out by its profile: %v", p.Notes)
	}
	if len(p.Errors) != 0 {
		t.Errorf("errors: %v", p.Errors)
	}
}

func TestNetworks(t *testing.T) {
	p := load(t, Options{Files: []string{basic}})
	eq(t, "network names", sortedKeys(p.Networks), []string{"back", "front"})
	back := p.Networks["back"]
	eq(t, "internal", back.Internal, true)
	at(t, "back", back.At, basic, 130)
	eq(t, "icc", back.ICC, facts.SetAt(false, facts.Location{Path: basic, Line: 133, Column: 7}))
	eq(t, "front icc", p.Networks["front"].ICC.State, facts.Unset)
}

func TestOverrideFiles(t *testing.T) {
	base, prod := "testdata/override/compose.yaml", "testdata/override/compose.prod.yaml"
	p := load(t, Options{Files: []string{base, prod}})
	eq(t, "files", p.Files, []string{base, prod})
	s, c := mapped(t, p, "web")
	// The last file that sets a key wins, with its own line.
	at(t, "origin", c.Origin, prod, 2)
	eq(t, "privileged", c.Privileged.V, true)
	at(t, "privileged", c.Privileged.At, prod, 3)
	eq(t, "image", c.Image.V, "nginx:1.27")
	at(t, "image", c.Image.At, base, 3)
	env := map[string]facts.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	eq(t, "LEVEL", env["LEVEL"].Value, "info")
	at(t, "LEVEL", env["LEVEL"].At, prod, 7)
	eq(t, "KEEP", env["KEEP"].Value, "base")
	at(t, "KEEP", env["KEEP"].At, base, 9)
	// Volumes merge on their target: the override's replaces the base's.
	dir := abs(t, "testdata/override")
	eq(t, "mounts", c.Mounts, []facts.Mount{{Type: "bind", Source: dir + "/prod-data", Target: "/data", ReadOnly: true, At: facts.Location{Path: prod, Line: 9, Column: 9}}})
	// Ports and capabilities add up, each item at its own file's line.
	ports := map[int]facts.Location{}
	for _, pp := range c.Published {
		ports[pp.ContainerPort] = pp.At
	}
	at(t, "port 80", ports[80], base, 6)
	at(t, "port 90", ports[90], prod, 5)
	eq(t, "cap_add", c.CapAdd.V, []string{"NET_ADMIN", "SYS_TIME"})
	at(t, "cap_add[0]", s.Spec.At[container.Item(container.FieldCapAdd, 0)], base, 13)
	at(t, "cap_add[1]", s.Spec.At[container.Item(container.FieldCapAdd, 1)], prod, 11)

	_, c = mapped(t, p, "db")
	at(t, "db origin", c.Origin, base, 14)

	// A variable with no value that a later file overrides decides nothing.
	const vars = "testdata/override/compose.vars.yaml"
	p = load(t, Options{Files: []string{vars, base}})
	_, c = mapped(t, p, "web")
	eq(t, "image", c.Image, facts.SetAt("nginx:1.27", facts.Location{Path: base, Line: 3, Column: 5}))
	eq(t, "user", c.User.State, facts.Unknown)
	if hasNote(p.Notes, vars, 3, "WEB_IMAGE") || hasNote(p.Notes, vars, 6, "DB_IMAGE") || !hasNote(p.Notes, vars, 4, "${WEB_USER} has no value") {
		t.Errorf("notes = %v", p.Notes)
	}

	// !reset removes a key, !override replaces a list whole.
	const reset = "testdata/override/compose.reset.yaml"
	p = load(t, Options{Files: []string{base, prod, reset}})
	_, c = mapped(t, p, "web")
	eq(t, "privileged reset", c.Privileged.State, facts.Unset)
	eq(t, "ports overridden", c.Published, []facts.PublishedPort{
		{HostIP: "127.0.0.1", HostPort: 8443, HostPortEnd: 8443, ContainerPort: 443, EndPort: 443, Proto: "tcp", At: facts.Location{Path: reset, Line: 5, Column: 9}},
	})
}

func TestEnvFiles(t *testing.T) {
	const file = "testdata/env/compose.yaml"
	env := func(c *facts.Container) map[string]facts.EnvVar {
		out := map[string]facts.EnvVar{}
		for _, e := range c.Env {
			out[e.Name] = e
		}
		return out
	}

	// The project's .env, and ${PRIV:-true} with PRIV unset.
	_, c := mapped(t, load(t, Options{Files: []string{file}}), "app")
	eq(t, "image", c.Image.V, "alpine:3.20")
	eq(t, "privileged", c.Privileged.V, true)
	eq(t, "user", c.User.V, "1000")
	eq(t, "GREETING", env(c)["GREETING"].Value, "hello")
	// $$ escapes a dollar.
	eq(t, "ESCAPED", env(c)["ESCAPED"].Value, "${NOT_A_VAR}")

	// --env-file replaces .env.
	p := load(t, Options{Files: []string{file}, EnvFiles: []string{"testdata/env/alt.env"}})
	_, c = mapped(t, p, "app")
	eq(t, "image", c.Image.V, "alpine:edge")
	eq(t, "privileged", c.Privileged.V, false)
	eq(t, "user", c.User.V, "2000")
	g := env(c)["GREETING"]
	if !g.Dynamic {
		t.Errorf("GREETING has no value in alt.env: want it dynamic, got %+v", g)
	}
	if !hasNote(p.Notes, file, 7, "${GREETING} has no value") {
		t.Errorf("no note for GREETING: %v", p.Notes)
	}

	// The process environment given wins over .env.
	_, c = mapped(t, load(t, Options{Files: []string{file}, Environ: []string{"TAG=1.0", "PRIV=false"}}), "app")
	eq(t, "image", c.Image.V, "alpine:1.0")
	eq(t, "privileged", c.Privileged.V, false)

	// A missing --env-file stops the load, as with docker compose.
	_, err := Load(context.Background(), Options{Files: []string{file}, EnvFiles: []string{"testdata/env/nope.env"}})
	var ie *inputs.Error
	if !errors.As(err, &ie) || ie.Path != "testdata/env/nope.env" {
		t.Errorf("missing --env-file: %#v", err)
	}
}

func TestMissingVariables(t *testing.T) {
	const file = "testdata/missing/compose.yaml"
	p := load(t, Options{Files: []string{file}})
	s, c := mapped(t, p, "app")
	for field, want := range map[string]string{
		container.FieldImage:                                 "image: ${IMAGE} has no value",
		container.FieldUser:                                  "user: ${UID} and ${GID} have no value",
		container.FieldPrivileged:                            "privileged: ${PRIV} has no value",
		container.FieldReadonlyRootfs:                        "read_only: ${RO} has no value",
		container.FieldMemory:                                "mem_limit: ${MEM} has no value",
		container.FieldNanoCPUs:                              "cpus: ${CPUS} has no value",
		container.FieldPidsLimit:                             "pids_limit: ${PIDS} has no value",
		container.FieldRestartPolicy:                         "restart: ${RESTART} has no value",
		container.Key(container.FieldPortBindings, "80/tcp"): "ports: ${PORT} has no value",
		container.Key(container.FieldPortBindings, "81/tcp"): "ports: ${BIND} and ${HP} have no value",
		container.Item(container.FieldBinds, 0):              "volumes: ${DATA} has no value",
		container.Item(container.FieldUlimits, 0):            "ulimits.nofile: ${NOFILE} has no value",
	} {
		eq(t, "unknown "+field, s.Spec.Unknown[field], want)
	}
	// A health check with an unknown interval is still a known health check.
	if _, ok := s.Spec.Unknown[container.FieldHealthcheck]; ok {
		t.Errorf("health check unknown: %v", s.Spec.Unknown)
	}
	eq(t, "privileged", c.Privileged.State, facts.Unknown)
	at(t, "privileged", c.Privileged.At, file, 5)
	eq(t, "privileged why", c.Privileged.Why, "privileged: ${PRIV} has no value")
	eq(t, "image", c.Image.State, facts.Unknown)
	eq(t, "user", c.User.State, facts.Unknown)
	eq(t, "memory", c.Memory.State, facts.Unknown)
	eq(t, "read_only (${RO:?…} is required by docker compose)", c.ReadOnlyRootfs.State, facts.Unknown)
	for line, msg := range map[int]string{
		3: "image: ${IMAGE} has no value", 5: "privileged: ${PRIV} has no value", 7: "mem_limit: ${MEM} has no value",
		14: "volumes: ${DATA} has no value", 17: "healthcheck.interval: ${HC} has no value",
		22: "deploy.resources.limits.memory: ${LIM} has no value",
	} {
		if !hasNote(p.Notes, file, line, msg) {
			t.Errorf("no note %q at line %d: %v", msg, line, p.Notes)
		}
	}
}

func TestProfiles(t *testing.T) {
	const file = "testdata/profiles/compose.yaml"
	names := func(p *Project) []string {
		var out []string
		for _, s := range p.Services {
			out = append(out, s.Name)
		}
		return out
	}
	eq(t, "no profile", names(load(t, Options{Files: []string{file}})), []string{"app"})
	eq(t, "debug", names(load(t, Options{Files: []string{file}, Profiles: []string{"debug"}})), []string{"app", "debug", "tools"})
	eq(t, "COMPOSE_PROFILES", names(load(t, Options{Files: []string{file}, Environ: []string{"COMPOSE_PROFILES=tools"}})), []string{"app", "tools"})
	eq(t, "all", names(load(t, Options{Files: []string{file}, Profiles: []string{"*"}})), []string{"app", "debug", "tools"})
}

func TestExtends(t *testing.T) {
	const file, common = "testdata/extends/compose.yaml", "testdata/extends/common.yaml"
	p := load(t, Options{Files: []string{file}})
	_, c := mapped(t, p, "web")
	at(t, "origin", c.Origin, file, 6)
	eq(t, "image", c.Image.V, "alpine:3.20")
	at(t, "image (from base)", c.Image.At, file, 3)
	eq(t, "cap_add", c.CapAdd.V, []string{"NET_ADMIN"})
	at(t, "cap_add (from base)", c.CapAdd.At, file, 4)
	eq(t, "read_only", c.ReadOnlyRootfs.V, true)
	eq(t, "privileged", c.Privileged.V, true)
	at(t, "privileged", c.Privileged.At, file, 8)

	_, c = mapped(t, p, "api")
	eq(t, "image (own)", c.Image.V, "api:1")
	at(t, "image", c.Image.At, file, 13)
	eq(t, "user (from common.yaml)", c.User.V, "10001")
	at(t, "user", c.User.At, common, 4)
	eq(t, "cap_drop", c.CapDrop.V, []string{"ALL"})
	at(t, "cap_drop", c.CapDrop.At, common, 5)
	eq(t, "no-new-privileges", c.SecurityOpt.NoNewPrivileges.V, true)
	at(t, "no-new-privileges", c.SecurityOpt.NoNewPrivileges.At, common, 7)
}

func TestInclude(t *testing.T) {
	const file, sub = "testdata/include/compose.yaml", "testdata/include/sub/compose.yaml"
	p := load(t, Options{Files: []string{file}})
	_, c := mapped(t, p, "backend")
	// Interpolated with the included project's own .env.
	eq(t, "image", c.Image.V, "redis:7.2")
	at(t, "image", c.Image.At, sub, 3)
	at(t, "origin", c.Origin, sub, 2)
	eq(t, "privileged", c.Privileged.V, true)
	at(t, "privileged", c.Privileged.At, sub, 4)
	_, c = mapped(t, p, "front")
	eq(t, "image", c.Image.V, "nginx:1.27")
	at(t, "origin", c.Origin, file, 4)
}

func TestLegacyLayout(t *testing.T) {
	const file = "testdata/legacy/docker-compose.yml"
	p := load(t, Options{Files: []string{file}})
	s, c := mapped(t, p, "web")
	// Lines are the original file's.
	at(t, "origin", c.Origin, file, 2)
	eq(t, "image", c.Image.V, "nginx:1.27")
	at(t, "image", c.Image.At, file, 3)
	eq(t, "net: host", c.Namespaces[facts.NSNetwork].V, "host")
	at(t, "net: host", c.Namespaces[facts.NSNetwork].At, file, 4)
	eq(t, "published", len(c.Published), 1)
	at(t, "port", c.Published[0].At, file, 6)
	eq(t, "network_mode keeps the service off networks", s.Spec.Networks, []string(nil))

	s, c = mapped(t, p, "db")
	eq(t, "dockerfile beside build", s.Dockerfile, "testdata/legacy/db/Dockerfile.db")
	eq(t, "bind", c.Mounts[0].Source, "/srv/db")
	at(t, "bind", c.Mounts[0].At, file, 13)
	if !hasNote(p.Notes, file, 0, "legacy compose file format") {
		t.Errorf("no note about the legacy format: %v", p.Notes)
	}
}

func TestBuildJoin(t *testing.T) {
	const file = "testdata/build/compose.yaml"
	p := load(t, Options{Files: []string{file}})
	s, _ := mapped(t, p, "default")
	eq(t, "default Dockerfile", s.Dockerfile, "testdata/build/app/Dockerfile")
	eq(t, "context", s.BuildContext, "testdata/build/app")

	s, _ = mapped(t, p, "named")
	eq(t, "named Dockerfile", s.Dockerfile, "testdata/build/other/Custom.Dockerfile")
	eq(t, "target", s.BuildTarget, "final")
	eq(t, "args", s.BuildArgs, []facts.EnvVar{
		{Name: "VERSION", Value: "1.0", At: facts.Location{Path: file, Line: 10, Column: 9}},
		{Name: "TOKEN", Value: "", Dynamic: true, At: facts.Location{Path: file, Line: 11, Column: 9}},
		// Listed without a value: taken from the environment (.env).
		{Name: "FROM_ENV", Value: "from-dotenv", At: facts.Location{Path: file, Line: 12, Column: 9}},
	})

	for name, line := range map[string]int{"missingctx": 14, "inline": 16, "remote": 20, "nodockerfile": 22} {
		s, _ = mapped(t, p, name)
		eq(t, name+" Dockerfile", s.Dockerfile, "")
		if !hasNote(p.Notes, file, line, "service "+name) {
			t.Errorf("no note for %s at line %d: %v", name, line, p.Notes)
		}
	}
	if len(p.Errors) != 0 {
		t.Errorf("a missing build context is a note, not an error: %v", p.Errors)
	}
}

// inputError checks that err is an *inputs.Error at path:line whose message
// holds want.
func inputError(t *testing.T, err error, path string, line int, want string) {
	t.Helper()
	var ie *inputs.Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %#v is not an *inputs.Error", err)
	}
	if ie.Path != path || ie.Line != line || !strings.Contains(ie.Message, want) {
		t.Errorf("error %q (%s:%d), want %s:%d with %q", ie.Message, ie.Path, ie.Line, path, line, want)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		file string
		line int
		want string
	}{
		{"schema.yaml", 4, "invalid boolean: maybe"},
		{"unknownkey.yaml", 5, "services.web.privilegd"},
		{"ports.yaml", 7, "services.web.ports.[].target"},
		{"invalid.yaml", 4, "cannot parse YAML"},
		{"tab.yaml", 3, "cannot parse YAML"},
		{"include.yaml", 5, "no such file"},
		{"remote.yaml", 2, "remote includes are not fetched"},
		{"extends.yaml", 2, `service "nowhere" not found`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := "testdata/errors/" + tc.file
			_, err := Load(context.Background(), Options{Files: []string{path}})
			inputError(t, err, path, tc.line, tc.want)
		})
	}
	_, err := Load(context.Background(), Options{Files: []string{"testdata/errors/nope.yaml"}})
	inputError(t, err, "testdata/errors/nope.yaml", 0, "no such file")
}

func TestAliasBomb(t *testing.T) {
	const file = "testdata/errors/bomb.yaml"
	start := time.Now()
	_, err := Load(context.Background(), Options{Files: []string{file}})
	// Reported at the anchor whose expansion goes over the limit.
	inputError(t, err, file, 6, "alias bomb")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("rejecting the bomb took %v", d)
	}
}

// TestAliasWideBomb: a few aliases of one large anchor expand as much as
// many aliases of small ones.
func TestAliasWideBomb(t *testing.T) {
	path := filepath.Join(t.TempDir(), "compose.yaml")
	var b strings.Builder
	b.WriteString("x-big: &big\n")
	for i := 0; i < 100000; i++ {
		b.WriteString("  k" + strconv.Itoa(i) + ": v\n")
	}
	b.WriteString("services:\n  web:\n    image: nginx\n    labels:\n")
	for i := 0; i < 50; i++ {
		b.WriteString("      l" + strconv.Itoa(i) + ": *big\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), Options{Files: []string{path}})
	var ie *inputs.Error
	if !errors.As(err, &ie) || ie.Path != path || !strings.Contains(ie.Message, "expands to more than") {
		t.Errorf("error = %v", err)
	}
}

func TestDeepNesting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "compose.yaml")
	data := "services:\n  web:\n    image: nginx\n    labels:\n      a: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) + "\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), Options{Files: []string{path}})
	inputError(t, err, path, 5, "deeper than 100 levels")
}

func TestFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "compose.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("services:\n  web:\n    image: nginx\n")
	line := "# " + strings.Repeat("x", 1021) + "\n"
	for i := 0; i < 20<<10; i++ {
		f.WriteString(line)
	}
	f.Close()
	_, err = Load(context.Background(), Options{Files: []string{path}})
	inputError(t, err, path, 0, "over the 8 MB limit")
}

func TestEnvFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	os.WriteFile(path, []byte("services:\n  web:\n    image: nginx\n    env_file:\n      - big.env\n      - path: optional.env\n        required: false\n      - gone.env\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.env"), []byte("A="+strings.Repeat("x", 2<<10)+"\n"), 0o644)
	p := load(t, Options{Files: []string{path}, MaxFileSize: 1 << 10})
	if len(p.Errors) != 2 {
		t.Fatalf("errors = %v, want the large env file and the missing one", p.Errors)
	}
	inputError(t, p.Errors[0], filepath.Join(dir, "big.env"), 0, "over the 1 KB limit")
	inputError(t, p.Errors[1], path, 4, "gone.env not found")
	_, c := mapped(t, p, "web")
	eq(t, "env", len(c.Env), 0)
}
