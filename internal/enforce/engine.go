package enforce

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

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
// /etc/passwd, read through the archive API (capped at 1 MiB).
func (e *EngineImages) PasswdUID(ctx context.Context, id, name string) (int64, bool, error) {
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
	b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
	if err != nil {
		return 0, false, err
	}
	uid, found := passwdUID(string(b), name)
	return uid, found, nil
}
