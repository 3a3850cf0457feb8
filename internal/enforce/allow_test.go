package enforce

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/rules"
)

// TestAllowLists: each allow-list lets through exactly what it names, at
// baseline, and what it does not name still denies with the rule and the
// allow key in the message.
func TestAllowLists(t *testing.T) {
	ctx := context.Background()
	open := `{"defaultAction":"SCMP_ACT_ALLOW"}`
	hash, err := container.SeccompHash([]byte(open))
	if err != nil {
		t.Fatal(err)
	}
	allow := rules.Allow{
		Devices:          []string{"/dev/sdb"},
		Capabilities:     []string{"SYS_NICE"},
		SeccompProfiles:  []string{hash},
		AppArmorProfiles: []string{"web-profile"},
		SELinuxTypes:     []string{"svirt_apache_t"},
		VolumeDrivers:    []string{"rexray"},
		VolumeTypes:      []string{"ext4"},
		Sysctls:          []string{"kernel.printk"},
		Runtimes:         []string{"runsc"},
	}
	images := &fakeImages{images: map[string]string{"app:1": "10001"}, version: "20.10.24"}
	with := New(Settings{Self: "dockguard", Rules: rules.Config{Allow: allow}}, images)
	without := New(Settings{Self: "dockguard"}, images)
	q, _ := json.Marshal("seccomp=" + open)
	seccomp := string(q)
	for _, tc := range []struct {
		name, hc, rule string
	}{
		{"device", `"Devices":[{"PathOnHost":"/dev/sdb","PathInContainer":"/dev/sdb","CgroupPermissions":"rwm"}]`, "host-block-device"},
		{"capability", `"CapAdd":["SYS_NICE"]`, "capability-added"},
		{"seccomp", `"SecurityOpt":[` + seccomp + `]`, "seccomp-profile"},
		{"apparmor", `"SecurityOpt":["apparmor=web-profile"]`, "apparmor-profile"},
		{"selinux", `"SecurityOpt":["label=type:svirt_apache_t"]`, "selinux-type"},
		{"volume driver", `"Mounts":[{"Type":"volume","Source":"","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"rexray"}}}]`, "volume-driver"},
		{"volume type", `"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"ext4","device":"/dev/sdb"}}}}]`, "volume-bind"},
		{"sysctl", `"Sysctls":{"kernel.printk":"4"}`, "sysctl"},
		{"runtime", `"Runtime":"runsc"`, "runtime"},
	} {
		body := `{"Image":"app:1","HostConfig":{` + tc.hc + `}}`
		if dec := with.Decide(ctx, req("POST", "/v1.41/containers/create", body)); !dec.Allow {
			t.Errorf("%s on its allow-list: denied: %s", tc.name, dec.Msg)
		}
		dec := without.Decide(ctx, req("POST", "/v1.41/containers/create", body))
		if dec.Allow || !strings.Contains(dec.Msg, tc.rule) {
			t.Errorf("%s without an allow-list: allow=%v, want a %s denial: %s", tc.name, dec.Allow, tc.rule, dec.Msg)
		}
	}
	// What a list does not name still denies.
	for _, hc := range []string{
		`"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]`,
		`"CapAdd":["SYS_RESOURCE"]`,
		`"Sysctls":{"kernel.core_pattern":"|/x"}`,
		`"Runtime":"kata"`,
		`"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"ext4","device":"/dev/sda"}}}}]`,
		`"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"xfs","device":"/dev/sdb"}}}}]`,
	} {
		if dec := with.Decide(ctx, req("POST", "/v1.41/containers/create", `{"Image":"app:1","HostConfig":{`+hc+`}}`)); dec.Allow {
			t.Errorf("%s: allowed by an allow-list that does not name it", hc)
		}
	}
}
