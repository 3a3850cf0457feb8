package enforce

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// EngineImages asks a daemon through the Engine API for image and
// container users, containers, networks, volumes and the daemon's own
// version, and shows its host (DaemonView).
type EngineImages struct {
	Client *client.Client
	// Socket is the daemon's unix socket as dockguard reaches it (-H,
	// --upstream); "" takes the client's. Its peer is the daemon, whose
	// mount namespace bind sources are resolved in.
	Socket string
	// ProxySockets are the unix sockets dockguard's proxy serves: mounted
	// into a container they are the API through the proxy.
	ProxySockets []string

	host hostCache

	mu    sync.Mutex
	facts *DaemonFacts // once asked
}

// ImageUser implements Images.
func (e *EngineImages) ImageUser(ctx context.Context, ref string) (string, bool, error) {
	res, err := e.Client.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	if res.Config == nil {
		return "", true, nil
	}
	return res.Config.User, true, nil
}

// ContainerUser implements Images.
func (e *EngineImages) ContainerUser(ctx context.Context, id string) (string, bool, error) {
	res, err := e.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	if res.Container.Config == nil {
		return "", true, nil
	}
	return res.Container.Config.User, true, nil
}

// Network implements Networks: the daemon resolves a name, full ID or ID
// prefix.
func (e *EngineImages) Network(ctx context.Context, ref string) (string, string, bool, error) {
	res, err := e.Client.NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", "", false, nil
		}
		return "", "", false, err
	}
	return res.Network.Name, res.Network.Driver, true, nil
}

// Volume implements VolumeOptions.
func (e *EngineImages) Volume(ctx context.Context, name string) (string, map[string]string, bool, error) {
	res, err := e.Client.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", nil, false, nil
		}
		return "", nil, false, err
	}
	return res.Volume.Driver, res.Volume.Options, true, nil
}

// PasswdUID implements Passwd: the UID a user name has in the container's
// /etc/passwd, read through the archive API. The daemon resolves the name
// in the container's root filesystem without its mounts, while the
// archive API shows mounts: a container with a mount over /etc or
// /etc/passwd cannot be read the daemon's way, and is an error. A file
// over 4 MiB is an error too (runc reads all of it).
func (e *EngineImages) PasswdUID(ctx context.Context, id, name string) (int64, bool, error) {
	b, found, err := e.ContainerFile(ctx, id, "/etc/passwd")
	if err != nil || !found {
		return 0, false, err // no /etc/passwd: the name resolves to nothing
	}
	uid, found := passwdUID(string(b), name)
	return uid, found, nil
}

// ContainerFile implements Files: a file of a container's root filesystem
// as runc reads it before the container's mounts, which is why a mount at
// /, at /etc or at the file itself is an error (dockguard would read the
// mount's file); found is false when there is no such file.
func (e *EngineImages) ContainerFile(ctx context.Context, id, file string) ([]byte, bool, error) {
	ins, err := e.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return nil, false, err // not found too: a rename may bring the name back
	}
	for _, m := range ins.Container.Mounts {
		if d := path.Clean(m.Destination); d == "/" || d == "/etc" || d == file {
			return nil, false, fmt.Errorf("a mount at %s hides the %s the daemon reads", d, file)
		}
	}
	res, err := e.Client.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: file})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	h, err := tr.Next()
	if err != nil {
		return nil, false, err
	}
	if h.Typeflag != tar.TypeReg {
		return nil, false, fmt.Errorf("%s is not a regular file (tar type %q)", file, h.Typeflag)
	}
	const maxFile = 4 << 20
	b, err := io.ReadAll(io.LimitReader(tr, maxFile+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > maxFile {
		return nil, false, fmt.Errorf("%s is over 4 MiB", file)
	}
	return b, true, nil
}

// Inspected is a container as the daemon holds it: its configuration
// after the daemon merged the image's (Config.User is the user its
// processes run as) and filled in its defaults.
type Inspected struct {
	ID, Name   string
	Config     *apicontainer.Config
	HostConfig *apicontainer.HostConfig
}

// Containers looks up the container a request enters or joins (exec,
// namespace joins, VolumesFrom, update), so that it is judged as a create
// of it would be.
type Containers interface {
	// InspectContainer returns the container a reference (name, ID or ID
	// prefix) names; found is false when the daemon has none.
	InspectContainer(ctx context.Context, ref string) (c *Inspected, found bool, err error)
}

// DaemonFacts are what enforcement needs to know of the daemon itself.
type DaemonFacts struct {
	// Version is the Engine's version ("20.10.24+dfsg1").
	Version string
	// CgroupnsPrivate is true when the daemon gives containers a cgroup
	// namespace of their own by default (cgroup v2): on cgroup v1 the
	// daemon records its default as CgroupnsMode "host".
	CgroupnsPrivate bool
	// DefaultRuntime is the OCI runtime a container gets when its create
	// names none; the daemon records it in the container's HostConfig.
	DefaultRuntime string
	// UsernsRemap is true when container root is not host root: the
	// daemon remaps user namespaces (--userns-remap) or runs rootless.
	UsernsRemap bool
}

// Daemon tells what enforcement needs to know of the daemon.
type Daemon interface {
	DaemonFacts(ctx context.Context) (DaemonFacts, error)
}

// InspectContainer implements Containers.
func (e *EngineImages) InspectContainer(ctx context.Context, ref string) (*Inspected, bool, error) {
	res, err := e.Client.ContainerInspect(ctx, ref, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	c := res.Container
	if c.Config == nil || c.HostConfig == nil {
		return nil, false, fmt.Errorf("the daemon's answer for container %s has no configuration", ref)
	}
	return &Inspected{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Config: c.Config, HostConfig: c.HostConfig}, true, nil
}

// DaemonFacts implements Daemon. The daemon is asked once: the answer is
// kept for the life of the process (a daemon upgrade restarts dockerd,
// and the version only decides routes that stay denied when unknown). A
// failure is not kept, so the next decision asks again.
func (e *EngineImages) DaemonFacts(ctx context.Context) (DaemonFacts, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.facts != nil {
		return *e.facts, nil
	}
	v, err := e.Client.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return DaemonFacts{}, err
	}
	info, err := e.Client.Info(ctx, client.InfoOptions{})
	if err != nil {
		return DaemonFacts{}, err
	}
	f := DaemonFacts{Version: v.Version, DefaultRuntime: info.Info.DefaultRuntime}
	for _, o := range info.Info.SecurityOptions {
		if strings.Contains(o, "name=cgroupns") {
			f.CgroupnsPrivate = true
		}
		if strings.Contains(o, "name=userns") || strings.Contains(o, "name=rootless") {
			f.UsernsRemap = true
		}
	}
	e.facts = &f
	return f, nil
}
