package enforce

// The third independent adversarial pass, kept as regression tests. It
// found: an exec (or container) User with a group and no user (":",
// ":0", ":GID"), which runc runs as UID 0; an exec by name into a root
// container raced by renames (the lookup saw 404 and allowed); and a
// service rollback=previous that restores a spec never judged. Each
// fails with "BYPASS" (or "NEAR-BYPASS") if it comes back. Proxy framing
// (pipelining, Expect, trailers, CL+TE), the update route, Swarm fields
// and HEAD/OPTIONS found nothing.
//
//	DOCKGUARD_TEST_DOCKER=required go test -count=1 -run TestAdversary3 -v ./internal/enforce/

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

func adv3Images(t *testing.T, d *testenv.Daemon, files testenv.Files) {
	d.BuildImage(t, "dg-bb:test", "FROM scratch\nCOPY busybox /\n", files)
	df := "FROM scratch\nCOPY busybox /\nCOPY passwd /etc/passwd\nUSER 10001\n"
	d.BuildImage(t, "dg-app:test", df, adv2Files(files, "root:x:0:0:root:/:/busybox\napp:x:10001:10001::/:/busybox\n"))
}

func TestAdversary3(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	t.Run("plugin", func(t *testing.T) {
		d, p, imgs := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		adv3Images(t, d, files)
		g := &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d}
		adv3Attacks(t, g)
		adv3Service(t, g, p, imgs)
	})
	t.Run("proxy", func(t *testing.T) {
		d := testenv.Start(t, testenv.Options{})
		adv3Images(t, d, files)
		sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
		g := &advGuard{name: "proxy", sock: sock, d: d}
		adv3Attacks(t, g)
		adv3Pipelining(t, g)
	})
}

func adv3Attacks(t *testing.T, g *advGuard) {
	sleep := `"Cmd":["/busybox","sleep","300"]`
	t.Run("exec-user-colon", func(t *testing.T) {
		id := g.start(t, "dgcolon"+g.name, `{"Image":"dg-app:test","User":"10001",`+sleep+`,"HostConfig":{`+advHard+`}}`)
		if id == "" {
			return
		}
		for _, user := range []string{"0", "app", ":", ":0", ":10001", "-"} {
			code, msg, exit, extra := adv2Exec(t, g, id, user)
			t.Logf("[%s] exec -u %q: create %d %s; %s; exit=%d (0 = uid 0)", g.name, user, code, truncate(msg, 200), extra, exit)
			if exit == 0 && user != "0" {
				t.Errorf("BYPASS [%s] exec -u %q ran as uid 0", g.name, user)
			}
		}
	})
	t.Run("container-user-colon-exec-default", func(t *testing.T) {
		// Config.User ":" (the root-user rule is medium: logged), then an
		// exec with no user: the container's user is asked of the daemon.
		id := g.start(t, "dgcolon2"+g.name, `{"Image":"dg-app:test","User":":10001",`+sleep+`,"HostConfig":{`+advHard+`}}`)
		if id == "" {
			return
		}
		code, msg, exit, extra := adv2Exec(t, g, id, "-")
		t.Logf("[%s] exec (no user) in container User \":10001\": create %d %s; %s; exit=%d", g.name, code, truncate(msg, 200), extra, exit)
		if exit == 0 {
			t.Errorf("BYPASS [%s] exec without --user in a container whose User is \":10001\" ran as uid 0", g.name)
		}
	})
	t.Run("exec-rename-race", func(t *testing.T) {
		// A container running as root (root-user is medium: logged) and
		// an exec without --user is exec-root. Race a rename: dockguard
		// inspects the name while it is absent (404 -> allow) and the
		// daemon acts once it is back.
		id := g.start(t, "dgrootc"+g.name, `{"Image":"dg-bb:test","User":"0",`+sleep+`,"HostConfig":{`+advHard+`}}`)
		if id == "" {
			return
		}
		code, msg, exit, _ := adv2Exec(t, g, "dgrootc"+g.name, "-")
		t.Logf("[%s] control: exec (no user) in root container: %d %s exit=%d", g.name, code, truncate(msg, 200), exit)
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := "dgrace"+g.name, "dgrace"+g.name+"x"
			for !stop.Load() {
				advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/rename?name="+b, nil, "")
				advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/rename?name="+a, nil, "")
			}
		}()
		rsock := g.execSock(t)
		deadline := time.Now().Add(20 * time.Second)
		tries, allowed := 0, 0
		var won string
		for time.Now().Before(deadline) && won == "" {
			tries++
			code, msg := advRaw(t, rsock, "POST", "/v1.41/containers/dgrace"+g.name+"/exec", advJSON, `{"Cmd":["/busybox","sh","-c","test $(/busybox id -u) = 0"]}`)
			if code == 201 {
				allowed++
				var ex struct{ Id string }
				_ = json.Unmarshal([]byte(msg), &ex)
				won = ex.Id
			}
		}
		stop.Store(true)
		wg.Wait()
		t.Logf("[%s] rename race: %d tries, %d exec creates allowed", g.name, tries, allowed)
		if won != "" {
			c2, m2 := advRaw(t, g.sock, "POST", "/v1.41/exec/"+won+"/start", advJSON, `{"Detach":true}`)
			time.Sleep(700 * time.Millisecond)
			res, err := g.d.Client.ExecInspect(context.Background(), won, client.ExecInspectOptions{})
			t.Logf("[%s] race exec start %d %s; inspect %+v %v", g.name, c2, strings.TrimSpace(m2), res.ExitCode, err)
			if err == nil && res.ExitCode == 0 {
				t.Errorf("BYPASS [%s] exec without --user in a root container through a rename race ran as uid 0", g.name)
			}
		}
	})
	t.Run("update", func(t *testing.T) {
		id := g.start(t, "dgupd"+g.name, `{"Image":"dg-app:test",`+sleep+`,"HostConfig":{`+advHard+`}}`)
		if id == "" {
			return
		}
		for _, body := range []string{
			`{"Memory":4611686018427387904,"MemorySwap":4611686018427387904}`,
			`{"PidsLimit":4611686018427387904}`,
			`{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2147483647}}`,
			`{"KernelMemory":4611686018427387904}`,
			`{"CpuPeriod":1000,"CpuQuota":1000000000}`,
			`{"RestartPolicy":{"Name":"Always"}}`,
			`{"BlkioWeightDevice":[{"Path":"/dev/loop0","Weight":10}],"BlkioDeviceReadBps":[{"Path":"/dev/loop0","Rate":1}]}`,
		} {
			code, msg := advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/update", advJSON, body)
			t.Logf("[%s] update %s: %d %s", g.name, body, code, truncate(strings.TrimSpace(msg), 200))
		}
		res, err := g.d.Client.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
		if err == nil {
			h := res.Container.HostConfig
			t.Logf("[%s] after updates: Memory=%d MemorySwap=%d PidsLimit=%v Restart=%+v CpuQuota=%d CpuPeriod=%d", g.name, h.Memory, h.MemorySwap, h.PidsLimit, h.RestartPolicy, h.CPUQuota, h.CPUPeriod)
		}
	})
	t.Run("dup-query-head-options", func(t *testing.T) {
		for _, r := range []struct{ m, p string }{
			{"HEAD", "/v1.41/containers/json"},
			{"OPTIONS", "/v1.41/containers/create"},
			{"OPTIONS", "*"},
			{"get", "/v1.41/containers/json"},
		} {
			code, msg := advRaw(t, g.sock, r.m, r.p, nil, "")
			t.Logf("[%s] %s %s: %d %s", g.name, r.m, r.p, code, truncate(strings.TrimSpace(msg), 150))
		}
		code, id, msg := g.create(t, "dgdupa&name=dgdupb", `{"Image":"dg-app:test","HostConfig":{`+advHard+`}}`)
		t.Logf("[%s] create ?name=dgdupa&name=dgdupb: %d %s %s", g.name, code, id, truncate(msg, 150))
	})
}

// adv3Pipelining sends raw bytes on one connection to the proxy.
func adv3Pipelining(t *testing.T, g *advGuard) {
	priv := `{"Image":"dg-app:test","HostConfig":{"Privileged":true}}`
	ok := `{"Image":"dg-app:test","HostConfig":{` + advHard + `}}`
	cases := []struct{ name, raw string }{
		{"pipelined denied then allowed", "POST /v1.41/containers/create?name=pipe1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(priv)) + "\r\n\r\n" + priv +
			"POST /v1.41/containers/create?name=pipe2 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(ok)) + "\r\n\r\n" + ok +
			"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"},
		{"chunked with trailer and Expect", "POST /v1.41/containers/create?name=pipe3 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nTrailer: Content-Type\r\n\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n", len(ok), ok) +
			"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"},
		{"CL and TE both", "POST /v1.41/containers/create?name=pipe4 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(priv), priv) + "GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"},
		{"streamed load body hiding a request", "POST /v1.41/images/load HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: 10\r\n\r\n0123456789" +
			"POST /v1.41/containers/create?name=pipe5 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(priv)) + "\r\nConnection: close\r\n\r\n" + priv},
		{"attach upgrade then raw request", "POST /v1.41/containers/pipe2/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n" +
			"POST /v1.41/containers/create?name=pipe6 HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(priv)) + "\r\nConnection: close\r\n\r\n" + priv},
	}
	for _, tc := range cases {
		c, err := net.Dial("unix", g.sock)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, tc.raw)
		br := bufio.NewReader(c)
		var got []string
		for i := 0; i < 4; i++ {
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				got = append(got, "err "+err.Error())
				break
			}
			b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
			res.Body.Close()
			got = append(got, fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(b))))
			if res.StatusCode == 101 {
				break
			}
		}
		c.Close()
		t.Logf("[%s] %s: %q", g.name, tc.name, got)
	}
	time.Sleep(500 * time.Millisecond)
	if bad := dangerous(context.Background(), t, g.d.Client, ""); len(bad) > 0 {
		t.Errorf("BYPASS? [%s] dangerous state after pipelining: %v", g.name, bad)
	}
}

// adv3Service: a service whose previous spec was never judged (created in
// audit mode) and an update with rollback=previous whose body is benign.
func adv3Service(t *testing.T, g *advGuard, p *Plugin, imgs *lazyImages) {
	ctx := context.Background()
	enforcing := p.Decider()
	p.Set(New(Settings{Self: "dockguard", ModeOverride: "audit"}, imgs))
	if _, err := g.d.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	p.Set(enforcing)
	benign := func(name, extra string) string {
		return `{"Name":"` + name + `","TaskTemplate":{"ContainerSpec":{"Image":"dg-app:test","User":"10001","Command":["/busybox","sleep","60"],"ReadOnly":true,"CapabilityDrop":["ALL"],"Privileges":{"NoNewPrivileges":true},"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1024},{"Name":"nproc","Soft":512,"Hard":512}],"Healthcheck":{"Test":["NONE"]}` + extra + `},"Resources":{"Limits":{"MemoryBytes":268435456,"NanoCPUs":500000000,"Pids":100}},"RestartPolicy":{"Condition":"on-failure","MaxAttempts":3}}}`
	}
	for _, tc := range []struct{ name, extra string }{
		{"user-colon", `,"User":":"`},
		{"groups-0", `,"Groups":["0","disk"]`},
		{"init-hosts-dns", `,"Init":true,"Hosts":["1.2.3.4 x"],"DNSConfig":{"Nameservers":["127.0.0.1"]},"Isolation":"default"`},
		{"credspec", `,"Privileges":{"NoNewPrivileges":true,"CredentialSpec":{"File":"../../../../etc/shadow"}}`},
	} {
		code, msg := advRaw(t, g.sock, "POST", "/v1.41/services/create", advJSON, benign("dgs"+tc.name, tc.extra))
		t.Logf("[%s] service %s: %d %s", g.name, tc.name, code, truncate(strings.TrimSpace(msg), 300))
	}
	// Rollback: previous spec made unjudged (audit mode) with CapAdd SYS_ADMIN.
	p.Set(New(Settings{Self: "dockguard", ModeOverride: "audit"}, imgs))
	bad := strings.Replace(benign("dgsroll", ""), `"CapabilityDrop":["ALL"]`, `"CapabilityAdd":["CAP_SYS_ADMIN"]`, 1)
	code, msg := advRaw(t, g.sock, "POST", "/v1.41/services/create", advJSON, bad)
	t.Logf("[%s/audit] service dgsroll with CAP_SYS_ADMIN: %d %s", g.name, code, truncate(strings.TrimSpace(msg), 200))
	var sid struct{ ID string }
	_ = json.Unmarshal([]byte(msg), &sid)
	if sid.ID == "" {
		return
	}
	svc, _ := g.d.Client.ServiceInspect(ctx, sid.ID, client.ServiceInspectOptions{})
	code, msg = advRaw(t, g.sock, "POST", fmt.Sprintf("/v1.41/services/%s/update?version=%d", sid.ID, svc.Service.Version.Index), advJSON, benign("dgsroll", ""))
	t.Logf("[%s/audit] update to benign: %d %s", g.name, code, truncate(strings.TrimSpace(msg), 200))
	p.Set(enforcing)
	svc, _ = g.d.Client.ServiceInspect(ctx, sid.ID, client.ServiceInspectOptions{})
	t.Logf("[%s] current CapabilityAdd=%v", g.name, svc.Service.Spec.TaskTemplate.ContainerSpec.CapabilityAdd)
	for i := 0; i < 10; i++ {
		time.Sleep(time.Second)
		svc, _ = g.d.Client.ServiceInspect(ctx, sid.ID, client.ServiceInspectOptions{})
		code, msg = advRaw(t, g.sock, "POST", fmt.Sprintf("/v1.41/services/%s/update?version=%d&rollback=previous", sid.ID, svc.Service.Version.Index), advJSON, benign("dgsroll", ""))
		t.Logf("[%s/enforce] update rollback=previous (version %d) with benign body: %d %s", g.name, svc.Service.Version.Index, code, truncate(strings.TrimSpace(msg), 200))
		if code == 200 {
			break
		}
	}
	svc, _ = g.d.Client.ServiceInspect(ctx, sid.ID, client.ServiceInspectOptions{})
	t.Logf("[%s] after rollback CapabilityAdd=%v", g.name, svc.Service.Spec.TaskTemplate.ContainerSpec.CapabilityAdd)
	if len(svc.Service.Spec.TaskTemplate.ContainerSpec.CapabilityAdd) > 0 {
		t.Errorf("NEAR-BYPASS [%s] rollback=previous restored an unjudged spec (CapabilityAdd %v) behind a benign body", g.name, svc.Service.Spec.TaskTemplate.ContainerSpec.CapabilityAdd)
	}
}

// TestAdversary3Symetc: the image's /etc is a symlink into /data, and a
// volume is mounted at /data. The archive API (dockguard's reader) shows
// the volume (here empty: no passwd, so the name resolves to nothing);
// the daemon resolves the exec user in the root filesystem without
// mounts, where /data/etc/passwd says toor is UID 0.
func TestAdversary3Symetc(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	build := func(t *testing.T, d *testenv.Daemon) {
		df := "FROM scratch\nCOPY busybox /\nCOPY passwd /data/etc/passwd\nRUN [\"/busybox\",\"ln\",\"-s\",\"/data/etc\",\"/etc\"]\nUSER 10001\n"
		d.BuildImage(t, "dg-symetc:test", df, adv2Files(files, "root:x:0:0:root:/:/busybox\ntoor:x:0:0:alias:/:/busybox\napp:x:10001:10001::/:/busybox\n"))
	}
	run := func(t *testing.T, g *advGuard) {
		for _, tc := range []struct{ name, mounts string }{
			{"control no mount", ""},
			{"volume NoCopy at /data", `,"Mounts":[{"Type":"volume","Source":"dgsym` + g.name + `","Target":"/data","VolumeOptions":{"NoCopy":true}}]`},
			{"volume NoCopy at /data/etc", `,"Mounts":[{"Type":"volume","Source":"dgsym2` + g.name + `","Target":"/data/etc","VolumeOptions":{"NoCopy":true}}]`},
		} {
			name := "dgsym" + g.name + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' {
					return r
				}
				return -1
			}, tc.name)
			id := g.start(t, name, `{"Image":"dg-symetc:test","Cmd":["/busybox","sleep","300"],"HostConfig":{`+advHard+tc.mounts+`}}`)
			if id == "" {
				continue
			}
			code, msg, exit, extra := adv2Exec(t, g, id, "toor")
			t.Logf("[%s] exec -u toor (%s): create %d %s; %s; exit=%d (0 = uid 0)", g.name, tc.name, code, truncate(msg, 300), extra, exit)
			if exit == 0 && !strings.HasPrefix(tc.name, "control") {
				t.Errorf("BYPASS [%s] exec -u toor (%s) ran as uid 0", g.name, tc.name)
			}
		}
	}
	t.Run("plugin", func(t *testing.T) {
		d, _, _ := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		build(t, d)
		run(t, &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d})
	})
	t.Run("proxy", func(t *testing.T) {
		d := testenv.Start(t, testenv.Options{})
		build(t, d)
		sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
		run(t, &advGuard{name: "proxy", sock: sock, d: d})
	})
}

// TestAdversary3Decide: the root-user rule made denying (minSeverity
// medium, or the per-rule override) is passed by a user whose name part
// is empty, which dockerd/runc resolve to UID 0.
func TestAdversary3Decide(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []config.Enforce{{Profile: rules.Restricted}, {Rules: map[string]string{"root-user": "deny"}}} {
		d := New(Settings{Config: cfg, Self: "dockguard"}, &fakeImages{images: map[string]string{"app:1": "10001", "colonimg:1": ":"}, containers: map[string]string{"c1": "10001"}})
		for _, u := range []string{"0", "root", ":", ":0", ":10001"} {
			body := strings.Replace(hardened, `"User":"10001:10001"`, `"User":"`+u+`"`, 1)
			dec := d.Decide(ctx, req("POST", "/v1.41/containers/create", body))
			t.Logf("cfg %+v create User %q: allow=%v rules=%v", cfg, u, dec.Allow, dec.Rules())
			if dec.Allow && u != "0" && u != "root" {
				t.Errorf("BYPASS create User %q allowed under %+v (dockerd runs it as UID 0)", u, cfg)
			}
		}
		body := strings.Replace(strings.Replace(hardened, `"User":"10001:10001",`, ``, 1), `"Image":"app:1"`, `"Image":"colonimg:1"`, 1)
		dec := d.Decide(ctx, req("POST", "/v1.41/containers/create", body))
		t.Logf("cfg %+v create image USER \":\": allow=%v rules=%v", cfg, dec.Allow, dec.Rules())
		if dec.Allow {
			t.Errorf("BYPASS create of an image whose USER is \":\" allowed under %+v", cfg)
		}
	}
}

// TestAdversary3Caps: the exec -u ":" bypass in a container that keeps
// Docker's default capabilities (if the default policy allows it).
func TestAdversary3Caps(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	d := testenv.Start(t, testenv.Options{})
	adv3Images(t, d, files)
	sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
	g := &advGuard{name: "proxy", sock: sock, d: d}
	hard := strings.Replace(advHard, `"CapDrop":["ALL"],`, ``, 1)
	id := g.start(t, "dgcaps", `{"Image":"dg-app:test","Cmd":["/busybox","sleep","300"],"HostConfig":{`+hard+`}}`)
	if id == "" {
		return
	}
	// Root in an exec is restricted@v1's (exec-root): asked through it.
	code, msg := advRaw(t, g.execSock(t), "POST", "/v1.41/containers/"+id+"/exec", advJSON, `{"User":":","AttachStdout":true,"AttachStderr":true,"Cmd":["/busybox","sh","-c","/busybox id; /busybox grep Cap /proc/self/status"]}`)
	t.Logf("[proxy] exec create -u ':': %d %s", code, strings.TrimSpace(msg))
	var ex struct{ Id string }
	_ = json.Unmarshal([]byte(msg), &ex)
	if ex.Id == "" {
		return
	}
	// Start it attached with the protocol switch and read the output.
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	body := `{"Detach":false,"Tty":true}`
	fmt.Fprintf(c, "POST /v1.41/exec/%s/start HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: %d\r\n\r\n%s", ex.Id, len(body), body)
	out, _ := io.ReadAll(c)
	t.Logf("[proxy] exec -u ':' output:\n%s", out)
	if strings.Contains(string(out), "uid=0") {
		t.Errorf("BYPASS [proxy] exec -u ':' ran as uid=0")
	}
}

// TestAdversary3SpecUID: an exec with no --user runs as the UID the
// container's user resolved to at container start (the OCI spec), while
// dockguard resolves Config.User's name in the current /etc/passwd.
func TestAdversary3SpecUID(t *testing.T) {
	files := testenv.Files{"busybox": testenv.Busybox(t)}
	run := func(t *testing.T, g *advGuard) {
		hard := strings.Replace(advHard, `"ReadonlyRootfs":true,`, ``, 1)
		// toor is UID 0 in the image; once started the container rewrites
		// its passwd so that toor reads as 10001.
		id := g.start(t, "dgspec"+g.name, `{"Image":"dg-toor:test","User":"toor","Cmd":["/busybox","sh","-c","echo 'toor:x:10001:10001::/:/busybox' > /etc/passwd; /busybox sleep 300"],"HostConfig":{`+hard+`}}`)
		if id == "" {
			return
		}
		time.Sleep(time.Second)
		code, msg, exit, extra := adv2Exec(t, g, id, "-")
		t.Logf("[%s] exec (no user) in container User toor (UID 0 at start, passwd rewritten): create %d %s; %s; exit=%d", g.name, code, truncate(msg, 200), extra, exit)
		if exit == 0 {
			t.Errorf("BYPASS [%s] exec without --user ran as uid 0 (spec UID from start, passwd rewritten before the decision)", g.name)
		}
	}
	t.Run("plugin", func(t *testing.T) {
		d, _, _ := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		adv2Images(t, d, files)
		run(t, &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d})
	})
	t.Run("proxy", func(t *testing.T) {
		d := testenv.Start(t, testenv.Options{})
		adv2Images(t, d, files)
		sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
		run(t, &advGuard{name: "proxy", sock: sock, d: d})
	})
}
