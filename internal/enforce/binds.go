package enforce

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/hostview"
	"github.com/dockguard/dockguard/internal/rules"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Bind sources are judged as the kernel will follow them when the daemon
// mounts them: resolved in dockerd's mount namespace (through
// /proc/<pid>/root), every component, and judged both as written and
// where they lead; sockets are known by their inode. Where the daemon's
// root cannot be read, they are resolved in dockguard's own namespace and
// the decision says so; a source that cannot be resolved at all (a loop,
// a permission, a file where a folder is needed) is denied.

// DaemonHost shows the daemon's host as the daemon sees it.
type DaemonHost interface {
	DaemonView(ctx context.Context) *hostview.View
}

// daemonView is the view of the daemon's host, or dockguard's own
// namespace with a note when there is no daemon to look through.
func (d *Decider) daemonView(ctx context.Context) *hostview.View {
	if h, ok := d.images.(DaemonHost); ok {
		if v := h.DaemonView(ctx); v != nil {
			return v
		}
	}
	return ownView()
}

// ownView is dockguard's own mount namespace, for a decider with no daemon
// to look through (a library user, tests), kept like a daemon's view.
func ownView() *hostview.View {
	ownMu.Lock()
	defer ownMu.Unlock()
	if ownV == nil || time.Since(ownAt) > viewTTL {
		ownV, ownAt = &hostview.View{Root: "/", Note: "no daemon to look through: bind sources are resolved in dockguard's own mount namespace"}, time.Now()
	}
	return ownV
}

var (
	ownMu sync.Mutex
	ownV  *hostview.View
	ownAt time.Time
)

// viewTTL is how long a view of the daemon is kept: its PID, folders and
// listeners change only when it restarts or reloads. A view without the
// daemon's PID is looked for again at the next decision after a second.
const viewTTL = 30 * time.Second

// hostCache keeps EngineImages' view of the daemon.
type hostCache struct {
	mu sync.Mutex
	v  *hostview.View
	at time.Time
}

// DaemonView implements DaemonHost: the daemon behind the unix socket
// dockguard talks to (its peer credentials give dockerd's PID), its
// data-root as it answers Info, and the proxy's own sockets.
func (e *EngineImages) DaemonView(ctx context.Context) *hostview.View {
	e.host.mu.Lock()
	defer e.host.mu.Unlock()
	if v := e.host.v; v != nil {
		age := time.Since(e.host.at)
		if v.Pid > 0 && age < viewTTL && dockerdAlive(v.Pid) || v.Pid == 0 && age < time.Second {
			return v
		}
	}
	sock := e.Socket
	if sock == "" && e.Client != nil {
		sock, _ = strings.CutPrefix(e.Client.DaemonHost(), "unix://")
		if strings.Contains(sock, "://") {
			sock = ""
		}
	}
	if sock == "" {
		v := &hostview.View{Root: "/", Note: "the daemon is not reached through a unix socket, so its PID and mount namespace are unknown: bind sources are resolved in dockguard's own mount namespace"}
		e.host.v, e.host.at = v, time.Now()
		return v
	}
	dataRoot := ""
	if e.Client != nil {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if res, err := e.Client.Info(ictx, client.InfoOptions{}); err == nil {
			dataRoot = res.Info.DockerRootDir
		}
		cancel()
	}
	v := hostview.Discover(sock, dataRoot, e.ProxySockets)
	e.host.v, e.host.at = v, time.Now()
	return v
}

func dockerdAlive(pid int) bool {
	_, err := hostview.Resolve("/proc/"+strconv.Itoa(pid)+"/root", "/")
	return err == nil
}

// note adds to the decision's reason (logged with it).
func (j *judgement) note(s string) {
	if j.reason == "" {
		j.reason = s
		return
	}
	if !strings.Contains(j.reason, s) {
		j.reason += "; " + s
	}
}

// hostBinds looks at each bind source of c on the daemon's host: it notes
// what the source is (the daemon's socket, the proxy's, another socket,
// the daemon's folders) on the mount, and adds a copy of the mount at
// the resolved path when the source leads elsewhere, so that every rule
// judges both.
func (j *judgement) hostBinds(ctx context.Context, c *facts.Container) {
	var binds []int
	for i, m := range c.Mounts {
		if m.Type == "bind" && path.IsAbs(m.Source) {
			binds = append(binds, i)
		}
	}
	if len(binds) == 0 {
		return
	}
	v := j.d.daemonView(ctx)
	if v.Note != "" {
		j.note("bind sources: " + v.Note)
	}
	var extra []facts.Mount
	for _, i := range binds {
		m := &c.Mounts[i]
		// The daemon cleans the source lexically (path.Clean) before the
		// kernel follows it: `..` written in the source is not the
		// kernel's, `..` in a symlink's target is.
		src := path.Clean(m.Source)
		look, err := v.Look(src)
		if err != nil {
			j.failClosed("bind-unresolved", "bind source %q cannot be resolved as the daemon will follow it (%s)", truncate(m.Source, 60), truncate(err.Error(), 80))
			continue
		}
		// What the source is (a socket, a folder holding one) is where
		// it leads; the daemon's folders are judged on each path.
		h := &facts.HostMount{Socket: look.Socket, SocketPath: look.SocketPath, Holds: look.Holds, DaemonRoot: v.DaemonRootOf(src)}
		m.Host = h
		if look.Resolved != src {
			cp, ch := *m, *h
			ch.Via, ch.DaemonRoot = m.Source, look.DaemonRoot
			cp.Source, cp.Host = look.Resolved, &ch
			extra = append(extra, cp)
		}
	}
	c.Mounts = append(c.Mounts, extra...)
}

// ContainerMounts tells a container's binds as the daemon holds them.
type ContainerMounts interface {
	// ContainerHostConfig returns the container's image, user (as the
	// daemon merged it with the image's) and HostConfig; found is false
	// when the daemon has no such container.
	ContainerHostConfig(ctx context.Context, id string) (image, user string, hc *apicontainer.HostConfig, found bool, err error)
}

// ContainerHostConfig implements ContainerMounts.
func (e *EngineImages) ContainerHostConfig(ctx context.Context, id string) (string, string, *apicontainer.HostConfig, bool, error) {
	res, err := e.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", "", nil, false, nil
		}
		return "", "", nil, false, err
	}
	img, user := "", ""
	if res.Container.Config != nil {
		img, user = res.Container.Config.Image, res.Container.Config.User
	}
	return img, user, res.Container.HostConfig, true, nil
}

// startBinds judges the binds of a container being started or restarted
// again: the daemon resolves each bind source at every start, so a symlink
// swapped in after the create leads where it leads now. Only the mount
// rules are run: the rest of the container was judged at its create and
// has not changed.
func (j *judgement) startBinds(ctx context.Context, t *target) {
	id := t.params["id"]
	j.subject = "start of container " + id
	cm, ok := j.d.images.(ContainerMounts)
	if !ok {
		// Only a decider built without a daemon (tests, a library user)
		// has none; the plugin and the proxy always ask theirs.
		j.note("no daemon to ask: the binds of container " + truncate(id, 60) + " are not judged again at start")
		return
	}
	image, user, hc, found, err := cm.ContainerHostConfig(ctx, id)
	switch {
	case err != nil:
		j.failClosed("container-unknown", "container %q cannot be asked of the daemon (%s): its binds are not judged again at start", truncate(id, 60), truncate(err.Error(), 60))
		return
	case !found:
		return // the daemon answers 404
	case hc == nil:
		return
	}
	if why := j.d.exempt(image); why != "" {
		j.reason = why
		return
	}
	// The user and the security options decide the rules about who
	// writes the binds; the daemon merged the image's user into it, so an
	// empty one is root.
	spec := &container.Spec{
		Config:     &apicontainer.Config{Image: image, User: user},
		HostConfig: hc,
		Subject:    facts.Subject{Kind: facts.SubjectContainer, Name: id},
		Origin:     facts.Location{Engine: "api", Object: "POST /containers/" + id + "/start"},
		Enforced:   true,
	}
	if user == "" {
		spec.Image = &facts.Container{ImageUserKnown: true, User: facts.Value[string]{Why: "the container's user (Config.User is empty): root"}}
	}
	if df, err := j.d.daemonFacts(ctx); err == nil {
		spec.UsernsRemap = df.UsernsRemap
	}
	spec.NoNewPrivilegesDefault = j.d.daemonView(ctx).NoNewPrivileges
	c := container.Map(spec)
	j.hostBinds(ctx, c)
	if t.route.pattern == "/containers/{id}/archive" {
		// docker cp: the daemon mounts the binds and reads or writes
		// them itself, as root, whoever the container's user is.
		j.swappableBindsAsRoot(ctx, c)
	} else {
		j.swappableBinds(ctx, c, hc.GroupAdd)
	}
	j.writableBindGroup(ctx, c)
	for _, f := range j.d.pol.Container(c) {
		if f.Rule.Control == "sensitive-mounts" {
			j.rule(f.Rule, f.Severity, f.Message)
		}
	}
}

// swappableBinds denies a bind whose source a user other than root can
// swap for a symlink between this decision and the daemon's mount, when
// the container could use what the swap reaches: unless it runs as a
// numeric non-root user, with no-new-privileges and no supplementary
// groups (or the daemon remaps root), the swap hands it the host's
// /etc/shadow or the daemon's socket. Judging the path again cannot
// close that race; only who the container is can.
func (j *judgement) swappableBinds(ctx context.Context, c *facts.Container, groupAdd []string) {
	v := j.d.daemonView(ctx)
	if c.UsernsRemap || unprivilegedIDs(c, v) && len(groupAdd) == 0 {
		return
	}
	j.swappable(v, c, groupAdd)
}

// swappableBindsAsRoot judges swappable binds for the daemon itself
// reading or writing them (docker cp), as root.
func (j *judgement) swappableBindsAsRoot(ctx context.Context, c *facts.Container) {
	j.swappable(j.d.daemonView(ctx), c, []string{"the daemon itself copies as root"})
}

func (j *judgement) swappable(v *hostview.View, c *facts.Container, groupAdd []string) {
	seen := map[string]bool{}
	for _, m := range c.Mounts {
		if m.Type != "bind" || !path.IsAbs(m.Source) || seen[m.Source] {
			continue
		}
		seen[m.Source] = true
		src := path.Clean(m.Source)
		if m.Host != nil && m.Host.Via != "" {
			continue // the copy at the resolved path: judged with its source
		}
		if why := v.Swappable(src); why != "" {
			who := "runs as root or may become root, or in a privileged group (no numeric non-root UID and ordinary GID with no-new-privileges)"
			if len(groupAdd) > 0 {
				who = "has supplementary groups (" + truncate(strings.Join(groupAdd, ","), 40) + ")"
			}
			j.check("bind-swappable", "bind a folder only root can change, use a named volume, or run as --user UID:GID with --security-opt no-new-privileges and no --group-add",
				"bind source %s can be swapped for a symlink by a user other than root before the daemon mounts it: %s; the container %s", truncate(m.Source, 60), truncate(why, 100), who)
		}
	}
}

// unprivilegedIDs reports whether the container's processes can only act
// as an ordinary user of the host: a numeric non-root UID and GID, both
// ordinary there (ordinaryIDs), and no-new-privileges so that no
// set-user-ID file in the image makes one root. With the GID given, runc
// adds no supplementary groups from the image's /etc/group (seen by
// effect on dockerd 20.10).
func unprivilegedIDs(c *facts.Container, v *hostview.View) bool {
	if !unprivilegedUser(c) {
		return false
	}
	return ordinaryIDs(c.User.V, v) == ""
}

// ordinaryIDs says why a "UID:GID" user is not an ordinary user of the
// host ("" when it is): a system UID or GID (below the host's UID_MIN and
// GID_MIN) belongs to a service whose files root relies on (polkitd's
// rules), and a privileged group reaches what root guards; a file of
// theirs left with its set-ID bit in a bind hands them to a local user.
func ordinaryIDs(user string, v *hostview.View) string {
	u, g, _ := strings.Cut(user, ":")
	uid, _ := strconv.ParseUint(u, 10, 32)
	gid, _ := strconv.ParseUint(g, 10, 32)
	if v == nil {
		return ""
	}
	uidMin, gidMin := v.IDMin()
	switch {
	case uid < uint64(uidMin):
		return fmt.Sprintf("UID %d is a system user of the host (below UID_MIN %d)", uid, uidMin)
	case gid < uint64(gidMin):
		return fmt.Sprintf("GID %d is a system group of the host (below GID_MIN %d)", gid, gidMin)
	}
	if name, bad := v.PrivilegedGIDs()[uint32(gid)]; bad {
		return "GID " + g + " is the host's " + name
	}
	return ""
}

func unprivilegedUser(c *facts.Container) bool {
	// Both IDs numbers, exactly: a name (even "1000 ") is the image's
	// /etc/passwd to resolve, and a missing or zero group is GID 0.
	if c.User.State != facts.Set || facts.IsRootUser(c.User.V) || !facts.UnprivilegedIDs(c.User.V) {
		return false
	}
	nnp := c.SecurityOpt.NoNewPrivileges
	return nnp.IsSet() && nnp.V
}

// writableBindGroup denies a writable bind to a container whose group is
// not known to be an ordinary one: a missing GID (runc then takes the
// image's, or 0), GID 0, or a group of the host that holds something
// (docker, shadow, disk and the groups owning the daemon's sockets). The
// container can leave a set-group-ID program of that group in the folder,
// and a local user who runs it gets the group: the docker socket, the
// password hashes, the disks.
func (j *judgement) writableBindGroup(ctx context.Context, c *facts.Container) {
	if c.UsernsRemap || c.Rootless {
		return
	}
	var src string
	for _, m := range c.Mounts {
		if m.Type == "bind" && !m.ReadOnly && (m.Host == nil || m.Host.Socket == "" || m.Host.Holds) {
			src = m.Source
			break
		}
	}
	if src == "" || c.User.State != facts.Set || facts.IsRootUser(c.User.V) {
		return // root is writable-bind-root's own finding
	}
	_, g, ok := strings.Cut(c.User.V, ":")
	why := ""
	switch {
	case !ok || g == "":
		why = "no group is given, so the image's /etc/passwd (or 0) decides it"
	case !facts.NumericID(g):
		why = "group " + truncate(g, 20) + " is a name, which the image's /etc/group decides"
	case !facts.NumericID(strings.SplitN(c.User.V, ":", 2)[0]):
		why = "its user is a name, which the image's /etc/passwd decides"
	default:
		if gid, _ := strconv.ParseUint(g, 10, 32); gid == 0 {
			why = "its group is 0 (root)"
		} else if w := ordinaryIDs(c.User.V, j.d.daemonView(ctx)); w != "" {
			why = w
		}
	}
	if why != "" {
		r := rules.Lookup("writable-bind-root")[0]
		j.add(r, r.Severity, fmt.Sprintf("binds host path %s writable while %s: a set-group-ID file left there gives a local user that group", truncate(src, 60), why),
			"run as --user UID:GID with your own ordinary group ($(id -u):$(id -g)), or bind the folder read-only")
	}
}

// archiveIntoBinds denies docker cp into a container that binds a host
// folder writable: the daemon writes the archive's entries with the
// owners and modes it gives, as root, so a set-user-ID-root file lands on
// the host whatever the container's user.
func (j *judgement) archiveIntoBinds(ctx context.Context, t *target) {
	cm, ok := j.d.images.(ContainerMounts)
	if !ok {
		return
	}
	_, _, hc, found, err := cm.ContainerHostConfig(ctx, t.params["id"])
	if err != nil || !found || hc == nil {
		return // startBinds decided
	}
	c := container.Map(&container.Spec{Config: &apicontainer.Config{}, HostConfig: hc})
	for _, m := range c.Mounts {
		if m.Type == "bind" && !m.ReadOnly {
			j.check("archive-write", "copy into a container without writable binds, or into the host folder directly",
				"docker cp into a container that binds host path %s writable: the daemon writes the archive's owners and modes as root, into the host folder", truncate(m.Source, 60))
			return
		}
	}
}
