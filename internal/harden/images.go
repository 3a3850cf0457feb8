package harden

import (
	"context"
	"sort"
	"sync"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/source/image"
	"github.com/moby/moby/client"
)

// ImageInfo is what is known of an image from the daemon that holds it.
type ImageInfo struct {
	ID string
	// Volumes are the image config's VOLUMEs.
	Volumes []string
	// RepoDigests are repository@sha256:… names the image was pulled or
	// pushed as.
	RepoDigests []string
	// User, Entrypoint and Cmd are the image config's: a container that
	// sets none of them runs these.
	User       string
	Entrypoint []string
	Cmd        []string
	// readDrop reads the image, when asked, for an entrypoint script
	// that switches user (gosu, su-exec, … in the script), and names the
	// tool ("" when none).
	readDrop func() string
}

// scriptDrop names the tool the image's entrypoint script switches user
// with, asked only when nothing else decides the container's user: it
// keeps the image's entrypoint, its command does not switch user itself
// (drop), and neither the image config nor the table gives a user. It
// reads the whole image once ("" when none or not known).
func (info *ImageInfo) scriptDrop(spec *container.Spec, drop bool) string {
	if _, epSet := spec.At[container.FieldEntrypoint]; drop || epSet || info == nil || info.readDrop == nil ||
		info.nonRootUser() != "" || writableFor(spec.Config.Image).User != "" {
		return ""
	}
	return info.readDrop()
}

// starts is what a container of spec runs: the entrypoint and command it
// sets, else the image's (a new entrypoint drops the image's command, as
// Docker does).
func (info *ImageInfo) starts(spec *container.Spec) []string {
	c := spec.Config
	entrypoint, cmd := c.Entrypoint, c.Cmd
	if info != nil {
		_, epSet := spec.At[container.FieldEntrypoint]
		_, cmdSet := spec.At[container.FieldCmd]
		if !epSet {
			entrypoint = info.Entrypoint
			if !cmdSet {
				cmd = info.Cmd
			}
		}
	}
	return append(append([]string{}, entrypoint...), cmd...)
}

// nonRootUser is the image's own user when it is not root ("" otherwise).
func (info *ImageInfo) nonRootUser() string {
	if info == nil || rootOrUnset(info.User) {
		return ""
	}
	return info.User
}

// DaemonImages looks images up on an engine (docker image inspect), once
// per reference; an image the engine does not hold is nil.
func DaemonImages(ctx context.Context, c *client.Client) func(ref string) *ImageInfo {
	var mu sync.Mutex
	cache := map[string]*ImageInfo{}
	return func(ref string) *ImageInfo {
		mu.Lock()
		defer mu.Unlock()
		if info, ok := cache[ref]; ok {
			return info
		}
		var info *ImageInfo
		if in, err := c.ImageInspect(ctx, ref); err == nil {
			info = &ImageInfo{ID: in.ID, RepoDigests: in.RepoDigests}
			info.readDrop = sync.OnceValue(func() string { return imageDrop(ctx, c, ref) })
			if in.Config != nil {
				info.User, info.Entrypoint, info.Cmd = in.Config.User, in.Config.Entrypoint, in.Config.Cmd
				for v := range in.Config.Volumes {
					info.Volumes = append(info.Volumes, v)
				}
				sort.Strings(info.Volumes)
			}
		}
		cache[ref] = info
		return info
	}
}

// image is what Options.Image knows of ref (nil when nothing).
func (o Options) image(ref string) *ImageInfo {
	if o.Image == nil || ref == "" {
		return nil
	}
	return o.Image(ref)
}

// writablePaths are the paths a container of image needs writable under a
// read-only root: tmpfs paths (/tmp, the image's table entry, the
// configuration's) and data paths (the image's VOLUMEs, from the daemon or
// the table), which stay volumes.
func (o Options) writablePaths(image string, lim Limits) (tmpfs, data []string) {
	w := writableFor(image)
	add := func(list *[]string, ps ...string) {
		for _, p := range ps {
			if !contains(*list, p) {
				*list = append(*list, p)
			}
		}
	}
	add(&tmpfs, "/tmp")
	add(&tmpfs, w.Tmpfs...)
	add(&tmpfs, lim.Tmpfs...)
	if info := o.image(image); info != nil {
		add(&data, info.Volumes...)
	} else {
		add(&data, w.Data...)
	}
	var keep []string
	for _, d := range data {
		if !contains(tmpfs, d) {
			keep = append(keep, d)
		}
	}
	return tmpfs, keep
}

// imageDrop streams the daemon's save of image ref through the image
// reader and returns the tool its entrypoint switches user with; "" when
// none, or when the image cannot be read (harden then gives a user, as
// without a daemon).
func imageDrop(ctx context.Context, c *client.Client, ref string) string {
	res, err := image.ReadDaemon(ctx, c, "daemon:"+ref, ref, image.Options{})
	if err != nil || res.Image.Config == nil || res.Image.Config.PrivilegeDrop == nil {
		return ""
	}
	return res.Image.Config.PrivilegeDrop.Tool
}
