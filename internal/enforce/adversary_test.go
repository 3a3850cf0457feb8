package enforce

// The independent adversarial pass on enforcement, kept as regression
// tests: attacks dockguard at its default configuration through the
// plugin and through the proxy, judging each by the daemon's state or by
// what a started container sees of the host (a secret written to /root
// for the run and removed after it). Each former bypass (a local volume
// of the host's disk, a bind through a planted symlink, an inline seccomp
// profile, an exec user that is UID 0 by name) fails with "BYPASS" if it
// comes back.
//
//	DOCKGUARD_TEST_DOCKER=required go test -count=1 -run TestAdversary -v ./internal/enforce/

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

type advGuard struct {
	name string
	sock string // the guarded socket (daemon under the plugin, or the proxy)
	d    *testenv.Daemon
}

// advRaw writes one raw HTTP/1.1 request (Connection: close) to the
// guarded socket and returns the status code and the whole response body.
func advRaw(t *testing.T, sock, method, path string, headers [][2]string, body string) (int, string) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(120 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n", method, path)
	hasCL := false
	for _, h := range headers {
		if strings.EqualFold(h[0], "Content-Length") || strings.EqualFold(h[0], "Transfer-Encoding") {
			hasCL = true
		}
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if !hasCL {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(c, b.String()); err != nil {
		return 0, err.Error()
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, string(rb)
}

var advJSON = [][2]string{{"Content-Type", "application/json"}}

// execSock serves a restricted@v1 proxy in front of the guard's daemon
// for the rest of the test: exec as root is a restricted rule (exec-root),
// so the probes that exec as root go through it (behind the plugin, both
// judge).
func (g *advGuard) execSock(t *testing.T) string {
	return startProxyLogged(t, New(Settings{Config: config.Enforce{Profile: rules.Restricted}, Self: "dockguard"}, &EngineImages{Client: g.d.Client}), strings.TrimPrefix(g.d.Host, "unix://"))
}

func (g *advGuard) create(t *testing.T, name, body string) (int, string, string) {
	t.Helper()
	code, msg := advRaw(t, g.sock, "POST", "/v1.41/containers/create?name="+name, advJSON, body)
	var r struct{ Id string }
	_ = json.Unmarshal([]byte(msg), &r)
	return code, r.Id, strings.TrimSpace(msg)
}

// run starts a container through the guard, waits for it and returns its
// output.
// start creates a container and starts it, logging both answers and the
// inspection; "" when the create was refused.
func (g *advGuard) start(t *testing.T, name, body string) string {
	code, id, msg := g.create(t, name, body)
	t.Logf("[%s] create %s: %d %s", g.name, name, code, truncate(msg, 300))
	if id == "" {
		return ""
	}
	c, m := advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/start", nil, "")
	t.Logf("[%s]   start: %d %s; inspect %s", g.name, c, strings.TrimSpace(m), g.inspect(t, id))
	return id
}

func (g *advGuard) run(t *testing.T, id string) string {
	t.Helper()
	if code, msg := advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/start", nil, ""); code != 204 {
		return fmt.Sprintf("start: %d %s", code, msg)
	}
	advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/wait", nil, "")
	_, out := advRaw(t, g.sock, "GET", "/v1.41/containers/"+id+"/logs?stdout=1&stderr=1", nil, "")
	// strip the multiplexing headers roughly
	var clean strings.Builder
	for i := 0; i < len(out); {
		if i+8 <= len(out) && (out[i] == 1 || out[i] == 2) && out[i+1] == 0 && out[i+2] == 0 && out[i+3] == 0 {
			n := int(out[i+4])<<24 | int(out[i+5])<<16 | int(out[i+6])<<8 | int(out[i+7])
			end := min(i+8+n, len(out))
			clean.WriteString(out[i+8 : end])
			i = end
			continue
		}
		clean.WriteByte(out[i])
		i++
	}
	return clean.String()
}

func (g *advGuard) inspect(t *testing.T, id string) string {
	t.Helper()
	res, err := g.d.Client.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		return "inspect: " + err.Error()
	}
	h := res.Container.HostConfig
	b, _ := json.Marshal(map[string]any{"Binds": h.Binds, "Mounts": res.Container.Mounts, "NetworkMode": h.NetworkMode, "Privileged": h.Privileged, "CapAdd": h.CapAdd, "User": res.Container.Config.User})
	return string(b)
}

const advHard = `"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":268435456,"MemorySwap":268435456,"NanoCpus":500000000,"PidsLimit":100,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1024},{"Name":"nproc","Soft":512,"Hard":512}]`

func TestAdversary(t *testing.T) {
	rnd := make([]byte, 6)
	_, _ = rand.Read(rnd)
	secret := "dg-adversary-secret-" + hex.EncodeToString(rnd)
	marker := "/root/dg-adversary-marker-" + hex.EncodeToString(rnd)
	if err := os.WriteFile(marker, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(marker) })
	files := testenv.Files{"busybox": testenv.Busybox(t)}

	t.Run("plugin", func(t *testing.T) {
		d, _, _ := guarded(t, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		d.BuildImage(t, "dg-bb:test", "FROM scratch\nCOPY busybox /\n", files)
		d.BuildImage(t, "dg-toor:test", "FROM scratch\nCOPY busybox /\nCOPY passwd /etc/passwd\nUSER 10001\n", advToorFiles(files))
		g := &advGuard{name: "plugin", sock: strings.TrimPrefix(d.Host, "unix://"), d: d}
		advAttacks(t, g, secret, marker)
	})
	t.Run("proxy", func(t *testing.T) {
		d := testenv.Start(t, testenv.Options{})
		d.BuildImage(t, "dg-bb:test", "FROM scratch\nCOPY busybox /\n", files)
		d.BuildImage(t, "dg-toor:test", "FROM scratch\nCOPY busybox /\nCOPY passwd /etc/passwd\nUSER 10001\n", advToorFiles(files))
		sock := startProxyLogged(t, New(Settings{Self: "dockguard"}, &EngineImages{Client: d.Client}), strings.TrimPrefix(d.Host, "unix://"))
		g := &advGuard{name: "proxy", sock: sock, d: d}
		advAttacks(t, g, secret, marker)
	})
}

func startProxyLogged(t testing.TB, d *Decider, upstream string) string {
	sock := filepath.Join(t.TempDir(), "dg.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Plugin: NewPlugin(d, slog.New(slog.NewTextHandler(os.Stderr, nil))), Dial: func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", upstream)
	}}
	go func() { _ = p.Serve(l) }()
	t.Cleanup(func() { l.Close(); p.Close() })
	return sock
}

func advAttacks(t *testing.T, g *advGuard, secret, marker string) {
	cat := `"Cmd":["/busybox","cat","/host` + marker + `"]`
	// catw reads the marker and writes a sibling file on the host.
	catw := func(tag string) string {
		return `"Cmd":["/busybox","sh","-c","/busybox cat /host` + marker + `; echo ` + tag + ` > /host` + marker + `-written-` + tag + `"]`
	}
	written := func(t *testing.T, tag string) bool {
		f := marker + "-written-" + tag
		_, err := os.Stat(f)
		os.Remove(f)
		return err == nil
	}

	// A. Local-driver volume that is not o=bind: the host's block device.
	t.Run("volume-ext4-device", func(t *testing.T) {
		code, msg := advRaw(t, g.sock, "POST", "/v1.41/volumes/create", advJSON, `{"Name":"dgdisk","DriverOpts":{"type":"ext4","device":"/dev/vda"}}`)
		t.Logf("[%s] volume create type=ext4 device=/dev/vda: %d %s", g.name, code, strings.TrimSpace(msg))
		code, id, msg := g.create(t, "dgdiskc", `{"Image":"dg-bb:test",`+cat+`,"HostConfig":{`+advHard+`,"Mounts":[{"Type":"volume","Source":"dgdisk","Target":"/host","ReadOnly":true}]}}`)
		t.Logf("[%s] create with Mounts volume dgdisk: %d %s", g.name, code, msg)
		if id != "" {
			out := g.run(t, id)
			t.Logf("[%s] inspect %s; output %q", g.name, g.inspect(t, id), out)
			if strings.Contains(out, secret) {
				t.Errorf("BYPASS [%s] ext4 device volume: container read host %s", g.name, marker)
			}
		}
	})
	t.Run("mount-inline-ext4-device", func(t *testing.T) {
		code, id, msg := g.create(t, "dgdiskinline", `{"Image":"dg-bb:test",`+catw("ext4")+`,"HostConfig":{`+advHard+`,"Mounts":[{"Type":"volume","Source":"dgdisk2","Target":"/host","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"ext4","device":"/dev/vda"}}}}]}}`)
		t.Logf("[%s] create with inline local volume type=ext4: %d %s", g.name, code, msg)
		if id != "" {
			out := g.run(t, id)
			t.Logf("[%s] inspect %s; output %q", g.name, g.inspect(t, id), out)
			if strings.Contains(out, secret) {
				t.Errorf("BYPASS [%s] inline ext4 device volume: container read host %s", g.name, marker)
			}
			if written(t, "ext4") {
				t.Errorf("BYPASS [%s] inline ext4 device volume: container WROTE a file into the host's /root", g.name)
			}
		}
	})

	// B. Symlink planted by one allowed container, bound by the next.
	t.Run("symlink-bind", func(t *testing.T) {
		dir, err := os.MkdirTemp("", "dgadv")
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, 0o777)
		t.Cleanup(func() { os.RemoveAll(dir) })
		code, id, msg := g.create(t, "dgplant", `{"Image":"dg-bb:test","Cmd":["/busybox","ln","-s","/","/t/r"],"HostConfig":{`+advHard+`,"Binds":["`+dir+`:/t"]}}`)
		t.Logf("[%s] planter create Binds %s:/t: %d %s", g.name, dir, code, msg)
		if id != "" {
			t.Logf("[%s] planter output %q", g.name, g.run(t, id))
		}
		code, id, msg = g.create(t, "dgroot", `{"Image":"dg-bb:test",`+catw("symlink")+`,"HostConfig":{`+advHard+`,"Binds":["`+dir+`/r:/host"]}}`)
		t.Logf("[%s] create Binds %s/r:/host (rw): %d %s", g.name, dir, code, msg)
		if id != "" {
			out := g.run(t, id)
			t.Logf("[%s] inspect %s; output %q", g.name, g.inspect(t, id), out)
			if strings.Contains(out, secret) {
				t.Errorf("BYPASS [%s] symlink bind: container read host %s through a rw bind of /", g.name, marker)
			}
			if written(t, "symlink") {
				t.Errorf("BYPASS [%s] symlink bind: container WROTE a file into the host's /root", g.name)
			}
		}
	})

	// C. Two Content-Type headers: the daemon reads the first (a form body
	// holding build parameters), dockguard the last.
	t.Run("build-form-dup-content-type", func(t *testing.T) {
		ln := g.d.Listen(t, "127.0.0.1:0")
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "FROM dg-bb:test\nRUN [\"/busybox\",\"sh\",\"-c\",\"/busybox ip addr > /netinfo\"]\nCMD [\"/busybox\",\"cat\",\"/netinfo\"]\n")
		})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		remote := "http://" + ln.Addr().String() + "/Dockerfile"
		for _, tc := range []struct {
			name string
			hdr  [][2]string
		}{
			{"form then json", [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Type", "application/json"}}},
			{"control: form only", [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}},
			{"control: no form", [][2]string{{"Content-Type", "text/plain"}}},
			{"unguarded: query networkmode", nil},
			{"unguarded: form then json", [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Type", "application/json"}}},
		} {
			tag := "dgnet:" + strings.ReplaceAll(tc.name[:4], " ", "")
			sock, q := g.sock, ""
			if strings.HasPrefix(tc.name, "unguarded") {
				if g.name != "proxy" {
					continue
				}
				sock = strings.TrimPrefix(g.d.Host, "unix://")
				if tc.hdr == nil {
					q = "&networkmode=host"
				}
				tag = "dgnet:u" + fmt.Sprint(len(tc.name))
			}
			code, out := advRaw(t, sock, "POST", "/v1.41/build?rm=1&nocache=1&t="+tag+q+"&remote="+remote, tc.hdr, "networkmode=host")
			_, cid, cmsg := g.create(t, "dgnetc"+strings.ReplaceAll(tag, ":", ""), `{"Image":"`+tag+`","HostConfig":{`+advHard+`}}`)
			if cid != "" {
				out = g.run(t, cid)
			} else {
				out += " / create: " + cmsg
			}
			hostNS := strings.Contains(out, testenv.SwarmAddr)
			t.Logf("[%s] build %s: %d host-netns=%v %q", g.name, tc.name, code, hostNS, truncate(out, 1500))
			if lb, err := os.ReadFile(g.d.Log); err == nil {
				for _, l := range strings.Split(string(lb), "\n") {
					if strings.Contains(l, "build") || strings.Contains(l, "level=error") {
						t.Logf("[%s] dockerd: %s", g.name, truncate(l, 400))
					}
				}
				imgs, _ := g.d.Client.ImageList(context.Background(), client.ImageListOptions{})
				for _, im := range imgs.Items {
					t.Logf("[%s] image %v", g.name, im.RepoTags)
				}
			}
			if hostNS && !strings.HasPrefix(tc.name, "unguarded") {
				t.Errorf("BYPASS [%s] build (%s) ran its RUN step in the daemon's network namespace (networkmode=host)", g.name, tc.name)
			}
		}
	})

	// E. seccomp given as an inline allow-all profile.
	t.Run("seccomp-inline-profile", func(t *testing.T) {
		for _, tc := range []struct{ name, opt string }{
			{"control: default profile", `"no-new-privileges"`},
			{"inline allow-all", `"no-new-privileges","seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"`},
		} {
			code, id, msg := g.create(t, "dgsec"+fmt.Sprint(len(tc.name)), `{"Image":"dg-bb:test","User":"10001","Cmd":["/busybox","unshare","-U","-r","/busybox","id"],"HostConfig":{"CapDrop":["ALL"],"ReadonlyRootfs":true,"Memory":268435456,"MemorySwap":268435456,"NanoCpus":500000000,"PidsLimit":100,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1024},{"Name":"nproc","Soft":512,"Hard":512}],"SecurityOpt":[`+tc.opt+`]}}`)
			t.Logf("[%s] seccomp %s: create %d %s", g.name, tc.name, code, truncate(msg, 200))
			if id != "" {
				out := g.run(t, id)
				res, _ := g.d.Client.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
				t.Logf("[%s]   SecurityOpt %q; unshare -U output %q", g.name, res.Container.HostConfig.SecurityOpt, out)
				if strings.Contains(tc.name, "allow-all") && strings.Contains(out, "uid=0") {
					t.Errorf("BYPASS [%s] seccomp filtering off through an inline profile (unshare(CLONE_NEWUSER) allowed)", g.name)
				}
			}
		}
	})

	// F. exec as a user name that the container's /etc/passwd maps to 0.
	t.Run("exec-root-alias", func(t *testing.T) {
		code, id, msg := g.create(t, "dgtoor", `{"Image":"dg-toor:test","Cmd":["/busybox","sleep","60"],"HostConfig":{`+advHard+`}}`)
		t.Logf("[%s] create dg-toor (USER 10001): %d %s", g.name, code, msg)
		if id == "" {
			return
		}
		advRaw(t, g.sock, "POST", "/v1.41/containers/"+id+"/start", nil, "")
		rsock := g.execSock(t)
		for _, user := range []string{"0", "toor"} {
			code, msg := advRaw(t, rsock, "POST", "/v1.41/containers/"+id+"/exec", advJSON, `{"User":"`+user+`","Cmd":["/busybox","sh","-c","test $(/busybox id -u) = 0"]}`)
			t.Logf("[%s] exec create User %q: %d %s", g.name, user, code, strings.TrimSpace(msg))
			var ex struct{ Id string }
			_ = json.Unmarshal([]byte(msg), &ex)
			if ex.Id == "" {
				continue
			}
			code, msg = advRaw(t, g.sock, "POST", "/v1.41/exec/"+ex.Id+"/start", advJSON, `{"Detach":true}`)
			t.Logf("[%s]   exec start detached: %d %s", g.name, code, strings.TrimSpace(msg))
			time.Sleep(500 * time.Millisecond)
			_, info := advRaw(t, g.sock, "GET", "/v1.41/exec/"+ex.Id+"/json", nil, "")
			var st struct {
				Running  bool
				ExitCode int
			}
			_ = json.Unmarshal([]byte(info), &st)
			t.Logf("[%s]   exec inspect: running=%v exit=%d (0 = uid 0)", g.name, st.Running, st.ExitCode)
			if !st.Running && st.ExitCode == 0 && user == "toor" {
				t.Errorf("BYPASS(policy) [%s] exec -u toor runs as uid 0, exec-root not applied", g.name)
			}
		}
	})

	// G. Mount type in capitals.
	t.Run("mount-type-case", func(t *testing.T) {
		code, id, msg := g.create(t, "dgbindcase", `{"Image":"dg-bb:test",`+cat+`,"HostConfig":{`+advHard+`,"Mounts":[{"Type":"BIND","Source":"/","Target":"/host"}]}}`)
		t.Logf("[%s] Mounts Type BIND Source /: %d %s", g.name, code, msg)
		if id != "" {
			t.Logf("[%s]   inspect %s output %q", g.name, g.inspect(t, id), g.run(t, id))
		}
	})

	// D. Host paths the sensitive-path list does not know.
	t.Run("sensitive-path-gaps", func(t *testing.T) {
		for i, src := range []string{"/lib64", "/usr/lib64", "/usr/local", "/etc/systemd", "/etc/pam.d", "/etc/profile.d", "/run/systemd", "/usr/libexec", "/opt", "/var/spool", "/etc/ld.so.conf.d", "/etc/apt", "/usr/share", "/run/docker"} {
			code, id, msg := g.create(t, fmt.Sprintf("dggap%d", i), `{"Image":"dg-bb:test","Cmd":["/busybox","ls","/x"],"HostConfig":{`+advHard+`,"Binds":["`+src+`:/x"]}}`)
			t.Logf("[%s] Binds %s:/x (rw): %d %s", g.name, src, code, truncate(msg, 200))
			if id != "" {
				t.Logf("[%s]   inspect %s", g.name, g.inspect(t, id))
			}
		}
	})
}

// TestAdversaryDecide asks the decider alone about request shapes whose
// daemon-side meaning is known (no daemon needed).
func TestAdversaryDecide(t *testing.T) {
	d := New(Settings{Self: "dockguard"}, nil)
	hc := func(extra string) string {
		return `{"Image":"dg-bb:test","User":"10001","HostConfig":{` + advHard + extra + `}}`
	}
	for _, tc := range []struct{ name, path, body string }{
		{"baseline", "/v1.41/containers/create", hc(``)},
		{"seccomp inline allow-all profile", "/v1.41/containers/create", hc(`,"SecurityOpt":["no-new-privileges","seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]`)},
		{"seccomp unconfined colon", "/v1.41/containers/create", hc(`,"SecurityOpt":["no-new-privileges","seccomp:unconfined"]`)},
		{"apparmor unconfined", "/v1.41/containers/create", hc(`,"SecurityOpt":["no-new-privileges","apparmor=unconfined"]`)},
		{"label disable", "/v1.41/containers/create", hc(`,"SecurityOpt":["no-new-privileges","label=disable"]`)},
		{"cap all lowercase", "/v1.41/containers/create", hc(`,"CapAdd":["all"]`)},
		{"cap cap_sys_admin lowercase", "/v1.41/containers/create", hc(`,"CapAdd":["cap_sys_admin"]`)},
		{"cap sys_module", "/v1.41/containers/create", hc(`,"CapAdd":["SYS_MODULE"]`)},
		{"cap dac_read_search", "/v1.41/containers/create", hc(`,"CapAdd":["DAC_READ_SEARCH"]`)},
		{"cap sys_ptrace", "/v1.41/containers/create", hc(`,"CapAdd":["SYS_PTRACE"]`)},
		{"cap bpf", "/v1.41/containers/create", hc(`,"CapAdd":["CAP_BPF"]`)},
		{"cap net_admin", "/v1.41/containers/create", hc(`,"CapAdd":["NET_ADMIN"]`)},
		{"cap sys_rawio", "/v1.41/containers/create", hc(`,"CapAdd":["SYS_RAWIO"]`)},
		{"cap perfmon", "/v1.41/containers/create", hc(`,"CapAdd":["PERFMON"]`)},
		{"device /dev/vda", "/v1.41/containers/create", hc(`,"Devices":[{"PathOnHost":"/dev/vda","PathInContainer":"/dev/xvda","CgroupPermissions":"rwm"}]`)},
		{"device cgroup rule all", "/v1.41/containers/create", hc(`,"DeviceCgroupRules":["b *:* rwm"]`)},
		{"userns host", "/v1.41/containers/create", hc(`,"UsernsMode":"host"`)},
		{"cgroupns host", "/v1.41/containers/create", hc(`,"CgroupnsMode":"host"`)},
		{"bind /proc/sys", "/v1.41/containers/create", hc(`,"Binds":["/proc/sys:/x"]`)},
		{"bind //", "/v1.41/containers/create", hc(`,"Binds":["//:/x"]`)},
		{"bind /./", "/v1.41/containers/create", hc(`,"Binds":["/.:/x"]`)},
		{"bind /etc/..", "/v1.41/containers/create", hc(`,"Binds":["/etc/..:/x"]`)},
		{"bind trailing slash", "/v1.41/containers/create", hc(`,"Binds":["/etc/:/x"]`)},
		{"mount bind /etc/../", "/v1.41/containers/create", hc(`,"Mounts":[{"Type":"bind","Source":"/etc/../","Target":"/x"}]`)},
		{"mount type BIND upper", "/v1.41/containers/create", hc(`,"Mounts":[{"Type":"BIND","Source":"/","Target":"/x"}]`)},
		{"volume local type=proc", "/v1.41/volumes/create", `{"Name":"p","DriverOpts":{"type":"proc","device":"proc"}}`},
		{"volume local type=sysfs", "/v1.41/volumes/create", `{"Name":"s","DriverOpts":{"type":"sysfs","device":"sysfs"}}`},
		{"volume local overlay lowerdir=/", "/v1.41/volumes/create", `{"Name":"o","DriverOpts":{"type":"overlay","device":"overlay","o":"lowerdir=/:/tmp"}}`},
		{"volume o=BIND", "/v1.41/volumes/create", `{"Name":"b","DriverOpts":{"type":"none","device":"/","o":"ro,bind"}}`},
		{"exec user -0", "/v1.41/containers/x/exec", `{"User":"-0","Cmd":["id"]}`},
		{"exec user toor", "/v1.41/containers/x/exec", `{"User":"toor","Cmd":["id"]}`},
		{"exec user 0x0", "/v1.41/containers/x/exec", `{"User":"4294967296","Cmd":["id"]}`},
		{"network create macvlan parent", "/v1.41/networks/create", `{"Name":"m","Driver":"macvlan","Options":{"parent":"eth0"}}`},
		{"network create ipvlan", "/v1.41/networks/create", `{"Name":"i","Driver":"ipvlan","Options":{"parent":"eth0","ipvlan_mode":"l2"}}`},
		{"commit with config", "/v1.41/commit?container=x&repo=r", `{"User":"0","Cmd":["sh"]}`},
		{"images create fromSrc", "/v1.41/images/create?fromSrc=-&repo=r&changes=USER%200", ``},
	} {
		r := &Request{RequestMethod: "POST", RequestURI: tc.path, RequestBody: []byte(tc.body), RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": fmt.Sprint(len(tc.body))}}
		dec := d.Decide(context.Background(), r)
		t.Logf("%-32s allow=%v rules=%v", tc.name, dec.Allow, dec.Rules())
	}
}

func advToorFiles(files testenv.Files) testenv.Files {
	out := testenv.Files{"passwd": []byte("root:x:0:0:root:/:/busybox\ntoor:x:0:0:alias:/:/busybox\napp:x:10001:10001::/:/busybox\n")}
	for k, v := range files {
		out[k] = v
	}
	return out
}
