package enforce

import (
	"context"

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
