package harden_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/compose"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	api "github.com/moby/moby/api/types/container"
)

// TestRootUserSpellings: root in every spelling Docker accepts is
// replaced, on a run line and in a compose file alike, and the re-audit
// has no root-user finding left; a root group alone with a user is not
// root.
func TestRootUserSpellings(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		flag, user string // as a run flag and as compose's user:
		root       bool
	}{
		{"--user 00", "00", true},
		{"--user 0:0", "0:0", true},
		{"--user root", "root", true},
		{"-u 0", "0", true},
		{"-u0", "0", true},
		{"--user=00", "00", true},
		{"--user :0", ":0", true},
		{"--user 0:1000", "0:1000", true},
		{"--user 4294967296", "4294967296", true},
		{"--user 1000:0", "1000:0", false},
	} {
		res, err := harden.Run("docker run -d "+c.flag+" alpine:3.20 sleep 1", harden.Options{})
		if err != nil {
			t.Fatal(err)
		}
		spec := parseRun(t, res.Line)
		want := harden.User
		if !c.root {
			want = c.user
		}
		if spec.Config.User != want {
			t.Errorf("%s: user %q, want %q (%s)", c.flag, spec.Config.User, want, res.Line)
		}
		if c.root != slices.Contains(res.Fixed, "root-user") {
			t.Errorf("%s: fixed %v", c.flag, res.Fixed)
		}
		if hasRule(audit.Run(ctx, audit.Options{RunLines: []string{res.Line}}), "root-user") {
			t.Errorf("%s: the hardened line %s still runs as root", c.flag, res.Line)
		}

		path := writeCompose(t, "services:\n  app:\n    image: alpine:3.20\n    user: \""+c.user+"\"\n")
		cres, err := harden.Compose(ctx, path, harden.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := loadService(t, path, cres.New, "app").Config.User; got != want {
			t.Errorf("compose user %q: now %q, want %q", c.user, got, want)
		}
	}
}

// TestRunAndComposeSamePlan feeds the same containers through the run-line
// writer and the compose writer and checks that both set the same Engine
// API fields to the same values.
func TestRunAndComposeSamePlan(t *testing.T) {
	cfg := harden.Options{Harden: loadHarden(t, "harden:\n  memory: 256m\n  images:\n    postgres: {pids: 512}\n")}
	for _, c := range []struct{ run, service string }{
		{"docker run -d -p 8080:80 --restart always nginx:1.27",
			"    image: nginx:1.27\n    ports: [\"8080:80\"]\n    restart: always\n"},
		{"docker run -d --user 00 -m 1g --privileged --cap-add NET_ADMIN alpine:3.20",
			"    image: alpine:3.20\n    user: \"00\"\n    mem_limit: 1g\n    privileged: true\n    cap_add: [NET_ADMIN]\n"},
		{"docker run -d --ulimit nofile=100:200 --pids-limit 0 --security-opt no-new-privileges=false --restart on-failure postgres:17",
			"    image: postgres:17\n    ulimits:\n      nofile: {soft: 100, hard: 200}\n    pids_limit: 0\n    security_opt: [\"no-new-privileges:false\"]\n    restart: on-failure\n"},
		{"docker run -d --entrypoint gosu --cpus 2 -m 64m --memory-swap 1g -p 127.0.0.1:53:53/udp alpine:3.20 app serve",
			"    image: alpine:3.20\n    entrypoint: [gosu]\n    command: [app, serve]\n    cpus: 2\n    mem_limit: 64m\n    memswap_limit: 1g\n    ports: [\"127.0.0.1:53:53/udp\"]\n"},
		{"docker run -d --read-only --tmpfs /run --cap-drop ALL --user 1000 -p 9000:9000 redis:7",
			"    image: redis:7\n    read_only: true\n    tmpfs: [/run]\n    cap_drop: [ALL]\n    user: \"1000\"\n    ports: [\"9000:9000\"]\n"},
	} {
		off := harden.Options{Config: rules.Config{Disable: []string{"read-only-rootfs", "root-user", "memory-swap"}}}
		for _, opt := range []harden.Options{{}, cfg, off} {
			res, err := harden.Run(c.run, opt)
			if err != nil {
				t.Fatal(err)
			}
			path := writeCompose(t, "services:\n  app:\n"+c.service)
			cres, err := harden.Compose(context.Background(), path, opt)
			if err != nil {
				t.Fatal(err)
			}
			if rp, cp := planChanges(res.Plans[0]), planChanges(cres.Plans["app"]); !reflect.DeepEqual(rp, cp) {
				t.Errorf("%s: the plans differ\n  run     %v\n  compose %v", c.run, rp, cp)
			}
			run, svc := hardened(parseRun(t, res.Line)), hardened(loadService(t, path, cres.New, "app"))
			if !reflect.DeepEqual(run, svc) {
				t.Errorf("%s\n  run line %s\n  compose  %s\n  run sets     %+v\n  compose sets %+v", c.run, res.Line, cres.New, run, svc)
			}
		}
	}
}

// hardenedFields are the fields a plan sets, in a form both inputs share.
type hardenedFields struct {
	User            string
	ReadOnly        bool
	Tmpfs           []string
	CapDrop, CapAdd []string
	NoNewPrivileges bool
	Memory, Swap    int64
	NanoCPUs        int64
	Pids            int64
	Ulimits         []string
	Restart         string
	PortHostAddrs   []string
}

func hardened(s *container.Spec) hardenedFields {
	h := s.HostConfig
	f := hardenedFields{User: s.Config.User, ReadOnly: h.ReadonlyRootfs, CapDrop: h.CapDrop, CapAdd: h.CapAdd,
		Memory: h.Memory, Swap: h.MemorySwap, NanoCPUs: h.NanoCPUs, Restart: string(h.RestartPolicy.Name)}
	if h.RestartPolicy.MaximumRetryCount > 0 {
		f.Restart += ":" + itoa(int64(h.RestartPolicy.MaximumRetryCount))
	}
	for p := range h.Tmpfs {
		f.Tmpfs = append(f.Tmpfs, p)
	}
	sort.Strings(f.Tmpfs)
	for _, o := range h.SecurityOpt {
		if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
			f.NoNewPrivileges = true
		}
	}
	if h.PidsLimit != nil {
		f.Pids = *h.PidsLimit
	}
	for _, u := range h.Ulimits {
		f.Ulimits = append(f.Ulimits, u.Name+"="+itoa(u.Soft)+":"+itoa(u.Hard))
	}
	sort.Strings(f.Ulimits)
	for p, bs := range h.PortBindings {
		for _, b := range bs {
			f.PortHostAddrs = append(f.PortHostAddrs, b.HostIP.String()+" "+b.HostPort+" "+p.String())
		}
	}
	sort.Strings(f.PortHostAddrs)
	return f
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseRun(t *testing.T, line string) *container.Spec {
	t.Helper()
	res, err := runcmd.ParseLine(line, 1)
	if err != nil || len(res) != 1 {
		t.Fatalf("%s: %v", line, err)
	}
	return res[0].Spec
}

func writeCompose(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadService writes src over path and loads service name from it.
func loadService(t *testing.T, path, src, name string) *container.Spec {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	proj, err := compose.Load(context.Background(), compose.Options{Files: []string{path}, WorkingDir: filepath.Dir(path)})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	for _, s := range proj.Services {
		if s.Name == name {
			return s.Spec
		}
	}
	t.Fatalf("no service %s in\n%s", name, src)
	return nil
}

func hasRule(r *audit.Result, slug string) bool {
	for _, f := range r.Findings {
		if f.Rule.Slug == slug {
			return true
		}
	}
	return false
}

// planChanges lists a plan's changes as field=value.
func planChanges(p *harden.Plan) []string {
	var out []string
	for _, st := range p.Steps {
		if c := st.Change; c != nil {
			out = append(out, fmt.Sprintf("%s %s=%v add=%v (%s)", st.Rule, c.Field, c.Value, c.Add, c.Text))
		}
	}
	return out
}

// TestPlan: the plan of a run line names Engine API fields with values in
// their own types, and what it cannot fix with the reason.
func TestPlan(t *testing.T) {
	res, err := harden.Run("docker run -d --privileged --user 00 -p 80:80 --restart always nginx:1.27", harden.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plans) != 1 {
		t.Fatalf("plans: %v", res.Plans)
	}
	p := res.Plans[0]
	want := map[string]any{
		container.FieldUser:           harden.User,
		container.FieldReadonlyRootfs: true,
		container.FieldTmpfs:          []string{"/tmp", "/var/cache/nginx", "/var/run"},
		container.FieldCapDrop:        []string{"ALL"},
		container.FieldSecurityOpt:    "no-new-privileges",
		container.FieldMemory:         int64(512 << 20),
		container.FieldMemorySwap:     int64(512 << 20),
		container.FieldNanoCPUs:       int64(1e9),
		container.FieldPidsLimit:      int64(256),
		container.FieldRestartPolicy:  api.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5},
		container.FieldPortBindings:   "127.0.0.1",
	}
	got := map[string]any{}
	for _, st := range p.Steps {
		if c := st.Change; c != nil && c.Field != container.FieldUlimits {
			got[c.Field] = c.Value
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes\n got %v\nwant %v", got, want)
	}
	var manual []string
	for _, m := range p.Manual {
		if m.Reason == "" {
			t.Errorf("%s: no reason", m.Finding.Rule.Slug)
		}
		manual = append(manual, m.Finding.Rule.Slug)
	}
	if !slices.Contains(manual, "privileged") || slices.Contains(manual, "root-user") {
		t.Errorf("manual: %v", manual)
	}

	// A rule the configuration turns off leaves its control alone.
	off := harden.Options{Config: rules.Config{Disable: []string{"read-only-rootfs", "root-user"}}}
	res, err = harden.Run("docker run -d --user 0 nginx:1.27", off)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range res.Plans[0].Steps {
		if c := st.Change; c != nil && (c.Field == container.FieldReadonlyRootfs || c.Field == container.FieldTmpfs || c.Field == container.FieldUser) {
			t.Errorf("disabled rule %s: %s changed", st.Rule, c.Field)
		}
	}
}
