package testenv_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestDaemon starts a private daemon, builds a scratch image with the test
// program and busybox, and runs a privileged container (which needs the
// runc wrapper on machines without CAP_SYS_RESOURCE).
func TestDaemon(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	d.BuildImage(t, "dgtest/app:1", "FROM scratch\nCOPY app busybox /\nUSER 10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t), "busybox": testenv.Busybox(t)})
	for _, priv := range []bool{false, true} {
		cr, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:     &container.Config{Image: "dgtest/app:1", Cmd: []string{"exit", "3"}},
			HostConfig: &container.HostConfig{Privileged: priv},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start (privileged %v): %v", priv, err)
		}
		w := d.Client.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{})
		select {
		case r := <-w.Result:
			if r.StatusCode != 3 {
				t.Errorf("exit code %d, want 3", r.StatusCode)
			}
		case err := <-w.Error:
			t.Fatal(err)
		}
	}
}

// TestDaemonOptions starts a daemon with every option the later tests
// use: icc off, userns-remap, no-new-privileges, default ulimits and an
// authorization plugin that refuses privileged containers.
func TestDaemonOptions(t *testing.T) {
	t.Parallel()
	var asked atomic.Int32
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.2+json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string][]string{"Implements": {"authz"}})
	})
	mux.HandleFunc("/AuthZPlugin.AuthZReq", func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		var q struct {
			RequestMethod, RequestURI string
			RequestBody               []byte
		}
		_ = json.NewDecoder(r.Body).Decode(&q)
		if strings.Contains(q.RequestURI, "/containers/create") && strings.Contains(string(q.RequestBody), `"Privileged":true`) {
			reply(w, map[string]any{"Allow": false, "Msg": "no privileged containers"})
			return
		}
		reply(w, map[string]any{"Allow": true})
	})
	mux.HandleFunc("/AuthZPlugin.AuthZRes", func(w http.ResponseWriter, r *http.Request) { reply(w, map[string]any{"Allow": true}) })
	d := testenv.Start(t, testenv.Options{
		ICC: testenv.Bool(false), UsernsRemap: true, NoNewPrivileges: true,
		DefaultUlimits: []string{"nofile=1024:2048"},
		AuthzPlugins:   []testenv.Plugin{{Name: "dgtestauthz", Handler: mux}},
	})
	ctx := context.Background()
	info, err := d.Client.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := strings.Join(info.Info.SecurityOptions, " ")
	if !strings.Contains(opts, "name=userns") {
		t.Errorf("security options %q: want userns", opts)
	}
	if len(info.Info.Plugins.Authorization) != 1 || info.Info.Plugins.Authorization[0] != "dgtestauthz" {
		t.Errorf("authorization plugins %v", info.Info.Plugins.Authorization)
	}
	d.BuildImage(t, "dgtest/app:1", "FROM scratch\nCOPY app /\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	_, err = d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: "dgtest/app:1"},
		HostConfig: &container.HostConfig{Privileged: true, UsernsMode: "host"},
	})
	if err == nil || !strings.Contains(err.Error(), "no privileged containers") {
		t.Errorf("privileged create: %v, want a denial by the plugin", err)
	}
	cr, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "dgtest/app:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	if asked.Load() == 0 {
		t.Error("the plugin was never asked")
	}
	nw, err := d.Client.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := nw.Network.Options["com.docker.network.bridge.enable_icc"]; v != "false" {
		t.Errorf("default bridge enable_icc = %q, want false", v)
	}
}
