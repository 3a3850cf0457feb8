package enforce

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
)

// groupImages is a daemon whose one container binds a folder and whose
// image's /etc/group is group.
type groupImages struct {
	fakeImages
	user, group string
	hc          *apicontainer.HostConfig
}

func (g *groupImages) ContainerHostConfig(context.Context, string) (string, string, *apicontainer.HostConfig, bool, error) {
	return "app:1", g.user, g.hc, true, nil
}

func (g *groupImages) ContainerFile(_ context.Context, _, file string) ([]byte, bool, error) {
	if file != "/etc/group" || g.group == "" {
		return nil, false, nil
	}
	return []byte(g.group), true, nil
}

// TestBindSwappable: a bind whose path a user other than root can change
// is allowed only to a container that can act only as an unprivileged
// user: numeric UID and GID written exactly, no-new-privileges, no
// supplementary groups (--group-add, or the image's /etc/group at start).
// Found by the fifth adversarial pass: "1000 " is a name runc resolves,
// and a missing GID is 0.
func TestBindSwappable(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777) // writable by anyone: any local user can swap what is in it
	src := filepath.Join(open, "data")
	os.Mkdir(src, 0o755)
	ctx := context.Background()
	d := New(Settings{Self: "dockguard"}, &fakeImages{images: map[string]string{"app:1": "10001"}, version: "20.10.24"})
	for _, tc := range []struct {
		user, extra string
		allow       bool
	}{
		{"1000:1000", ``, true},
		{"1000", ``, false},       // GID 0
		{"1000:0", ``, false},     // GID 0
		{"1000 :1000", ``, false}, // a name
		{"+1000:1000", ``, false},
		{"1000:1000", `,"GroupAdd":["42"]`, false},
		{"0:0", ``, false},
	} {
		body := `{"Image":"app:1","User":"` + tc.user + `","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["` + src + `:/x:ro"]` + tc.extra + `}}`
		dec := d.Decide(ctx, req("POST", "/v1.41/containers/create", body))
		if dec.Allow != tc.allow {
			t.Errorf("user %q%s: allow=%v, want %v: %s", tc.user, tc.extra, dec.Allow, tc.allow, dec.Msg)
		}
		if !tc.allow && !strings.Contains(dec.Msg, "bind-swappable") && !strings.Contains(dec.Msg, "writable-bind") {
			t.Errorf("user %q%s: denied without bind-swappable: %s", tc.user, tc.extra, dec.Msg)
		}
	}
	// Without no-new-privileges a set-user-ID file makes the user root.
	if dec := d.Decide(ctx, req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000:1000","HostConfig":{"Binds":["`+src+`:/x:ro"]}}`)); dec.Allow {
		t.Errorf("no no-new-privileges: allowed")
	}
	// A folder only root can change is not swappable.
	safe := t.TempDir()
	os.Chmod(safe, 0o755)
	if dec := d.Decide(ctx, req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"0","HostConfig":{"Binds":["`+safe+`:/x:ro"]}}`)); !dec.Allow {
		t.Errorf("root-only folder: denied: %s", dec.Msg)
	}

	// At start the same holds, from the container as the daemon has it;
	// with the GID given, runc adds no groups from the image's /etc/group
	// (seen by effect by two adversarial passes), so it is not read.
	hc := &apicontainer.HostConfig{Binds: []string{src + ":/x:ro"}, SecurityOpt: []string{"no-new-privileges"}}
	for _, tc := range []struct {
		user  string
		allow bool
	}{
		{"1000:1000", true},
		{"1000", false},
		{"999:1000", false}, // a system user of the host
		{"1000:999", false}, // a system group
	} {
		g := &groupImages{fakeImages: fakeImages{images: map[string]string{"app:1": "10001"}, version: "20.10.24"}, user: tc.user, group: "shadow:x:42:app\n", hc: hc}
		dec := New(Settings{Self: "dockguard"}, g).Decide(ctx, req("POST", "/v1.41/containers/c1/start", ""))
		if dec.Allow != tc.allow {
			t.Errorf("start as %q: allow=%v, want %v: %s", tc.user, dec.Allow, tc.allow, dec.Msg)
		}
	}
}

// TestArchiveRejudgesBinds: docker cp makes the daemon mount a stopped
// container's binds again, as root, following their paths as they are
// then, and write the archive's owners and modes as root. Found by the
// sixth adversarial pass: a read of a swapped bind gave the host's
// /etc/shadow, a copy into a writable bind a set-user-ID-root file.
func TestArchiveRejudgesBinds(t *testing.T) {
	ctx := context.Background()
	open := filepath.Join(t.TempDir(), "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	src := filepath.Join(open, "data")
	os.Mkdir(src, 0o755)
	safe := t.TempDir()
	os.Chmod(safe, 0o755)
	base := fakeImages{images: map[string]string{"app:1": "10001"}, version: "29.9.9"}
	nnp := []string{"no-new-privileges"}
	for _, tc := range []struct {
		name, method, uri string
		hc                *apicontainer.HostConfig
		allow             bool
	}{
		{"read through a swappable bind", "GET", "/v1.41/containers/c1/archive?path=/x", &apicontainer.HostConfig{SecurityOpt: nnp, Binds: []string{src + ":/x:ro"}}, false},
		// The seventh pass: a bind at /etc/group, swapped to the host's
		// /etc/shadow, read as "/etc/group": no path is exempt.
		{"read of /etc/group bound from a swappable path", "GET", "/v1.41/containers/c1/archive?path=/etc/group", &apicontainer.HostConfig{SecurityOpt: nnp, Binds: []string{src + ":/etc/group:ro"}}, false},
		{"read through a root-only bind", "GET", "/v1.41/containers/c1/archive?path=/x", &apicontainer.HostConfig{SecurityOpt: nnp, Binds: []string{safe + ":/x:ro"}}, true},
		{"copy into a writable bind", "PUT", "/v1.41/containers/c1/archive?path=/x", &apicontainer.HostConfig{SecurityOpt: nnp, Binds: []string{safe + ":/x"}}, false},
		{"copy into a container without binds", "PUT", "/v1.41/containers/c1/archive?path=/", &apicontainer.HostConfig{SecurityOpt: nnp}, true},
	} {
		g := &groupImages{fakeImages: base, user: "1000:1000", hc: tc.hc}
		r := req(tc.method, tc.uri, "")
		if tc.method == "PUT" {
			r.RequestHeaders["Content-Type"] = "application/x-tar"
		}
		dec := New(Settings{Self: "dockguard"}, g).Decide(ctx, r)
		if dec.Allow != tc.allow {
			t.Errorf("%s: allow=%v, want %v: %s", tc.name, dec.Allow, tc.allow, dec.Msg)
		}
	}
}
