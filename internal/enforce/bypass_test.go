package enforce

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/config"
)

// bypass is one attack from ../shared/research/enforcement.md as the
// AuthZReq dockerd would send for it.
type bypass struct {
	name string
	r    *Request
}

// restrictedBypasses are what only restricted@v1 denies (root, limits
// taken away): baseline@v1 lets them through and reports them.
var restrictedBypasses = map[string]bool{
	"create with a group and no user": true,
	"root exec 0":                     true, "root exec 00": true, "root exec 0:0": true, "root exec root": true, "root exec ROOT": true,
	"root exec, container runs as root": true, "root exec, container runs as 0": true,
	"exec user that is a name": true, "exec user wrapping to 0": true, "exec user with no name": true, "exec user with only a group": true,
	"update PidsLimit -1": true, "update PidsLimit 0": true, "update MemorySwap -1": true,
}

func with(r *Request, f func(*Request)) *Request { f(r); return r }

const privBody = `{"Image":"app:1","HostConfig":{"Privileged":true}}`

// Bypasses is the suite every enforcement path must deny; the proxy tests
// reuse it.
func Bypasses() []bypass {
	big := `{"Image":"app:1","Env":["X=` + strings.Repeat("a", DefaultMaxBody) + `"],"HostConfig":{"Privileged":true}}`
	return []bypass{
		{"zero-length body with a create", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) { r.RequestBody = nil })},
		{"chunked create (no Content-Length, body not forwarded)", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) {
			r.RequestBody = nil
			delete(r.RequestHeaders, "Content-Length")
		})},
		{"Content-Length 0 with a body sent", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) { r.RequestBody = nil; r.RequestHeaders["Content-Length"] = "0" })},
		{"body shorter than Content-Length", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) { r.RequestBody = r.RequestBody[:10] })},
		{"oversized body", req("POST", "/v1.41/containers/create", big)},
		{"charset content type", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) { r.RequestHeaders["Content-Type"] = "application/json; charset=utf-8" })},
		{"text/plain content type", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) { r.RequestHeaders["Content-Type"] = "text/plain" })},
		{"duplicate key, last wins", req("POST", "/v1.41/containers/create", `{"Image":"app:1","HostConfig":{"Privileged":false,"Privileged":true}}`)},
		{"case-variant key", req("POST", "/v1.41/containers/create", `{"Image":"app:1","hostconfig":{"PRIVILEGED":true}}`)},
		{"case-variant duplicate object merged", req("POST", "/v1.41/containers/create", `{"Image":"app:1","HostConfig":{"CapAdd":["NET_ADMIN"]},"hostconfig":{"Privileged":true}}`)},
		{"trailing data", req("POST", "/v1.41/containers/create", `{"Image":"app:1"} {"HostConfig":{"Privileged":true}}`)},
		{"trailing garbage", req("POST", "/v1.41/containers/create", `{"Image":"app:1"}x`)},
		{"undecodable body", req("POST", "/v1.41/containers/create", `{"Image":"app:1","HostConfig":{"Privileged":"yes"}}`)},
		{"null body", req("POST", "/v1.41/containers/create", `null`)},
		{"URL-encoded path", req("POST", "/v1.41/%63ontainers/create", privBody)},
		{"encoded slash", req("POST", "/v1.41/containers%2Fcreate", privBody)},
		{"unversioned path", req("POST", "/containers/create", privBody)},
		{"version 1 prefix", req("POST", "/v1/containers/create", privBody)},
		{"absolute-form URI", req("POST", "http://docker/v1.41/containers/create?name=x", privBody)},
		{"query string", req("POST", "/v1.41/containers/create?name=x&platform=linux", privBody)},
		{"double slash", req("POST", "/v1.41//containers/create", privBody)},
		{"dot segment", req("POST", "/v1.41/containers/./create", privBody)},
		{"trailing slash", req("POST", "/v1.41/containers/create/", privBody)},
		{"upper-case route", req("POST", "/v1.41/Containers/create", privBody)},
		{"unknown route", req("POST", "/v1.41/containers/x/archive-all", `{}`)},
		{"PUT archive", req("PUT", "/v1.41/containers/x/archive?path=/", "")},
		{"CapAdd ALL with CapDrop ALL", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"CapAdd":["ALL"],"CapDrop":["ALL"]}}`)},
		{"cap_sys_admin lower case", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"CapAdd":["cap_sys_admin"]}}`)},
		{"pid namespace of another container", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"PidMode":"container:host-pid-one"}}`)},
		{"network namespace path", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"NetworkMode":"ns:/proc/1/ns/net"}}`)},
		{"host pid", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"PidMode":"host"}}`)},
		{"VolumesFrom", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"VolumesFrom":["privileged-one"]}}`)},
		{"alternate runtime", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Runtime":"unconfined-runc"}}`)},
		{"bind mount of /", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Binds":["/:/host"]}}`)},
		{"docker socket mount", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Mounts":[{"Type":"bind","Source":"/run/docker.sock","Target":"/s"}]}}`)},
		{"volume mount with local bind options", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Mounts":[{"Type":"volume","Target":"/h","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"rbind","device":"/"}}}}]}}`)},
		{"seccomp unconfined, colon spelling", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"SecurityOpt":["seccomp:unconfined"]}}`)},
		{"apparmor unconfined", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"SecurityOpt":["apparmor=unconfined"]}}`)},
		{"host device", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}}`)},
		{"userns host", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"UsernsMode":"host"}}`)},
		{"privileged exec", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"10001","Privileged":true}`)},
		{"privileged exec, case-variant key", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"10001","privileged":true}`)},
		{"root exec 0", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"0"}`)},
		{"root exec 00", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"00"}`)},
		{"root exec 0:0", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"0:0"}`)},
		{"root exec root", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"root"}`)},
		{"root exec ROOT", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"ROOT"}`)},
		{"root exec, container runs as root", req("POST", "/v1.41/containers/rootc/exec", `{"Cmd":["sh"]}`)},
		{"root exec, container runs as 0", req("POST", "/v1.41/containers/rootc0/exec", `{"Cmd":["sh"],"User":""}`)},
		{"exec with no body", req("POST", "/v1.41/containers/c1/exec", "")},
		{"update PidsLimit -1", req("POST", "/v1.41/containers/c1/update", `{"PidsLimit":-1}`)},
		{"update PidsLimit 0", req("POST", "/v1.41/containers/c1/update", `{"PidsLimit":0}`)},
		{"update MemorySwap -1", req("POST", "/v1.41/containers/c1/update", `{"Memory":134217728,"MemorySwap":-1}`)},
		{"update with no body", req("POST", "/v1.41/containers/c1/update", "")},
		{"volume with local bind", req("POST", "/v1.41/volumes/create", `{"Name":"h","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/"}}`)},
		{"volume with local bind, default driver", req("POST", "/v1.41/volumes/create", `{"Name":"h","DriverOpts":{"o":"ro, bind"}}`)},
		{"build on host network", req("POST", "/v1.41/build?networkmode=host", "")},
		{"build with cgroup parent", req("POST", "/v1.41/build?cgroupparent=/", "")},
		{"BuildKit session without Upgrade", req("POST", "/v1.41/session", "")},
		{"gRPC without Upgrade", req("POST", "/grpc", "")},
		{"disable dockguard", req("POST", "/v1.41/plugins/dockguard/disable", "")},
		{"disable dockguard:latest", req("POST", "/v1.41/plugins/dockguard:latest/disable?force=1", "")},
		{"remove dockguard", req("DELETE", "/v1.41/plugins/dockguard?force=1", "")},
		{"plugin install", req("POST", "/v1.41/plugins/pull?remote=evil/plugin", `[]`)},
		{"privileged service", req("POST", "/v1.41/services/create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000","CapabilityAdd":["ALL"]}}}`)},
		{"service on host network", req("POST", "/v1.41/services/create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000","Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}]},"Networks":[{"Target":"host"}]}}`)},
		// The top-level HostConfig form dockerd 20.10 to 26 reads.
		{"top-level Privileged, no HostConfig", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","Privileged":true}`)},
		{"top-level Binds, no HostConfig", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","Binds":["/:/host"]}`)},
		{"top-level PidMode, HostConfig null", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","PidMode":"host","HostConfig":null}`)},
		{"HostConfig reset by a later null", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"CapDrop":["ALL"]},"Privileged":true,"hostconfig":null}`)},
		{"top-level Memory beside HostConfig", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","Memory":1,"HostConfig":{"CapDrop":["ALL"]}}`)},
		{"Cpuset beside HostConfig", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","Cpuset":"0","HostConfig":{"CapDrop":["ALL"]}}`)},
		{"Unicode-folded key (long s)", req("POST", "/v1.41/containers/create", "{\"Image\":\"app:1\",\"User\":\"1000\",\"HostConfig\":{\"Bind\u017f\":[\"/:/host\"]}}")},
		{"case-variant duplicate key", req("POST", "/v1.41/containers/create", "{\"Image\":\"app:1\",\"User\":\"1000\",\"HostConfig\":{\"Privileged\":false,\"PRIVILEGED\":true}}")},
		{"unknown key with a value", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"NewDaemonField":true}}`)},
		{"unknown nested key with a value", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Mounts":[{"Type":"tmpfs","Target":"/t","Unknown":{"a":1}}]}}`)},
		{"legacy Capabilities (API 1.40)", req("POST", "/v1.40/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Capabilities":["CAP_SYS_ADMIN"]}}`)},
		{"MaskedPaths emptied", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"MaskedPaths":[],"ReadonlyPaths":[]}}`)},
		{"sysctls", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Sysctls":{"kernel.core_pattern":"|/tmp/x"}}}`)},
		{"cgroup of another container", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Cgroup":"container:other"}}`)},
		{"cgroup parent", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"CgroupParent":"/"}}`)},
		{"volume plugin", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"VolumeDriver":"evil","Binds":["data:/data"]}}`)},
		{"extra endpoint network", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"NetworkMode":"bridge"},"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}`)},
		{"network by ID may be host", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"NetworkMode":"0123abcd"}}`)},
		{"absent image, privileged", req("POST", "/v1.41/containers/create", `{"Image":"notpulled:1","HostConfig":{"Privileged":true}}`)},
		{"create on API 1.23", req("POST", "/v1.23/containers/create", hardened)},
		{"create on API 1", req("POST", "/v1/containers/create", hardened)},
		{"form body on build", with(req("POST", "/v1.41/build?t=x", "networkmode=host"), func(r *Request) { r.RequestHeaders["Content-Type"] = "application/x-www-form-urlencoded" })},
		{"multipart body on create", with(req("POST", "/v1.41/containers/create", privBody), func(r *Request) { r.RequestHeaders["Content-Type"] = "multipart/form-data; boundary=x" })},
		{"build joins a container's network", req("POST", "/v1.41/build?networkmode=container:x", "")},
		{"build with unknown parameter", req("POST", "/v1.41/build?newparam=1", "")},
		{"attach without Upgrade", req("POST", "/v1.41/containers/c1/attach?stream=1&stdin=1", "")},
		{"exec start without Upgrade", req("POST", "/v1.41/exec/e1/start", `{"Detach":false,"Tty":false}`)},
		{"exec start, chunked body", with(req("POST", "/v1.41/exec/e1/start", ""), func(r *Request) { r.RequestHeaders["Upgrade"] = "tcp"; r.RequestHeaders["Connection"] = "Upgrade" })},
		{"exec with unknown field", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"10001","Privileges":true}`)},
		{"service on the host network, deprecated spec Networks", req("POST", "/v1.41/services/create", `{"Name":"s","Networks":[{"Target":"host"}],"TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000"}}}`)},
		{"service network by ID prefix", req("POST", "/v1.41/services/create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000"},"Networks":[{"Target":"a1b2"}]}}`)},
		{"service sysctls", req("POST", "/v1.41/services/create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000","Sysctls":{"vm.overcommit_memory":"1"}}}}`)},
		{"service volume plugin mount", req("POST", "/v1.41/services/create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000","Mounts":[{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"evil"}}}]}}}`)},
		{"volume plugin", req("POST", "/v1.41/volumes/create", `{"Name":"v","Driver":"evil"}`)},
		{"volume with unknown field", req("POST", "/v1.41/volumes/create", `{"Name":"v","DriverOptions":{"o":"bind","device":"/"}}`)},
		{"network create with unknown field", req("POST", "/v1.41/networks/create", `{"Name":"n","Driver":"bridge","Mystery":1}`)},
		{"update with cgroup parent", req("POST", "/v1.41/containers/c1/update", `{"CgroupParent":"/"}`)},
		// Found by the adversarial pass.
		{"local volume of the host's disk", req("POST", "/v1.41/volumes/create", `{"Name":"d","DriverOpts":{"type":"ext4","device":"/dev/vda"}}`)},
		{"local volume of procfs", req("POST", "/v1.41/volumes/create", `{"Name":"p","DriverOpts":{"type":"proc","device":"proc"}}`)},
		{"inline local volume overlay on /", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Mounts":[{"Type":"volume","Source":"o","Target":"/o","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"overlay","device":"overlay","o":"lowerdir=/:/tmp"}}}}]}}`)},
		{"named volume not askable", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Binds":["dgdisk:/host"]}}`)},
		{"inline seccomp profile", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]}}`)},
		{"host disk device", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Devices":[{"PathOnHost":"/dev/vda","PathInContainer":"/dev/x","CgroupPermissions":"rwm"}]}}`)},
		{"memory device", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Devices":[{"PathOnHost":"/dev/mem","PathInContainer":"/dev/mem","CgroupPermissions":"r"}]}}`)},
		{"device cgroup rule for every block device", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"DeviceCgroupRules":["b *:* rwm"]}}`)},
		{"mount type in upper case", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"Mounts":[{"Type":"BIND","Source":"/","Target":"/h"}]}}`)},
		{"exec user that is a name", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"toor"}`)},
		{"exec user wrapping to 0", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":"4294967296"}`)},
		// Found by the third adversarial pass.
		{"exec user with no name", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":":"}`)},
		{"exec user with only a group", req("POST", "/v1.41/containers/c1/exec", `{"Cmd":["sh"],"User":":10001"}`)},
		{"exec into a container not found", req("POST", "/v1.41/containers/renamed/exec", `{"Cmd":["sh"]}`)},
		{"service rollback to an unjudged spec", req("POST", "/v1.41/services/s1/update?version=3&rollback=previous", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"1000"}}}`)},
		{"create with a group and no user", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":":10001","HostConfig":{"CapDrop":["ALL"],"Privileged":false}}`)},
		{"bad request URI", req("POST", "::", "")},
		{"HostConfig at start (API 1.23)", req("POST", "/v1.23/containers/c1/start", `{"Privileged":true}`)},
		// What a container already holds, reached through it.
		{"exec into a privileged container", req("POST", "/v1.41/containers/privileged-one/exec", `{"Cmd":["sh"],"User":"10001"}`)},
		{"exec into a host-PID container", req("POST", "/v1.41/containers/host-pid-one/exec", `{"Cmd":["sh"]}`)},
		{"network namespace of a privileged container", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"NetworkMode":"container:privileged-one"}}`)},
		{"IPC namespace of a container not found", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"IpcMode":"container:gone"}}`)},
		{"VolumesFrom a container with a device, read-only", req("POST", "/v1.41/containers/create", `{"Image":"app:1","User":"1000","HostConfig":{"VolumesFrom":["with-device:ro"]}}`)},
		{"update of a privileged container", req("POST", "/v1.41/containers/privileged-one/update", `{"Memory":134217728,"MemorySwap":134217728}`)},
		{"update of a container not found", req("POST", "/v1.41/containers/gone/update", `{"RestartPolicy":{"Name":"always"}}`)},
		{"update adding a device", req("POST", "/v1.41/containers/c1/update", `{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}`)},
	}
}

func TestBypassesDenied(t *testing.T) {
	d := newDecider(config.Enforce{})
	restricted := newDecider(config.Enforce{Profile: rules.Restricted})
	for _, b := range Bypasses() {
		dec := d.Decide(context.Background(), b.r)
		if restrictedBypasses[b.name] {
			if !dec.Allow || len(dec.Violations) == 0 {
				t.Errorf("%s: at baseline: %+v", b.name, dec)
			}
			dec = restricted.Decide(context.Background(), b.r)
		}
		if dec.Allow {
			t.Errorf("%s: allowed (route %s, violations %+v)", b.name, dec.Route, dec.Violations)
		} else if dec.Msg == "" {
			t.Errorf("%s: denied without a message", b.name)
		}
	}
	// warn and audit modes allow them and report them.
	for _, mode := range []string{"warn", "audit"} {
		d := newDecider(config.Enforce{Mode: mode})
		for _, b := range Bypasses() {
			dec := d.Decide(context.Background(), b.r)
			if !dec.Allow || len(dec.Violations) == 0 {
				t.Errorf("%s mode, %s: %+v", mode, b.name, dec)
			}
		}
	}
}

// The AuthZReq wire format decodes into Request (RequestUri, base64 body).
func TestWireFormat(t *testing.T) {
	wire := `{"User":"","RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestBody":"eyJJbWFnZSI6ImFwcDoxIiwiSG9zdENvbmZpZyI6eyJQcml2aWxlZ2VkIjp0cnVlfX0=","RequestHeaders":{"Content-Type":"application/json","Content-Length":"50"}}`
	var r Request
	if err := json.Unmarshal([]byte(wire), &r); err != nil {
		t.Fatal(err)
	}
	if string(r.RequestBody) != privBody || r.RequestURI != "/v1.41/containers/create" {
		t.Fatalf("decoded %+v", r)
	}
	if dec := newDecider(config.Enforce{}).Decide(context.Background(), &r); dec.Allow {
		t.Errorf("privileged create from the wire allowed")
	}
}
