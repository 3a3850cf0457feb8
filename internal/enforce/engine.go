package enforce

import (
	"context"
	"strings"

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

// ImageDigests implements ImageDigests: the image's ID and the digests of
// its repository references.
func (e *EngineImages) ImageDigests(ctx context.Context, ref string) ([]string, error) {
	res, err := e.Client.ImageInspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := []string{res.ID}
	for _, rd := range res.RepoDigests {
		if _, dg, ok := strings.Cut(rd, "@"); ok {
			out = append(out, dg)
		}
	}
	return out, nil
}
