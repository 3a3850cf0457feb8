package enforce

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/rules"
)

// Every field of every request type is classified, every entry names a
// field that exists, and every judging rule exists: a moby upgrade that
// adds a field fails here until the field is classified.
func TestFieldTableComplete(t *testing.T) {
	used := map[string]bool{}
	for _, rt := range requestTypes {
		for _, p := range FieldPaths(rt.Name, rt.Type) {
			f, at, ok := Classify(p)
			if !ok {
				t.Errorf("field %s is not classified in fieldTable", p)
				continue
			}
			for _, q := range enclosing(at) {
				used[q] = true
			}
			if f.Class == 0 {
				t.Errorf("%s: no class", at)
			}
		}
	}
	var stale []string
	for p, f := range fieldTable {
		if !used[p] {
			stale = append(stale, p)
		}
		if f.Class == Judged && len(f.Rules) == 0 {
			t.Errorf("%s is judged by no rule", p)
		}
		for _, r := range f.Rules {
			if len(rules.Lookup(r)) != 1 {
				t.Errorf("%s names %q, not one catalogue rule", p, r)
			}
		}
	}
	for p, f := range buildParams {
		for _, r := range f.Rules {
			if len(rules.Lookup(r)) != 1 {
				t.Errorf("build parameter %s names %q, not one catalogue rule", p, r)
			}
		}
	}
	sort.Strings(stale)
	for _, p := range stale {
		t.Errorf("fieldTable entry %s names no field", p)
	}
}

// The legacy fields dockerd 20.10 reads are in the types, where the
// table can classify them.
func TestLegacyFieldsPresent(t *testing.T) {
	for _, want := range []string{"Config.MacAddress", "HostConfig.KernelMemory", "HostConfig.KernelMemoryTCP", "HostConfig.Capabilities", "Exec.Detach", "Service.Networks[].Target"} {
		name, _, _ := strings.Cut(want, ".")
		found := false
		for _, rt := range requestTypes {
			if rt.Name != name {
				continue
			}
			for _, p := range FieldPaths(rt.Name, rt.Type) {
				found = found || p == want
			}
		}
		if !found {
			t.Errorf("%s is not a field of the request types", want)
		}
	}
}

func TestSetFields(t *testing.T) {
	c, err := DecodeCreate([]byte(`{"Image":"a","HostConfig":{"Sysctls":{"kernel.shm_rmid_forced":"1"},"MaskedPaths":[],"VolumeDriver":"local","OomScoreAdj":-500,"Mounts":[{"Type":"volume","Target":"/x","ClusterOptions":{}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := setFields("HostConfig", reflect.ValueOf(c.HostConfig))
	want := []string{"HostConfig.MaskedPaths", "HostConfig.Mounts[].ClusterOptions", "HostConfig.OomScoreAdj"} // Sysctls are judged (sysctl)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("set fields %v, want %v", got, want)
	}
	c, _ = DecodeCreate([]byte(`{"Image":"a","HostConfig":{"MaskedPaths":null,"OomScoreAdj":10,"VolumeDriver":""}}`))
	if got := setFields("HostConfig", reflect.ValueOf(c.HostConfig)); len(got) != 0 {
		t.Errorf("unset fields reported: %v", got)
	}
}

func TestPasswdUID(t *testing.T) {
	// As runc reads it: lines trimmed, the first match wins, a UID that is
	// empty or not a number is 0.
	const passwd = "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\r\napp:x:10001:10001::/app:/sbin/nologin\nbad:x:notanumber:0::/:\n" +
		"  spaced:x:0:0::/:/bin/sh\nempty:x::0::/:\nshort:x\napp:x:0:0::/:/bin/sh\n"
	for name, want := range map[string]int64{"root": 0, "toor": 0, "app": 10001, "bad": 0, "spaced": 0, "empty": 0, "short": 0} {
		if uid, ok := passwdUID(passwd, name); !ok || uid != want {
			t.Errorf("%s: %d %v, want %d", name, uid, ok, want)
		}
	}
	for _, name := range []string{"nobody", "ap", ""} {
		if _, ok := passwdUID(passwd, name); ok {
			t.Errorf("%s: found", name)
		}
	}
	for u, want := range map[string]string{"app": "app", "app:staff": "app", "1000": "", "0:0": "", "": "", " toor ": " toor ", "1000 ": "1000 ", "1000 :0": "1000 "} { // runc does not trim the user it is given
		if got := userName(u); got != want {
			t.Errorf("userName(%q) = %q, want %q", u, got, want)
		}
	}
}

// Every name the enforcement code reports under is a request rule of the
// catalogue, and every request rule is reported somewhere: a check cannot
// exist outside the catalogue, nor a catalogue entry without its check.
func TestRequestRules(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{"request-unjudged": true}
	re := regexp.MustCompile(`\.check\("([a-z0-9-]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
			if rs := rules.Lookup(m[1]); len(rs) != 1 || !rs[0].Request {
				t.Errorf("%s: check %q is not a request rule of the catalogue", f, m[1])
			}
		}
	}
	for _, r := range rules.All() {
		if r.Request && !used[r.Slug] {
			t.Errorf("request rule %s (%s) is reported by no check", r.Slug, r.ID)
		}
	}
}

// rules.disable quiets the audit, not the boundary: a rule that denies by
// default, or a request rule, still denies when the audit settings
// disable it or its control; enforce.rules is what turns it off.
func TestAuditDisableKeepsDenyRules(t *testing.T) {
	join := req("POST", "/v1.41/containers/create", strings.Replace(hardened, `"HostConfig":{`, `"HostConfig":{"PidMode":"container:host-pid-one",`, 1))
	exec := req("POST", "/v1.41/containers/hard/exec", `{"User":"0","Cmd":["sh"]}`)
	want := map[*Request]string{join: "DG338", exec: "DG352"}
	for _, disable := range [][]string{{"shared-namespace"}, {"host-namespaces", "non-root-user"}, {"DG338", "DG352"}} {
		d := New(Settings{Config: config.Enforce{Profile: rules.Restricted}, Rules: rules.Config{Disable: disable}, Self: "dockguard"}, testImages)
		for _, r := range []*Request{join, exec} {
			dec := d.Decide(context.Background(), r)
			if dec.Allow || len(dec.Violations) == 0 || dec.Violations[0].Rule != want[r] || !dec.Violations[0].Deny {
				t.Errorf("rules.disable %v: %s %s: %+v, want a %s denial", disable, r.RequestURI, r.RequestBody, dec.Violations, want[r])
			}
		}
	}
	d := New(Settings{Config: config.Enforce{Profile: rules.Restricted, Rules: map[string]string{"shared-namespace": "off", "exec-root": "warn"}}, Self: "dockguard"}, testImages)
	for _, r := range []*Request{join, exec} {
		if dec := d.Decide(context.Background(), r); !dec.Allow {
			t.Errorf("enforce.rules relaxes it, yet %s is denied: %s", r.RequestURI, dec.Msg)
		}
	}
}

// enforce.rules overrides are applied most specific first, the stricter of
// equals winning, whatever the map order; fail-closed rules ignore them.
func TestEnforceRulesPrecedence(t *testing.T) {
	hostNet := req("POST", "/v1.41/containers/create", strings.Replace(hardened, `"HostConfig":{`, `"HostConfig":{"NetworkMode":"host",`, 1))
	masked := req("POST", "/v1.41/containers/create", strings.Replace(hardened, `"HostConfig":{`, `"HostConfig":{"MaskedPaths":[],`, 1))
	for _, tc := range []struct {
		rules map[string]string
		r     *Request
		allow bool
	}{
		{map[string]string{"host-namespaces": "warn", "host-network": "deny"}, hostNet, false},
		{map[string]string{"host-namespaces": "deny", "host-network": "warn"}, hostNet, true},
		{map[string]string{"host-network": "warn", "DG336": "off", "dg336": "deny"}, hostNet, false},
		{map[string]string{"field-denied": "off"}, masked, false},
		{map[string]string{"field-denied": "warn", "privileged": "off"}, masked, false},
	} {
		d := newDecider(config.Enforce{Rules: tc.rules})
		for range 50 { // map order varies between iterations
			if dec := d.Decide(context.Background(), tc.r); dec.Allow != tc.allow {
				t.Fatalf("%v: allow=%v, want %v: %s", tc.rules, dec.Allow, tc.allow, dec.Msg)
			}
		}
	}
}

// volumeImages answers like testImages and holds one volume, hostroot,
// that binds the host's /.
type volumeImages struct{ *fakeImages }

func (volumeImages) Volume(_ context.Context, name string) (string, map[string]string, bool, error) {
	if name == "hostroot" {
		return "local", map[string]string{"type": "none", "o": "bind", "device": "/"}, true, nil
	}
	return "", nil, false, nil
}

// An existing volume is judged as the daemon holds it whatever the mount
// says about a driver: the daemon mounts the existing volume.
func TestExistingVolumeWithDriverConfig(t *testing.T) {
	d := New(Settings{Self: "dockguard"}, volumeImages{testImages})
	for _, m := range []string{
		`{"Type":"volume","Source":"hostroot","Target":"/h"}`,
		`{"Type":"volume","Source":"hostroot","Target":"/h","VolumeOptions":{"DriverConfig":{"Name":"local"}}}`,
		`{"Type":"volume","Source":"hostroot","Target":"/h","VolumeOptions":{"DriverConfig":{}}}`,
	} {
		body := strings.Replace(hardened, `"HostConfig":{`, `"HostConfig":{"Mounts":[`+m+`],`, 1)
		dec := d.Decide(context.Background(), req("POST", "/v1.41/containers/create", body))
		if dec.Allow || !strings.Contains(dec.Msg, "volume-bind") {
			t.Errorf("%s: %+v", m, dec)
		}
	}
}

// A device is judged where the daemon will open it: a relative path from
// the daemon's working folder, a path outside /dev possibly replaced by a
// symlink to a disk after the decision.
func TestDeviceRiskPaths(t *testing.T) {
	for _, p := range []string{"dev/loop0", "loop0", "/tmp/plant/disk", "/srv/x", "/dev/sda", "/dev/mem", "/dev", "/",
		"/dev/tty0", "/dev/tty1", "/dev/console", "/dev/vcs", "/dev/vcsa1", "/dev/kmsg"} {
		if deviceRisk(p) == "" {
			t.Errorf("%s: no risk", p)
		}
	}
	for _, p := range []string{"/dev/fuse", "/dev/net/tun", "/dev/ttyUSB0", "/dev/ttyS0", "/dev/dri/renderD128"} {
		if why := deviceRisk(p); why != "" {
			t.Errorf("%s: %s", p, why)
		}
	}
}

// Device cgroup rules open a device by number as surely as by path: the
// memory and port devices by major:minor (found by the fifth adversarial
// pass) deny like /dev/mem does.
func TestCgroupRuleRisk(t *testing.T) {
	for _, r := range []string{"a *:* rwm", "b 7:0 rwm", "c *:* rwm", "c 1:* rwm", "c 1:1 rwm", "c 1:2 r", "c 1:4 rw", "c 10:237 rwm"} {
		if cgroupRuleRisk(r) == "" {
			t.Errorf("%q: no risk", r)
		}
	}
	for _, r := range []string{"c 10:200 rwm", "c 226:128 rw", "c 4:64 rw"} {
		if why := cgroupRuleRisk(r); why != "" {
			t.Errorf("%q: %s", r, why)
		}
	}
}
