package harden

import (
	"strings"
	"testing"

	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// TestEngineUpdateFromPlan: the update of a running container and its
// re-create line come from one plan, so they set the same values; what
// docker update cannot change is what the re-create is for.
func TestEngineUpdateFromPlan(t *testing.T) {
	def := EngineDefaults{LogDriver: "json-file", Runtime: "runc"}
	ct := func(name string, cfg api.Config, h api.HostConfig) *api.InspectResponse {
		cfg.Image = "example/web:1"
		return &api.InspectResponse{ID: "0123456789abcdef", Name: "/" + name, Config: &cfg, HostConfig: &h}
	}
	for _, c := range []struct {
		name     string
		ct       *api.InspectResponse
		opt      Options
		command  string
		recreate string
	}{
		{"loose", ct("loose", api.Config{}, api.HostConfig{RestartPolicy: api.RestartPolicy{Name: "always"}}), Options{},
			"docker update --memory 512m --memory-swap 512m --cpus 1 --pids-limit 256 --restart on-failure:5 loose",
			"root-user read-only-rootfs capabilities-not-dropped no-new-privileges-missing"},
		// A limit is kept, swap set equal to it (twice the memory is the
		// engine's own default, which the user did not ask for).
		{"swap", ct("swap", api.Config{User: "1000"}, api.HostConfig{ReadonlyRootfs: true, CapDrop: []string{"ALL"},
			SecurityOpt: []string{"no-new-privileges"}, Resources: api.Resources{Memory: 1 << 30, MemorySwap: 2 << 30, NanoCPUs: 2e9}}), Options{},
			"docker update --memory 1g --memory-swap 1g --pids-limit 256 swap", ""},
		// A privileged container: the re-create line drops capabilities
		// and sets no-new-privileges, and the reasons say so.
		{"priv", ct("priv", api.Config{User: "1000"}, api.HostConfig{Privileged: true, ReadonlyRootfs: true,
			PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: "8080"}}},
			Resources:    api.Resources{Memory: 64 << 20, MemorySwap: 64 << 20, NanoCPUs: 1e9, PidsLimit: ptr(int64(10))}}), Options{},
			"", "capabilities-not-dropped no-new-privileges-missing port-all-interfaces"},
		// It starts as root and switches user itself: no user to set.
		{"drop", ct("drop", api.Config{Entrypoint: []string{"gosu", "app"}, Cmd: []string{"serve"}}, api.HostConfig{ReadonlyRootfs: true,
			CapDrop: []string{"ALL"}, SecurityOpt: []string{"no-new-privileges"},
			Resources: api.Resources{Memory: 64 << 20, MemorySwap: 64 << 20, NanoCPUs: 1e9, PidsLimit: ptr(int64(10))}}), Options{},
			"", ""},
	} {
		rec, err := Recreate(c.ct, nil, def, Live{}, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		u := EngineUpdate{Name: c.name}
		if err := u.fromPlan(rec.Hardened.Plans[0]); err != nil {
			t.Fatal(err)
		}
		if u.Command != c.command || strings.Join(u.Recreate, " ") != c.recreate {
			t.Errorf("%s:\n  update   %q, want %q\n  recreate %q, want %q\n  line %s", c.name, u.Command, c.command, u.Recreate, c.recreate, rec.Hardened.Line)
		}
		// Every value the update sets is the re-create line's.
		args := strings.Fields(strings.TrimPrefix(u.Command, "docker update "))
		for i := 0; i+1 < len(args); i += 2 {
			if !strings.Contains(rec.Hardened.Line, " "+args[i]+" "+args[i+1]+" ") {
				t.Errorf("%s: the update sets %s %s, the re-create line does not: %s", c.name, args[i], args[i+1], rec.Hardened.Line)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
