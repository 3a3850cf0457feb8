package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// attack is one request sent raw to a guarded daemon.
type attack struct {
	name, method, path, body string
	header                   map[string]string
}

// rawClient sends exact bytes to a daemon's unix socket (or a proxy's).
func rawClient(host string) *http.Client {
	sock := strings.TrimPrefix(host, "unix://")
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
}

func send(t *testing.T, hc *http.Client, a attack) (int, string) {
	t.Helper()
	var body io.Reader
	if a.body != "" {
		body = strings.NewReader(a.body)
	}
	r, err := http.NewRequest(a.method, "http://docker"+a.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if a.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range a.header {
		r.Header.Set(k, v)
	}
	res, err := hc.Do(r)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return res.StatusCode, string(b)
}

// createAttacks are create requests the daemon would act on dangerously;
// image is present in the daemon unless the name says otherwise.
func createAttacks(image, hostNetID string) []attack {
	c := func(name, body string) attack {
		return attack{name: name, method: "POST", path: "/v1.41/containers/create", body: strings.ReplaceAll(body, "IMG", image)}
	}
	list := []attack{
		c("top-level Privileged", `{"Image":"IMG","Privileged":true}`),
		c("top-level Binds", `{"Image":"IMG","User":"10001","Binds":["/:/host"]}`),
		c("top-level PidMode with HostConfig null", `{"Image":"IMG","User":"10001","PidMode":"host","HostConfig":null}`),
		c("HostConfig reset by a later null", `{"Image":"IMG","HostConfig":{"CapDrop":["ALL"]},"Privileged":true,"hostconfig":null}`),
		c("merged case-variant objects", `{"Image":"IMG","HostConfig":{"CapDrop":["ALL"]},"hostconfig":{"Privileged":true}}`),
		c("case-variant duplicate", `{"Image":"IMG","HostConfig":{"Privileged":false,"PRIVILEGED":true}}`),
		c("Unicode-folded Binds", "{\"Image\":\"IMG\",\"User\":\"10001\",\"HostConfig\":{\"Bind\u017f\":[\"/:/host\"]}}"),
		c("Unicode-folded NetworkMode", "{\"Image\":\"IMG\",\"User\":\"10001\",\"HostConfig\":{\"NetworkMode\":\"none\",\"Networ\u212aMode\":\"host\"}}"),
		c("systempaths=unconfined", `{"Image":"IMG","User":"10001","HostConfig":{"MaskedPaths":[],"ReadonlyPaths":[]}}`),
		c("sysctl", `{"Image":"IMG","User":"10001","HostConfig":{"Sysctls":{"kernel.core_pattern":"|/tmp/x"}}}`),
		c("unknown Mounts key", `{"Image":"IMG","User":"10001","HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/host","Bogus":1}]}}`),
		c("extra endpoint on the host network", `{"Image":"IMG","User":"10001","HostConfig":{"NetworkMode":"bridge"},"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}`),
		c("absent image, privileged", `{"Image":"dg-absent:test","HostConfig":{"Privileged":true}}`),
		{name: "API 1.23 create", method: "POST", path: "/v1.23/containers/create", body: strings.ReplaceAll(`{"Image":"IMG","Privileged":true}`, "IMG", image)},
	}
	if hostNetID != "" {
		list = append(list,
			c("host network by full ID", `{"Image":"IMG","User":"10001","HostConfig":{"NetworkMode":"`+hostNetID+`"}}`),
			c("host network by ID prefix", `{"Image":"IMG","User":"10001","HostConfig":{"NetworkMode":"`+hostNetID[:12]+`"}}`),
		)
	}
	return list
}

// dangerous lists what is wrong with the daemon's state: containers that
// are privileged, share the host's namespaces, mount / or run unmasked,
// and local volumes that bind host paths.
func dangerous(ctx context.Context, t *testing.T, c *client.Client, hostNetID string) []string {
	t.Helper()
	var out []string
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, s := range list.Items {
		res, err := c.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatalf("inspect %s: %v", s.ID, err)
		}
		h := res.Container.HostConfig
		name := res.Container.Name
		switch {
		case h.Privileged:
			out = append(out, name+": privileged")
		case h.PidMode.IsHost() || h.IpcMode.IsHost() || h.NetworkMode.IsHost() || h.UTSMode.IsHost():
			out = append(out, name+": host namespace")
		case hostNetID != "" && strings.HasPrefix(hostNetID, string(h.NetworkMode)) && len(h.NetworkMode) >= 4:
			out = append(out, name+": host network by ID")
		case h.Sysctls["kernel.core_pattern"] != "" || len(h.Sysctls) > 0 && !strings.HasPrefix(firstKey(h.Sysctls), "net."):
			// Namespaced sysctls (net.*) are baseline's to allow.
			out = append(out, name+": sysctls")
		case h.MaskedPaths != nil && len(h.MaskedPaths) == 0:
			out = append(out, name+": unmasked /proc")
		case slices.ContainsFunc(h.CapAdd, func(c string) bool {
			return strings.EqualFold(c, "ALL") || strings.Contains(strings.ToUpper(c), "SYS_ADMIN")
		}):
			out = append(out, name+": capabilities")
		}
		for _, b := range h.Binds {
			if src, _, _ := strings.Cut(b, ":"); src == "/" {
				out = append(out, name+": binds /")
			}
		}
		for _, m := range h.Mounts {
			if m.Source == "/" {
				out = append(out, name+": mounts /")
			}
		}
		for n := range res.Container.NetworkSettings.Networks {
			if n == "host" && !h.NetworkMode.IsHost() {
				out = append(out, name+": endpoint on the host network")
			}
		}
	}
	vols, err := c.VolumeList(ctx, client.VolumeListOptions{})
	if err != nil {
		t.Fatalf("volumes: %v", err)
	}
	for _, v := range vols.Items {
		if v.Options["device"] != "" {
			out = append(out, "volume "+v.Name+": binds "+v.Options["device"])
		}
	}
	return out
}

// TestAttacksByEffectPlugin sends each attack raw to a daemon guarded by
// the plugin and then inspects the daemon: a 403 alone proves nothing.
func TestAttacksByEffectPlugin(t *testing.T) {
	d, p, imgs := guarded(t, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	d.BuildImage(t, "dg-hardened:test", "FROM scratch\nCOPY app /\nUSER 10001:10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	hostNet, err := d.Client.NetworkInspect(ctx, "host", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatalf("host network: %v", err)
	}
	hostNetID := hostNet.Network.ID
	hc := rawClient(d.Host)
	attacks := createAttacks("dg-hardened:test", hostNetID)
	attacks = append(attacks,
		attack{name: "volume binding /", method: "POST", path: "/v1.41/volumes/create", body: `{"Name":"hostroot","DriverOpts":{"type":"none","o":"bind","device":"/"}}`},
		attack{name: "volume binding /, unknown key", method: "POST", path: "/v1.41/volumes/create", body: `{"Name":"hostroot2","DriverOpts":{},"driveropts2":{"device":"/"}}`},
		attack{name: "build form body", method: "POST", path: "/v1.41/build?t=x", body: "networkmode=host", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
	)
	for _, a := range attacks {
		code, msg := send(t, hc, a)
		if code != http.StatusForbidden && code != 0 {
			t.Errorf("%s: status %d (%s), want 403", a.name, code, strings.TrimSpace(msg))
		}
	}
	// A benign create still passes, and so does a control that the daemon
	// reads as harmless (KernelMemory is sent by the 20.10 CLI).
	for _, body := range []string{
		`{"Image":"dg-hardened:test","User":"10001","HostConfig":{"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":268435456,"MemorySwap":268435456,"NanoCpus":500000000,"PidsLimit":100,"KernelMemory":0}}`,
	} {
		if code, msg := send(t, hc, attack{name: "benign", method: "POST", path: "/v1.41/containers/create", body: body}); code != http.StatusCreated {
			t.Errorf("benign create: %d %s", code, msg)
		}
	}
	// Streams: attach and exec start without Upgrade are denied.
	created, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "target", Config: &container.Config{Image: "dg-hardened:test"}, HostConfig: hardenedHost()})
	if err != nil {
		t.Fatalf("hardened create: %v", err)
	}
	if code, msg := send(t, hc, attack{name: "attach", method: "POST", path: "/v1.41/containers/" + created.ID + "/attach?stream=1&stdin=1&stdout=1"}); code != http.StatusForbidden {
		t.Errorf("attach without Upgrade: %d %s", code, msg)
	}
	if bad := dangerous(ctx, t, d.Client, hostNetID); len(bad) > 0 {
		t.Errorf("the daemon holds dangerous state after the attacks: %v", bad)
	}
	// Swarm init is not on the allow-list: done in audit mode.
	enforcing := p.Decider()
	p.Set(New(Settings{Self: "dockguard", ModeOverride: "audit"}, imgs))
	if _, err := d.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	p.Set(enforcing)
	checkServiceNetworks(ctx, t, d, hc, hostNetID)
}

// checkServiceNetworks tries, on a Swarm manager, to put a service on
// the host network by name, full ID, ID prefix and the
// deprecated service-level Networks; then no service may be on it.
func checkServiceNetworks(ctx context.Context, t *testing.T, d *testenv.Daemon, hc *http.Client, hostNetID string) {
	t.Helper()
	n := 0
	spec := func(networks string, top bool) string {
		n++
		task := `"TaskTemplate":{"ContainerSpec":{"Image":"dg-hardened:test","User":"10001"}`
		if !top {
			task += `,"Networks":` + networks
		}
		task += `}`
		body := `{"Name":"svc` + strconv.Itoa(n) + `",` + task
		if top {
			body += `,"Networks":` + networks
		}
		return body + `}`
	}
	for _, tc := range []struct {
		name string
		body string
	}{
		{"host by name", spec(`[{"Target":"host"}]`, false)},
		{"host by full ID", spec(`[{"Target":"`+hostNetID+`"}]`, false)},
		{"host by ID prefix", spec(`[{"Target":"`+hostNetID[:10]+`"}]`, false)},
		{"deprecated spec Networks, by ID", spec(`[{"Target":"`+hostNetID+`"}]`, true)},
	} {
		if code, msg := send(t, hc, attack{method: "POST", path: "/v1.41/services/create", body: tc.body}); code != http.StatusForbidden {
			t.Errorf("service %s: %d %s", tc.name, code, strings.TrimSpace(msg))
		}
	}
	svcs, err := d.Client.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		t.Fatalf("services: %v", err)
	}
	for _, s := range svcs.Items {
		b, _ := json.Marshal(s.Spec)
		if bytes.Contains(b, []byte(hostNetID)) || bytes.Contains(b, []byte(`"Target":"host"`)) {
			t.Errorf("service %s is on the host network: %s", s.Spec.Name, b)
		}
	}
}

// firstKey is the smallest key of a map (a stable pick).
func firstKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}
