package enforce

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// EngineImages asks a daemon through the Engine API for image and
// container users.
type EngineImages struct{ Client *client.Client }

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
	ins, err := e.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return 0, false, err // not found too: a rename may bring the name back
	}
	for _, m := range ins.Container.Mounts {
		if d := path.Clean(m.Destination); d == "/" || d == "/etc" || d == "/etc/passwd" {
			return 0, false, fmt.Errorf("a mount at %s hides the /etc/passwd the daemon reads", d)
		}
	}
	res, err := e.Client.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: "/etc/passwd"})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return 0, false, nil // no /etc/passwd: the name resolves to nothing
		}
		return 0, false, err
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	h, err := tr.Next()
	if err != nil {
		return 0, false, err
	}
	if h.Typeflag != tar.TypeReg {
		return 0, false, fmt.Errorf("/etc/passwd is not a regular file (tar type %q)", h.Typeflag)
	}
	const maxPasswd = 4 << 20
	b, err := io.ReadAll(io.LimitReader(tr, maxPasswd+1))
	if err != nil {
		return 0, false, err
	}
	if len(b) > maxPasswd {
		return 0, false, errors.New("/etc/passwd is over 4 MiB")
	}
	uid, found := passwdUID(string(b), name)
	return uid, found, nil
}
