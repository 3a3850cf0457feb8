package harden

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolver finds the digest an image reference names today: the
// repository digest of the image the local engine holds under that name,
// else the registry's answer to a HEAD (or GET) of the manifest, with the
// credentials of the Docker config and its credential helpers. The
// digest of a multi-platform image is its index's, as docker pull records
// it, so the pin keeps every platform.
type Resolver struct {
	// Image looks the reference up on the engine (nil: registry only).
	Image func(ref string) *ImageInfo
	// Insecure are registries (HOST[:PORT]) spoken to over plain HTTP.
	Insecure []string
	// Keychain gives registry credentials (nil: authn.DefaultKeychain).
	Keychain authn.Keychain
	// Timeout bounds one registry request (0: 30s).
	Timeout time.Duration

	mu    sync.Mutex
	cache map[string]resolved
}

type resolved struct {
	digest string
	err    error
}

// Digest returns the sha256:… digest ref names, or why it cannot be known.
// Each reference is asked once.
func (r *Resolver) Digest(ref string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.cache[ref]; ok {
		return v.digest, v.err
	}
	d, err := r.digest(ref)
	if r.cache == nil {
		r.cache = map[string]resolved{}
	}
	r.cache[ref] = resolved{d, err}
	return d, err
}

func (r *Resolver) digest(ref string) (string, error) {
	var opts []name.Option
	if p, err := name.ParseReference(ref); err == nil {
		for _, h := range r.Insecure {
			if p.Context().RegistryStr() == h {
				opts = append(opts, name.Insecure)
			}
		}
	}
	p, err := name.ParseReference(ref, opts...)
	if err != nil {
		return "", fmt.Errorf("%s is not an image reference: %v", ref, err)
	}
	if d, ok := p.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	// The engine's copy: a repository digest of the same repository.
	if r.Image != nil {
		if info := r.Image(ref); info != nil {
			for _, rd := range info.RepoDigests {
				d, err := name.NewDigest(rd, opts...)
				if err == nil && d.Context().Name() == p.Context().Name() {
					return d.DigestStr(), nil
				}
			}
		}
	}
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	desc, err := remote.Head(p, ropts...)
	if err != nil {
		// Some registries answer GET but not HEAD.
		if g, gerr := remote.Get(p, ropts...); gerr == nil {
			return g.Digest.String(), nil
		}
		return "", fmt.Errorf("%s: the registry did not give a digest: %v", ref, shortErr(err))
	}
	return desc.Digest.String(), nil
}

func shortErr(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// pinnable reports whether an image reference is one to pin: named, with
// no digest and no variable in it. latest and untagged are pinned too
// (their digest is what they name today).
func pinnable(ref string) bool {
	return ref != "" && !strings.Contains(ref, "@") && !strings.ContainsAny(ref, "${}` ") &&
		!strings.EqualFold(ref, "scratch")
}

// pin returns ref with its digest (the tag kept: nginx:1.27@sha256:…), or
// a note saying why it stays as it is.
func (o Options) pin(ref string) (string, *Note) {
	if o.Resolve == nil || !pinnable(ref) {
		return "", nil
	}
	d, err := o.Resolve(ref)
	if err != nil {
		return "", &Note{Rule: "image-unpinned", Message: fmt.Sprintf("%s not pinned: %v", ref, err)}
	}
	return ref + "@" + d, nil
}
