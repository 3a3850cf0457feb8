// Package image reads container images as facts: the config, the history
// and every file of every layer, from `docker save` archives, OCI layouts,
// registries and the Docker daemon. Every source is read once as a stream;
// nothing is extracted to disk and only paths, metadata, secret matches and
// small credential files are kept in memory.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dockguard/dockguard/internal/imagesig"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/client"
)

// Options bound what reading an image may cost.
type Options struct {
	// MaxLayerSize and MaxImageSize cap decompressed bytes (0: defaults).
	MaxLayerSize int64
	MaxImageSize int64
	// MaxFileRead is the largest text file whose content is scanned.
	MaxFileRead int64
	// InsecureRegistries are registry hosts spoken to over plain HTTP.
	InsecureRegistries []string
	// Engine is the daemon daemon: references are asked of.
	Engine engine.Endpoint
	// Workers bounds how many layers are read at once (registry, layout).
	Workers int
	// Platform picks the image of a multi-platform index: os/arch[/variant]
	// ("" is linux and this machine's architecture).
	Platform string
	// AllEntries keeps every entry in Image.Files, not only the notable
	// ones (to list an image's files, or test whiteout resolution); memory
	// then grows with the file count.
	AllEntries bool
	// Progress, when set, is told how reading goes (layers, stored bytes);
	// it is called from several goroutines at once.
	Progress func(Progress)
	// Verify, when set, checks the image's signature (cosign .sig or
	// Sigstore bundle) and records the verdict in Image.Signature.
	Verify *imagesig.Verifier
}

// platform parses Options.Platform.
func (o Options) platform() (v1.Platform, error) {
	if o.Platform == "" {
		return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(o.Platform)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", o.Platform)
	}
	return *p, nil
}

// Defaults.
const (
	DefaultMaxLayerSize = 8 << 30
	DefaultMaxImageSize = 32 << 30
	DefaultMaxFileRead  = 1 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxLayerSize == 0 {
		o.MaxLayerSize = DefaultMaxLayerSize
	}
	if o.MaxImageSize == 0 {
		o.MaxImageSize = DefaultMaxImageSize
	}
	if o.MaxFileRead == 0 {
		o.MaxFileRead = DefaultMaxFileRead
	}
	if o.Workers <= 0 {
		o.Workers = min(runtime.NumCPU(), 4)
	}
	return o
}

// Load reads the image a reference names: docker-archive:FILE[:TAG],
// oci:DIR[:TAG], registry:REF, daemon:REF, or no prefix (an existing file
// is an archive, a folder with an oci-layout file a layout, anything else a
// reference tried in the daemon, then the registry).
func Load(ctx context.Context, ref string, opt Options) (*Result, error) {
	opt = opt.withDefaults()
	kind, rest := "", ref
	for _, p := range []string{"docker-archive", "oci", "registry", "daemon"} {
		if r, ok := strings.CutPrefix(ref, p+":"); ok {
			kind, rest = p, r
			break
		}
	}
	if kind == "" {
		if st, err := os.Stat(ref); err == nil {
			if st.IsDir() {
				kind = "oci"
			} else {
				kind = "docker-archive"
			}
		}
	}
	switch kind {
	case "docker-archive":
		file, tag := splitPathTag(rest)
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		res, err := ReadArchive(ctx, f, ref, tag, opt)
		if err == nil && opt.Verify != nil {
			unverifiable(res.Image, opt.Verify, "a docker save archive records no registry digest to look its signature up by; verify the image in its registry (registry:REF) or in a layout written by cosign save (oci:DIR)")
		}
		return res, err
	case "oci":
		dir, tag := splitPathTag(rest)
		return loadLayout(ctx, ref, dir, tag, opt)
	case "registry":
		return loadRegistry(ctx, ref, rest, opt)
	case "daemon":
		return loadDaemon(ctx, ref, rest, opt)
	}
	res, derr := loadDaemon(ctx, ref, rest, opt)
	if derr == nil {
		return res, nil
	}
	res, rerr := loadRegistry(ctx, ref, rest, opt)
	if rerr != nil {
		return nil, fmt.Errorf("not in the daemon (%v), nor in the registry (%v)", derr, rerr)
	}
	return res, nil
}

// splitPathTag splits FILE:TAG when FILE exists without the tag.
func splitPathTag(s string) (string, string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	if i := strings.LastIndexByte(s, ':'); i > 0 && !strings.ContainsRune(s[i:], '/') {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func loadLayout(ctx context.Context, ref, dir, tag string, opt Options) (*Result, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, fmt.Errorf("%s is not an OCI layout (no oci-layout file)", dir)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	plat, err := opt.platform()
	if err != nil {
		return nil, err
	}
	img, digest, err := pickFromIndex(idx, tag, plat)
	if err != nil {
		return nil, err
	}
	res, err := fromImage(ctx, ref, img, opt)
	if err != nil {
		return nil, err
	}
	res.Image.Digest = digest
	if opt.Verify != nil {
		checkSignature(ctx, res.Image, opt.Verify, layoutDigests(dir, tag, digest), layoutLookup(dir))
	}
	return res, nil
}

// pickFromIndex finds the image tagged tag (annotation
// org.opencontainers.image.ref.name), or the only one, descending into a
// nested index for this platform.
func pickFromIndex(idx v1.ImageIndex, tag string, plat v1.Platform) (v1.Image, string, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	var cands []v1.Descriptor
	for _, d := range im.Manifests {
		if tag == "" || d.Annotations["org.opencontainers.image.ref.name"] == tag {
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return nil, "", fmt.Errorf("no image tagged %q in the layout", tag)
	}
	cands = cosignImage(cands)
	var pick *v1.Descriptor
	if len(cands) == 1 {
		pick = &cands[0]
	} else {
		for i, d := range cands {
			if d.Platform != nil && d.Platform.Satisfies(plat) {
				pick = &cands[i]
				break
			}
		}
		if pick == nil {
			return nil, "", fmt.Errorf("the layout holds %d images and none for %s; name one (oci:DIR:TAG) or pick a platform (--platform)", len(cands), plat)
		}
	}
	if pick.MediaType.IsIndex() {
		sub, err := idx.ImageIndex(pick.Digest)
		if err != nil {
			return nil, "", err
		}
		return pickFromIndex(sub, "", plat)
	}
	img, err := idx.Image(pick.Digest)
	return img, pick.Digest.String(), err
}

func loadRegistry(ctx context.Context, ref, rest string, opt Options) (*Result, error) {
	var nopts []name.Option
	if r, err := name.ParseReference(rest); err == nil {
		for _, h := range opt.InsecureRegistries {
			if r.Context().RegistryStr() == h {
				nopts = append(nopts, name.Insecure)
			}
		}
	}
	r, err := name.ParseReference(rest, nopts...)
	if err != nil {
		return nil, err
	}
	plat, err := opt.platform()
	if err != nil {
		return nil, err
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	img, err := remote.Image(r, append(ropts, remote.WithPlatform(plat))...)
	if err != nil {
		return nil, err
	}
	res, err := fromImage(ctx, ref, img, opt)
	if err != nil {
		return nil, err
	}
	if d, err := img.Digest(); err == nil {
		res.Image.Digest = d.String()
	}
	_, byDigest := r.(name.Digest)
	res.Image.ByTag = !byDigest
	if opt.Verify != nil {
		digests := []string{res.Image.Digest}
		// cosign signs what the reference names: an index when it names one.
		if desc, err := remote.Head(r, ropts...); err == nil && desc.Digest.String() != res.Image.Digest {
			digests = append([]string{desc.Digest.String()}, digests...)
		}
		checkSignature(ctx, res.Image, opt.Verify, digests, registryLookup(r.Context(), ropts))
	}
	return res, nil
}

// fromImage reads a go-containerregistry image: its config, then its
// layers in parallel, each stream once.
func fromImage(ctx context.Context, ref string, img v1.Image, opt Options) (*Result, error) {
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if opt.Progress != nil {
		opt.Progress(Progress{Layers: len(ls)})
	}
	scans := make([]*layerScan, len(ls))
	errs := make([]error, len(ls))
	// Largest layers first: the image is read when its last layer is, and
	// one large layer started last would be read alone at the end.
	order := make([]int, len(ls))
	sizes := make([]int64, len(ls))
	for i, l := range ls {
		order[i] = i
		sizes[i], _ = l.Size()
	}
	sort.SliceStable(order, func(a, b int) bool { return sizes[order[a]] > sizes[order[b]] })
	sem := make(chan struct{}, opt.Workers)
	var wg sync.WaitGroup
	for _, i := range order {
		l := ls[i]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			rc, err := l.Compressed()
			if err != nil {
				errs[i] = fmt.Errorf("layer %d: %w", i, err)
				return
			}
			defer rc.Close()
			s, err := scanLayer(rc, &opt, i)
			if err != nil {
				errs[i] = err
				return
			}
			if d, err := l.Digest(); err == nil && d.String() != s.Digest {
				errs[i] = fmt.Errorf("layer %d: digest mismatch: the manifest expects %s, the content is %s", i, d, s.Digest)
				return
			}
			scans[i] = s
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var total int64
	for _, s := range scans {
		total += s.Size
	}
	if opt.MaxImageSize > 0 && total > opt.MaxImageSize {
		return nil, fmt.Errorf("image decompresses to more than %d bytes: %w", opt.MaxImageSize, errTooLarge)
	}
	return assemble(ref, cfg, scans, opt.AllEntries)
}

// loadDaemon streams the daemon's save of one image (ImageSave) through
// the archive reader.
func loadDaemon(ctx context.Context, ref, rest string, opt Options) (*Result, error) {
	ep, err := engine.Resolve(opt.Engine)
	if err != nil {
		return nil, err
	}
	c, err := engine.Client(ep)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return ReadDaemon(ctx, c, ref, rest, opt)
}

// ReadDaemon reads image rest (a reference or ID) from the daemon c talks
// to, streaming its save through the archive reader; ref names it in the
// report.
func ReadDaemon(ctx context.Context, c *client.Client, ref, rest string, opt Options) (*Result, error) {
	opt = opt.withDefaults()
	ins, err := c.ImageInspect(ctx, rest)
	if err != nil {
		return nil, err
	}
	rc, err := c.ImageSave(ctx, []string{rest})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	res, err := ReadArchive(ctx, io.Reader(rc), ref, rest, opt)
	if err != nil {
		return nil, err
	}
	res.Image.ByTag = !strings.Contains(rest, "@sha256:") && !strings.HasPrefix(rest, "sha256:")
	// The digest to pin to is the registry's (a repository digest), when
	// the image came from one.
	for _, rd := range ins.RepoDigests {
		if _, d, ok := strings.Cut(rd, "@"); ok {
			res.Image.Digest = d
			break
		}
	}
	if opt.Verify != nil {
		verifyDaemonImage(ctx, res.Image, ins.RepoDigests, opt)
	}
	return res, nil
}
