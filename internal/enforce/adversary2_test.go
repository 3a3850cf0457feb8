package enforce

// The second independent adversarial pass, kept as regression tests: an
// exec user name that runc reads as UID 0 where a plain reader does not
// (a line with leading space, an empty or non-numeric UID field, a file
// past a read cap, a volume mounted over /etc), and a Swarm service that
// mounts an existing volume binding a host path. Each fails with
// "BYPASS" if it comes back.
//
//	DOCKGUARD_TEST_DOCKER=required go test -count=1 -run TestAdversary2 -v ./internal/enforce/

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

func adv2Files(files testenv.Files, passwd string) testenv.Files {
	out := testenv.Files{"passwd": []byte(passwd)}
	for k, v := range files {
		out[k] = v
	}
	return out
}

func adv2Images(t *testing.T, d *testenv.Daemon, files testenv.Files) {
	d.BuildImage(t, "dg-bb:test", "FROM scratch\nCOPY busybox /\n", files)
	df := "FROM scratch\nCOPY busybox /\nCOPY passwd /etc/passwd\nUSER 10001\n"
	d.BuildImage(t, "dg-toor:test", df, adv2Files(files, "root:x:0:0:root:/:/busybox\ntoor:x:0:0:alias:/:/busybox\napp:x:10001:10001::/:/busybox\n"))
	d.BuildImage(t, "dg-ws:test", df, adv2Files(files, "root:x:0:0:root:/:/busybox\n toor:x:0:0:alias:/:/busybox\napp:x:10001:10001::/:/busybox\n"))
	var pad strings.Builder
	pad.WriteString("root:x:0:0:root:/:/busybox\napp:x:10001:10001::/:/busybox\n")
	for i := 0; pad.Len() < 1100000; i++ {
		pad.WriteString("padding" + itoa(i) + ":x:20000:20000:padding padding padding:/:/busybox\n")
	}
	pad.WriteString("toor:x:0:0:alias:/:/busybox\n")
	d.BuildImage(t, "dg-big:test", df, adv2Files(files, pad.String()))
	d.BuildImage(t, "dg-nonnum:test", df, adv2Files(files, "root:x:0:0:root:/:/busybox\ntoor:x::0:alias:/:/busybox\ntoox:x:zero:0:alias:/:/busybox\napp:x:10001:10001::/:/busybox\n"))
}

func TestAdversary2(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	t.Run("plugin", func(t *testing.T) {
		d, _, _ := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		adv2Images(t, d, files)
		g := &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d}
		adv2Attacks(t, g)
	})
	t.Run("proxy", func(t *testing.T) {
		d := testenv.Start(t, testenv.Options{})
		adv2Images(t, d, files)
		sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
		g := &advGuard{name: "proxy", sock: sock, d: d}
		adv2Attacks(t, g)
	})
}

// adv2Exec creates an exec through the guard, starts it detached and
// returns the guard's answer and the exit code (0: the process was uid 0).
func adv2Exec(t *testing.T, g *advGuard, id, user string) (int, string, int, string) {
	body := `{"User":"` + user + `","Cmd":["/busybox","sh","-c","test $(/busybox id -u) = 0"]}`
	if user == "-" {
		body = `{"Cmd":["/busybox","sh","-c","test $(/busybox id -u) = 0"]}`
	}
	code, msg := advRaw(t, g.execSock(t), "POST", "/v1.41/containers/"+id+"/exec", advJSON, body)
	var ex struct{ Id string }
	_ = json.Unmarshal([]byte(msg), &ex)
	if ex.Id == "" {
		return code, strings.TrimSpace(msg), -1, ""
	}
	c2, m2 := advRaw(t, g.sock, "POST", "/v1.41/exec/"+ex.Id+"/start", advJSON, `{"Detach":true}`)
	time.Sleep(700 * time.Millisecond)
	res, err := g.d.Client.ExecInspect(context.Background(), ex.Id, client.ExecInspectOptions{})
	if err != nil {
		return code, msg, -2, err.Error()
	}
	return code, strings.TrimSpace(msg), res.ExitCode, "start " + itoa(c2) + " " + strings.TrimSpace(m2)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func adv2Attacks(t *testing.T, g *advGuard) {
	sleep := `"Cmd":["/busybox","sleep","120"]`
	start := func(name, body string) string { return g.start(t, name, body) }
	t.Run("exec-passwd", func(t *testing.T) {
		for _, tc := range []struct{ name, image, mounts, user string }{
			{"control toor:x:0:0", "dg-toor:test", "", "toor"},
			{"control app 10001", "dg-toor:test", "", "app"},
			{"leading space ' toor:x:0:0'", "dg-ws:test", "", "toor"},
			{"empty UID 'toor:x::0'", "dg-nonnum:test", "", "toor"},
			{"non-numeric UID 'toox:x:zero:0'", "dg-nonnum:test", "", "toox"},
			{"volume NoCopy at /etc hides passwd from archive API", "dg-toor:test", `,"Mounts":[{"Type":"volume","Source":"dgetc` + g.name + `","Target":"/etc","VolumeOptions":{"NoCopy":true}}]`, "toor"},
			{"passwd over 1 MiB, toor:x:0:0 after the cap", "dg-big:test", "", "toor"},
			{"exec User empty, container Config.User toor (leading-space passwd)", "dg-ws:test|toor", "", "-"},
			{"tmpfs at /etc (control: archive API sees rootfs)", "dg-toor:test", `,"Mounts":[{"Type":"tmpfs","Target":"/etc"}]`, "toor"},
		} {
			name := "dgx" + g.name + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' {
					return r
				}
				return -1
			}, tc.name)
			if len(name) > 60 {
				name = name[:60]
			}
			img, cuser, _ := strings.Cut(tc.image, "|")
			if cuser != "" {
				cuser = `"User":"` + cuser + `",`
			}
			id := start(name, `{"Image":"`+img+`",`+cuser+sleep+`,"HostConfig":{`+advHard+tc.mounts+`}}`)
			if id == "" {
				continue
			}
			code, msg, exit, extra := adv2Exec(t, g, id, tc.user)
			t.Logf("[%s] exec -u %q (%s): create %d %s; %s; exit=%d (0 = uid 0)", g.name, tc.user, tc.name, code, truncate(msg, 300), extra, exit)
			if exit == 0 && !strings.HasPrefix(tc.name, "control") {
				t.Errorf("BYPASS [%s] exec -u %s (%s) ran as uid 0", g.name, tc.user, tc.name)
			}
		}
	})
}

// TestAdversary2Service: a named volume that exists with o=bind options
// (created before enforcement, here in audit mode) is asked of the daemon
// when a container mounts it; a service that mounts it by name is not.
func TestAdversary2Service(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	d, p, imgs := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	adv2Images(t, d, files)
	ctx := context.Background()
	g := &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d}
	enforcing := p.Decider()
	p.Set(New(Settings{Self: "dockguard", ModeOverride: "audit"}, imgs))
	if _, err := d.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	marker := "/root/dg-adv2-marker"
	os.WriteFile(marker, []byte("dg-adv2-secret\n"), 0o600)
	t.Cleanup(func() { os.Remove(marker) })
	code, msg := advRaw(t, g.sock, "POST", "/v1.41/volumes/create", advJSON, `{"Name":"preexisting","DriverOpts":{"type":"none","device":"/root","o":"bind"}}`)
	t.Logf("[audit] pre-existing volume o=bind device=/root: %d %s", code, strings.TrimSpace(msg))
	p.Set(enforcing)
	code, _, msg = g.create(t, "dgvolc", `{"Image":"dg-bb:test","User":"10001","HostConfig":{`+advHard+`,"Mounts":[{"Type":"volume","Source":"preexisting","Target":"/host"}]}}`)
	t.Logf("[plugin] container create mounting volume preexisting: %d %s", code, truncate(msg, 300))
	svc := `{"Name":"dgsvc","TaskTemplate":{"ContainerSpec":{"Image":"dg-bb:test","User":"0","Command":["/busybox","sh","-c","/busybox cat /host/dg-adv2-marker; /busybox sleep 60"],"ReadOnly":true,"CapabilityDrop":["ALL"],"Privileges":{"NoNewPrivileges":true},"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1024},{"Name":"nproc","Soft":512,"Hard":512}],"Healthcheck":{"Test":["NONE"]},"Mounts":[{"Type":"volume","Source":"preexisting","Target":"/host","ReadOnly":true}]},"Resources":{"Limits":{"MemoryBytes":268435456,"NanoCPUs":500000000,"Pids":100}},"RestartPolicy":{"Condition":"on-failure","MaxAttempts":3}}}`
	code, msg = advRaw(t, g.sock, "POST", "/v1.41/services/create", advJSON, svc)
	t.Logf("[plugin] service create mounting volume preexisting: %d %s", code, truncate(strings.TrimSpace(msg), 600))
	if code != 201 {
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		list, _ := d.Client.ContainerList(ctx, client.ContainerListOptions{All: true})
		for _, c := range list.Items {
			if !strings.Contains(strings.Join(c.Names, ","), "dgsvc") {
				continue
			}
			res, _ := d.Client.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
			b, _ := json.Marshal(res.Container.Mounts)
			_, logs := advRaw(t, g.sock, "GET", "/v1.41/containers/"+c.ID+"/logs?stdout=1&stderr=1", nil, "")
			t.Logf("[plugin] task container %s state %s mounts %s logs %q", c.Names, c.State, b, logs)
			if strings.Contains(logs, "dg-adv2-secret") {
				t.Errorf("BYPASS [plugin] service task read the host's /root through pre-existing o=bind volume")
			}
			return
		}
		time.Sleep(time.Second)
	}
	t.Logf("no task container appeared")
}
