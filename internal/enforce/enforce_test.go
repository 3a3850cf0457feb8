package enforce

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/config"
	apicontainer "github.com/moby/moby/api/types/container"
)

// fakeImages answers image and container users from maps: images named
// notpulled… are not present, other images not listed run as root, a
// container not listed is not found; err makes every answer fail. A
// container is inspected as a plain create of app:1 with its user, or as
// specs holds it; the daemon's version is version.
type fakeImages struct {
	images, containers map[string]string
	specs              map[string]*apicontainer.HostConfig
	version            string
	remap              bool // the daemon remaps user namespaces
	err                error
}

func (f *fakeImages) InspectContainer(_ context.Context, ref string) (*Inspected, bool, error) {
	if f.err != nil {
		return nil, false, f.err
	}
	u, ok := f.containers[ref]
	if !ok {
		return nil, false, nil
	}
	hc := &apicontainer.HostConfig{}
	if h, ok := f.specs[ref]; ok {
		hc = h
	}
	return &Inspected{ID: ref, Name: ref, Config: &apicontainer.Config{Image: "app:1", User: u}, HostConfig: hc}, true, nil
}

func (f *fakeImages) DaemonFacts(context.Context) (DaemonFacts, error) {
	if f.err != nil {
		return DaemonFacts{}, f.err
	}
	if f.version == "" {
		return DaemonFacts{}, errors.New("no version")
	}
	return DaemonFacts{Version: f.version, UsernsRemap: f.remap}, nil
}

func (f *fakeImages) ImageUser(_ context.Context, ref string) (string, bool, error) {
	if f.err != nil {
		return "", false, f.err
	}
	if strings.HasPrefix(ref, "notpulled") {
		return "", false, nil
	}
	return f.images[ref], true, nil // images not listed run as root
}

func (f *fakeImages) ContainerUser(_ context.Context, id string) (string, bool, error) {
	if f.err != nil {
		return "", false, f.err
	}
	u, ok := f.containers[id]
	return u, ok, nil
}

var testImages = &fakeImages{
	images: map[string]string{"app:1": "10001:10001", "rootimg:1": "", "alpine": ""},
	containers: map[string]string{"c1": "10001", "rootc": "", "rootc0": "0",
		"privileged-one": "10001", "host-pid-one": "10001", "with-device": "10001", "hard": "10001"},
	specs: map[string]*apicontainer.HostConfig{
		"hard":           hardenedHost(), // passes restricted@v1
		"privileged-one": {Privileged: true},
		"host-pid-one":   {PidMode: "host"},
		"with-device":    {Resources: apicontainer.Resources{Devices: []apicontainer.DeviceMapping{{PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rwm"}}}},
	},
	version: "20.10.24+dfsg1", // in the range of CVE-2026-41567
}

func newDecider(e config.Enforce) *Decider {
	return New(Settings{Config: e, Self: "dockguard"}, testImages)
}

// req builds an AuthZReq as dockerd sends it for a JSON request.
func req(method, uri, body string) *Request {
	r := &Request{RequestMethod: method, RequestURI: uri, RequestHeaders: map[string]string{}}
	if body != "" {
		r.RequestBody = []byte(body)
		r.RequestHeaders["Content-Type"] = "application/json"
		r.RequestHeaders["Content-Length"] = strconv.Itoa(len(body))
	}
	return r
}

// hardened is a create body that passes the default policy.
const hardened = `{"Image":"app:1","User":"10001:10001","Healthcheck":{"Test":["CMD","/app"]},
"HostConfig":{"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":268435456,"MemorySwap":268435456,
"NanoCpus":500000000,"PidsLimit":100,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},
"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1024},{"Name":"nproc","Soft":512,"Hard":512}]}}`

func TestHardenedAllowed(t *testing.T) {
	d := newDecider(config.Enforce{})
	for _, uri := range []string{"/v1.41/containers/create?name=web", "/containers/create"} {
		dec := d.Decide(context.Background(), req("POST", uri, hardened))
		if !dec.Allow {
			t.Errorf("%s: hardened create denied: %s", uri, dec.Msg)
		}
	}
	for _, r := range []*Request{
		req("GET", "/v1.41/containers/json?all=1", ""),
		req("GET", "/_ping", ""),
		req("HEAD", "/_ping", ""),
		req("GET", "/v1.41/images/ghcr.io/acme/app:1/json", ""),
		req("POST", "/v1.41/containers/abc/start", ""),
		req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"10001"}`),
		req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"]}`),
		req("POST", "/v1.41/containers/c1/update", `{"Memory":134217728,"MemorySwap":134217728}`),
		req("POST", "/v1.41/volumes/create", `{"Name":"data"}`),
		req("POST", "/v1.41/containers/create", `{"Image":"notpulled:1"}`),
	} {
		if dec := d.Decide(context.Background(), r); !dec.Allow {
			t.Errorf("%s %s %s: denied: %s", r.RequestMethod, r.RequestURI, r.RequestBody, dec.Msg)
		}
	}
}

func TestModes(t *testing.T) {
	bad := `{"Image":"alpine","HostConfig":{"Privileged":true}}`
	for _, mode := range []string{"warn", "audit"} {
		dec := newDecider(config.Enforce{Mode: mode}).Decide(context.Background(), req("POST", "/containers/create", bad))
		if !dec.Allow || len(dec.Violations) == 0 || dec.Msg == "" {
			t.Errorf("%s: %+v", mode, dec)
		}
	}
	// minSeverity and per-rule overrides.
	root := `{"Image":"rootimg:1","HostConfig":` + hardened[strings.Index(hardened, `{"CapDrop"`):]
	if dec := newDecider(config.Enforce{}).Decide(context.Background(), req("POST", "/containers/create", root)); !dec.Allow {
		t.Errorf("root image (medium) denied at min high: %s", dec.Msg)
	}
	if dec := newDecider(config.Enforce{Profile: rules.Restricted}).Decide(context.Background(), req("POST", "/containers/create", root)); dec.Allow {
		t.Errorf("root image allowed at min medium")
	}
	if dec := newDecider(config.Enforce{Rules: map[string]string{"root-user": "deny"}}).Decide(context.Background(), req("POST", "/containers/create", root)); dec.Allow || !strings.Contains(dec.Msg, "DG301") {
		t.Errorf("root-user: deny did not deny: %+v", dec)
	}
	if dec := newDecider(config.Enforce{Rules: map[string]string{"privileged": "off"}}).Decide(context.Background(), req("POST", "/containers/create", `{"Image":"app:1","HostConfig":{"Privileged":true}}`)); strings.Contains(dec.Msg, "DG330") {
		t.Errorf("privileged: off still reported: %s", dec.Msg)
	}
}

const digestA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// Exemptions hold only for what the requester cannot choose: the image
// named by its digest, the client's identity. Tags, names and labels
// exempt nothing.
func TestExemptions(t *testing.T) {
	bad := func(image, extra string) string {
		return `{"Image":"` + image + `"` + extra + `,"HostConfig":{"Privileged":true}}`
	}
	d := newDecider(config.Enforce{Exempt: config.Exemptions{Images: []string{digestA, "ghcr.io/acme/agent@" + digestA}, Users: []string{"admin"}}})
	for _, r := range []*Request{
		req("POST", "/containers/create", bad("other@"+digestA, "")),
		req("POST", "/containers/create", bad(digestA, "")),
		req("POST", "/containers/create", bad("ghcr.io/acme/agent:2@"+digestA, "")),
	} {
		if dec := d.Decide(context.Background(), r); !dec.Allow || !strings.Contains(dec.Reason, "exempt image digest") {
			t.Errorf("%s: not exempt: %+v", r.RequestBody, dec)
		}
	}
	r := req("POST", "/containers/create", bad("alpine", ""))
	r.User, r.UserAuthNMethod = "admin", "TLS"
	if dec := d.Decide(context.Background(), r); !dec.Allow {
		t.Errorf("TLS identity not exempt")
	}
	only := newDecider(config.Enforce{Exempt: config.Exemptions{Images: []string{"ghcr.io/acme/agent@" + digestA}}})
	for _, r := range []*Request{
		req("POST", "/containers/create", bad("ghcr.io/acme/agent:2", "")), // the tag of an exempt image
		req("POST", "/containers/create", bad("ghcr.io/acme/agent", "")),   // the repository
		req("POST", "/containers/create", bad("evil/agent@"+digestA, "")),  // another repository with the digest
		req("POST", "/containers/create", bad("sha256:0123", "")),          // a prefix of it
		req("POST", "/containers/create?name=ops", bad("alpine", "")),      // names are not exemptions
		req("POST", "/containers/create", bad("alpine", `,"Labels":{"acme.exempt":"yes"}`)),
	} {
		if dec := only.Decide(context.Background(), r); dec.Allow {
			t.Errorf("%s: exempt by mistake: %s", r.RequestBody, dec.Reason)
		}
	}
}

func TestImageUserUnknown(t *testing.T) {
	body := `{"Image":"app:1","HostConfig":` + hardened[strings.Index(hardened, `{"CapDrop"`):]
	down := New(Settings{}, &fakeImages{err: errors.New("connection refused")})
	if dec := down.Decide(context.Background(), req("POST", "/containers/create", body)); dec.Allow || !strings.Contains(dec.Msg, "image-user-unknown") {
		t.Errorf("daemon down: %+v", dec)
	}
	lenient := New(Settings{Config: config.Enforce{UnknownImageUser: "allow"}}, &fakeImages{err: errors.New("connection refused")})
	if dec := lenient.Decide(context.Background(), req("POST", "/containers/create", body)); !dec.Allow {
		t.Errorf("unknownImageUser allow: %+v", dec)
	}
	// An exec is judged by the container it enters: one that cannot be
	// inspected is not judged, whatever unknownImageUser says.
	exec := req("POST", "/containers/c1/exec", `{"Cmd":["sh"]}`)
	for _, d := range []*Decider{down, lenient} {
		if dec := d.Decide(context.Background(), exec); dec.Allow || !strings.Contains(dec.Msg, "exec-container-unknown") || !strings.Contains(dec.Msg, "connection refused") {
			t.Errorf("exec, container not inspectable: %+v", dec)
		}
	}
}

// TestWritableBindAsRoot: a writable bind from a container that runs as
// UID 0 denies at baseline (root plants a set-user-ID file a local user
// runs), unless the daemon remaps user namespaces; a read-only bind or a
// non-root user passes.
func TestWritableBindAsRoot(t *testing.T) {
	ctx := context.Background()
	plain := New(Settings{Self: "dockguard"}, &fakeImages{images: map[string]string{"app:1": "10001"}, version: "20.10.24"})
	remap := New(Settings{Self: "dockguard"}, &fakeImages{images: map[string]string{"app:1": "10001"}, version: "20.10.24", remap: true})
	for _, tc := range []struct {
		body        string
		plain, remp bool // allowed
	}{
		{`{"Image":"app:1","User":"0","HostConfig":{"Binds":["/srv/data:/data"]}}`, false, true},
		{`{"Image":"app:1","User":"root:root","HostConfig":{"Binds":["/srv/data:/data:rw"]}}`, false, true},
		{`{"Image":"rootimg:1","HostConfig":{"Mounts":[{"Type":"bind","Source":"/srv/data","Target":"/data"}]}}`, false, true},
		{`{"Image":"app:1","User":"0","HostConfig":{"Binds":["/srv/data:/data:ro"]}}`, true, true},
		{`{"Image":"app:1","User":"10001:10001","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["/srv/data:/data"]}}`, true, true},
		// No GID: the image's /etc/passwd, or 0, decides the group.
		{`{"Image":"app:1","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["/srv/data:/data"]}}`, false, true},
		// GID 42 is shadow on Debian (the host's group file is read).
		{`{"Image":"app:1","User":"10001:` + shadowGID(t) + `","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["/srv/data:/data"]}}`, false, true},
		// GID 0: a set-group-ID-root file for any local user.
		{`{"Image":"app:1","User":"10001:0","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["/srv/data:/data"]}}`, false, true},
		// Non-root but able to become root through a set-user-ID file.
		{`{"Image":"app:1","HostConfig":{"Binds":["/srv/data:/data"]}}`, false, true},
		// "1000 " is a name to runc (a passwd line "1000 :x:0:0" is root).
		{`{"Image":"app:1","User":"1000 ","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["/srv/data:/data"]}}`, false, true},
		// A name, which the image's /etc/passwd may make UID 0.
		{`{"Image":"app:1","User":"toor","HostConfig":{"SecurityOpt":["no-new-privileges"],"Binds":["/srv/data:/data"]}}`, false, true},
		{`{"Image":"app:1","User":"0","HostConfig":{"UsernsMode":"host","Binds":["/srv/data:/data"]}}`, false, false},
	} {
		for _, d := range []struct {
			name string
			d    *Decider
			want bool
		}{{"plain", plain, tc.plain}, {"remap", remap, tc.remp}} {
			dec := d.d.Decide(ctx, req("POST", "/v1.41/containers/create", tc.body))
			if dec.Allow != d.want {
				t.Errorf("%s %s: allow=%v, want %v: %s", d.name, tc.body, dec.Allow, d.want, dec.Msg)
			}
			if !d.want && !strings.Contains(dec.Msg, "writable-bind-root") && !strings.Contains(dec.Msg, "writable-bind-suid") && !strings.Contains(dec.Msg, "userns-host") {
				t.Errorf("%s %s: denied without writable-bind-root: %s", d.name, tc.body, dec.Msg)
			}
		}
	}
}

// shadowGID is this host's shadow group, or 0 (root: privileged too) where
// it has none.
func shadowGID(t *testing.T) string {
	b, err := os.ReadFile("/etc/group")
	if err != nil {
		return "0"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) >= 3 && f[0] == "shadow" {
			return f[2]
		}
	}
	return "0"
}
