package enforce

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/volume"
)

func (j *judgement) exec(ctx context.Context, t *target, r *Request) {
	var req ExecBody
	if !j.decode(r, &req) {
		return
	}
	id := t.params["id"]
	j.subject = "exec in " + id
	j.deniedFields("Exec", &req)
	if req.Privileged {
		j.check("exec-privileged", "drop --privileged from docker exec", "Privileged: docker exec --privileged gives the process every capability")
	}
	// The exec gets what the container has: it passes when the container
	// passes the profile, and when the container run as the exec's user
	// would (a rule may judge a setting by the user it runs as).
	c, err := j.d.inspect(ctx, id)
	if err != nil {
		// Not the daemon's 404 to rely on: a rename between this lookup
		// and the daemon's puts the name on another container.
		j.failClosed("exec-container-unknown", "container %q cannot be judged (%s): an exec into it is denied", truncate(id, 60), err)
		return
	}
	vs := j.targetVerdict(ctx, c, "")
	j.enter("exec into container "+truncate(c.Name, 60)+", which fails "+j.d.profile.String()+":", vs)
	if u := strings.TrimSpace(req.User); u != "" && req.User != c.Config.User {
		seen := map[string]bool{}
		for _, v := range vs {
			seen[v.Rule+v.Message] = true
		}
		// Whether the exec's user is root is exec-root's to judge (below);
		// this adds what else depends on the user.
		var as []Violation
		for _, v := range j.targetVerdict(ctx, c, req.User) {
			if !seen[v.Rule+v.Message] && !userRule[v.Slug] {
				as = append(as, v)
			}
		}
		j.enter("exec as "+truncate(req.User, 40)+" into container "+truncate(c.Name, 60)+", which as that user fails "+j.d.profile.String()+":", as)
	}
	if j.d.cfg.AllowExecRoot {
		return
	}
	user, how := req.User, "--user "+req.User
	if strings.TrimSpace(user) == "" {
		how = "the container's user"
		user = c.Config.User
		if user == "" {
			user = "root"
		}
	}
	if facts.IsRootUser(user) {
		j.check("exec-root", "run docker exec with --user of an unprivileged user (or set enforce.allowExecRoot: true)", "User: exec as root (%s)", truncate(how, 80))
		return
	}
	// A name may be UID 0 in the container's /etc/passwd (toor:x:0:0):
	// it is resolved there, as runc resolves it when the exec starts.
	if name := userName(user); name != "" {
		pw, ok := j.d.images.(Passwd)
		var uid int64
		var found bool
		var err error
		if ok {
			uid, found, err = pw.PasswdUID(ctx, c.ID, name)
		} else {
			err = errors.New("no daemon to ask")
		}
		switch {
		case err != nil:
			if j.d.cfg.UnknownImageUser != "allow" {
				j.check("exec-root", "run docker exec with --user UID (numeric), or set enforce.unknownImageUser: allow", "User: %s (%s) cannot be resolved in the container (%s); judged as root", truncate(name, 40), truncate(how, 60), truncate(err.Error(), 60))
			}
		case found && facts.IsRootUser(strconv.FormatInt(uid, 10)):
			j.check("exec-root", "run docker exec with --user of an unprivileged user (or set enforce.allowExecRoot: true)", "User: exec as root (%s: %s is UID %d in the container's /etc/passwd)", truncate(how, 60), truncate(name, 40), uid)
		}
	}
}

// userRule are the rules about the user itself, which exec-root judges
// for an exec.
var userRule = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range rules.All() {
		if r.Control == "non-root-user" {
			m[r.Slug] = true
		}
	}
	return m
}()

// execStart lets a detached exec start through; any other start is a
// stream and must ask for the protocol switch.
func (j *judgement) execStart(t *target, r *Request) {
	j.subject = "exec " + t.params["id"]
	var req ExecStartBody
	if len(r.RequestBody) > 0 {
		if !j.decode(r, &req) {
			return
		}
	} else if cl, ok := header(r.RequestHeaders, "Content-Length"); !ok || strings.TrimSpace(cl) != "0" {
		// The daemon reads a body it may not have forwarded (chunked).
		j.failClosed("body-missing", "the exec start has no body to judge (chunked or not forwarded by the daemon)")
		return
	}
	if !req.Detach {
		j.upgrade(t, r)
	}
}

func (j *judgement) update(ctx context.Context, t *target, r *Request) {
	var u UpdateBody
	if !j.decode(r, &u) {
		return
	}
	id := t.params["id"]
	j.subject = "container " + id
	j.deniedFields("Update", &u)
	const fix = "keep the container's limits; recreate it to change them under review"
	if u.PidsLimit != nil && *u.PidsLimit <= 0 {
		j.check("update-limit-removed", fix, "PidsLimit %d removes the PIDs limit", *u.PidsLimit)
	}
	if u.MemorySwap < 0 {
		j.check("update-limit-removed", fix, "MemorySwap %d allows unlimited swap", u.MemorySwap)
	}
	if u.Memory < 0 {
		j.check("update-limit-removed", fix, "Memory %d removes the memory limit", u.Memory)
	}
	if u.CPUQuota < 0 {
		j.check("update-limit-removed", fix, "CpuQuota %d removes the CPU limit", u.CPUQuota)
	}
	if u.NanoCPUs < 0 {
		j.check("update-limit-removed", fix, "NanoCpus %d is not a CPU limit", u.NanoCPUs)
	}
	if m := j.d.pol.Config.MaxMemory; m > 0 && u.Memory > m {
		j.check("update-limit-removed", fix, "Memory %d is over maxMemory %d", u.Memory, m)
	}
	if m := j.d.pol.Config.MaxPids; m > 0 && u.PidsLimit != nil && *u.PidsLimit > m {
		j.check("update-limit-removed", fix, "PidsLimit %d is over maxPids %d", *u.PidsLimit, m)
	}
	if len(u.Devices) > 0 || len(u.DeviceCgroupRules) > 0 || len(u.DeviceRequests) > 0 {
		j.check("update-devices", fix, "Devices, DeviceCgroupRules, DeviceRequests: an update may not add devices")
	}
	switch rp := u.RestartPolicy; rp.Name {
	case "always", "unless-stopped":
		j.check("update-restart-unlimited", "use on-failure with a retry count", "RestartPolicy.Name %s restarts forever", rp.Name)
	case "on-failure":
		if rp.MaximumRetryCount <= 0 {
			j.check("update-restart-unlimited", "use on-failure with a retry count", "RestartPolicy on-failure without a retry count restarts forever")
		}
	}
	// The container the update leaves is judged as a create of it: the
	// update's values merged onto the HostConfig the daemon holds.
	c, err := j.d.inspect(ctx, id)
	if err != nil {
		j.failClosed("update-container-unknown", "container %q cannot be judged (%s): an update of it is denied", truncate(id, 60), err)
		return
	}
	after := mergeUpdate(c, &u)
	j.enter("after the update, container "+truncate(c.Name, 60)+" fails "+j.d.profile.String()+":", j.targetVerdict(ctx, after, ""))
}

// mergeUpdate is the container an update leaves, merged as dockerd merges
// it (container.UpdateContainer): each resource the update sets (not
// zero; PidsLimit when given) replaces the container's, the restart policy
// when it is named. Devices in an update are not applied by the daemon
// (and are denied by update-devices).
func mergeUpdate(c *Inspected, u *UpdateBody) *Inspected {
	hc := *c.HostConfig
	r, n := &hc.Resources, &u.Resources
	if n.BlkioWeight != 0 {
		r.BlkioWeight = n.BlkioWeight
	}
	if n.CPUShares != 0 {
		r.CPUShares = n.CPUShares
	}
	if n.NanoCPUs != 0 {
		r.NanoCPUs = n.NanoCPUs
	}
	if n.CPUPeriod != 0 {
		r.CPUPeriod = n.CPUPeriod
	}
	if n.CPUQuota != 0 {
		r.CPUQuota = n.CPUQuota
	}
	if n.CpusetCpus != "" {
		r.CpusetCpus = n.CpusetCpus
	}
	if n.CpusetMems != "" {
		r.CpusetMems = n.CpusetMems
	}
	if n.Memory != 0 {
		r.Memory = n.Memory
	}
	if n.MemorySwap != 0 {
		r.MemorySwap = n.MemorySwap
	}
	if n.MemoryReservation != 0 {
		r.MemoryReservation = n.MemoryReservation
	}
	if n.CPURealtimePeriod != 0 {
		r.CPURealtimePeriod = n.CPURealtimePeriod
	}
	if n.CPURealtimeRuntime != 0 {
		r.CPURealtimeRuntime = n.CPURealtimeRuntime
	}
	if n.PidsLimit != nil {
		r.PidsLimit = n.PidsLimit
	}
	if u.RestartPolicy.Name != "" {
		hc.RestartPolicy = u.RestartPolicy
	}
	return &Inspected{ID: c.ID, Name: c.Name, Config: c.Config, HostConfig: &hc}
}

func (j *judgement) volume(r *Request) {
	var v volume.CreateRequest
	if !j.decode(r, &v) {
		return
	}
	j.subject = "volume " + v.Name
	j.deniedFields("Volume", &v)
	if why := localVolumeRisk(v.Driver, v.DriverOpts, &j.d.pol.Config.Allow); why != "" {
		j.check("volume-bind", "create a volume that holds only its own data (no type or device, or tmpfs or a network filesystem)", "DriverOpts: %s", why)
	}
	if v.Driver != "" && v.Driver != "local" && !rules.Has(j.d.pol.Config.Allow.VolumeDrivers, v.Driver) {
		j.check("volume-driver", "use the local volume driver", "Driver %q is a volume plugin, which mounts what it chooses", truncate(v.Driver, 40))
	}
}

// network judges network create, connect and disconnect bodies: decoded
// into the daemon's types so that nothing unknown passes.
func (j *judgement) network(t *target, r *Request) {
	switch t.route.pattern {
	case "/networks/create":
		var n NetworkCreateBody
		if j.decode(r, &n) {
			j.subject = "network " + n.Name
		}
	case "/networks/{id}/connect":
		var n network.ConnectRequest
		if j.decode(r, &n) {
			j.subject = "network " + t.params["id"] + " container " + n.Container
		}
	case "/networks/{id}/disconnect":
		var n network.DisconnectRequest
		if j.decode(r, &n) {
			j.subject = "network " + t.params["id"] + " container " + n.Container
		}
	default:
		j.failClosed("route-not-allowed", "%s is not judged", t.route.pattern)
	}
}

// buildNetworks are the build network modes that keep the build in a
// namespace of its own.
var buildNetworks = map[string]bool{"": true, "default": true, "bridge": true, "none": true}

func (j *judgement) build(t *target) {
	keys := make([]string, 0, len(t.query))
	for k := range t.query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := t.query[k]
		f, known := buildParams[k]
		switch {
		case !known:
			j.failClosed("build-parameter", "build parameter %q is not one dockguard knows (unknown parameters are denied)", truncate(k, 40))
		case f.Class == DenySet && strings.Join(vals, "") != "":
			j.check("build-parameter", "build without "+k, "build parameter %s is set: %s", k, f.Why)
		}
	}
	if nm := t.query.Get("networkmode"); !buildNetworks[strings.ToLower(nm)] || len(t.query["networkmode"]) > 1 {
		j.check("build-network", "build on the default network (no --network)", "build parameter networkmode %q puts the build's steps in another namespace than their own", truncate(nm, 60))
	}
	// A BuildKit build through /build is judged on what the request says:
	// its network mode above (networkmode=host is the only entitlement
	// this route can grant: network.host), the parameters in the table.
	// security.insecure cannot be asked for here; what a build asks for
	// over /grpc is never seen, and the daemon's builder entitlements
	// decide it (docs/enforcement.md).
	if t.query.Get("version") == "2" && j.d.cfg.DenyBuilds {
		j.check("buildkit-session", "remove enforce.allowBuilds: false to allow BuildKit builds", "BuildKit builds are denied by enforce.allowBuilds: false")
	}
}

func (j *judgement) plugin(t *target, r *Request) {
	name := t.params["name"]
	if name == "" {
		name = t.query.Get("name")
		if name == "" {
			name = t.query.Get("remote")
		}
	}
	j.subject = "plugin " + name
	base, _, _ := strings.Cut(name, ":")
	if j.d.self != "" && (base == j.d.self || strings.HasSuffix(base, "/"+j.d.self)) {
		j.failClosed("plugin-self", "plugin %s is dockguard itself: it cannot be changed through the API it guards", truncate(name, 60))
		return
	}
	if !j.d.cfg.AllowPlugins {
		j.check("plugin-change", "manage plugins by hand, or set enforce.allowPlugins: true", "plugins run with the privileges they are granted; %s is not allowed", t.route.pattern)
		return
	}
	switch t.route.pattern {
	case "/plugins/pull", "/plugins/{name}/upgrade":
		var p plugin.Privileges
		j.decode(r, &p)
	}
}
