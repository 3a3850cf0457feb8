package harden_test

import (
	"testing"
	"unicode/utf8"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/shell"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// FuzzRunLine puts arbitrary strings where a container's own values go
// (name, image, environment, labels, command, binds, mounts, host names,
// log options): whatever a container holds, the rebuilt line is one
// command whose words are all literal, so pasting it runs nothing else and
// expands nothing.
func FuzzRunLine(f *testing.F) {
	f.Add("web", "example/web:1", "TOKEN=x", "team", "a b", "serve", "/srv:/data:ro", "db:10.0.0.5", "1m")
	f.Add("a'b", "img;rm -rf /", "A=$(id)", "k`id`", "v\n;x", "$HOME", "`x`:/y", "h\\", "'")
	f.Add("", "", "=", "", "", "", "", "", "")
	f.Add("web", "img", "A=1", "k", "x\nrm -rf ~ #", "y\n", "/a:/b", "h", "1m")
	f.Fuzz(func(t *testing.T, name, ref, env, labelKey, labelValue, cmd, bind, host, logOpt string) {
		for _, s := range []string{name, ref, env, labelKey, labelValue, cmd, bind, host, logOpt} {
			if !utf8.ValidString(s) {
				return // the engine's JSON holds only UTF-8
			}
		}
		ct := &api.InspectResponse{
			ID: "0123456789abcdef", Name: "/" + name,
			Config: &api.Config{Image: ref, Env: []string{env}, Labels: map[string]string{labelKey: labelValue},
				Cmd: []string{cmd, labelValue}, Entrypoint: []string{cmd}, Hostname: host, WorkingDir: bind, User: host},
			HostConfig: &api.HostConfig{
				Binds:         []string{bind},
				Mounts:        []mount.Mount{{Type: mount.TypeVolume, Source: labelKey, Target: bind, VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Options: map[string]string{labelKey: labelValue}}}}},
				Tmpfs:         map[string]string{bind: logOpt},
				ExtraHosts:    []string{host},
				CapAdd:        []string{cmd},
				SecurityOpt:   []string{labelValue},
				NetworkMode:   api.NetworkMode(host),
				RestartPolicy: api.RestartPolicy{Name: api.RestartPolicyMode(labelKey)},
				LogConfig:     api.LogConfig{Type: logOpt, Config: map[string]string{labelKey: logOpt}},
				PortBindings:  network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: logOpt}}},
				Sysctls:       map[string]string{labelKey: labelValue},
			},
		}
		line, _, err := harden.RunLine(ct, nil, harden.EngineDefaults{}, harden.Live{ProcessUID: "1"})
		if err != nil {
			return
		}
		cmds, err := shell.Parse(line, func(int) facts.Location { return facts.Location{} })
		if err != nil {
			t.Fatalf("the line is not valid shell: %v\n%s", err, line)
		}
		if len(cmds) != 1 {
			t.Fatalf("the line is %d commands:\n%s", len(cmds), line)
		}
		if c, err := shell.Parse(harden.Commented(line), func(int) facts.Location { return facts.Location{} }); err != nil || len(c) != 0 {
			t.Fatalf("the commented line runs %d commands (%v):\n%s", len(c), err, harden.Commented(line))
		}
		for i, lit := range cmds[0].Literal {
			if !lit {
				t.Fatalf("word %d (%q) is expanded by the shell:\n%s", i, cmds[0].Args[i], line)
			}
		}
	})
}
