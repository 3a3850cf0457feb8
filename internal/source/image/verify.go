package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/imagesig"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Where cosign looks signatures up: the legacy tag in the image's
// repository, and, in a `cosign save` layout, the index entries it marks.
const (
	cosignKind      = "kind"
	cosignKindImage = "dev.cosignproject.cosign/image"
	cosignKindIndex = "dev.cosignproject.cosign/imageIndex"
	cosignKindSigs  = "dev.cosignproject.cosign/sigs"
)

// sigTag is the legacy signature tag of a digest: sha256-<hex>.sig.
func sigTag(digest string) string { return strings.Replace(digest, ":", "-", 1) + ".sig" }

// lookup finds the signatures of one manifest digest.
type lookup func(ctx context.Context, digest string) (imagesig.Found, error)

// checkSignature verifies the signatures of the image's digests (several
// when a tag names an index: the index's and the image's, as cosign signs
// what the tag names) and records the verdict; any one valid signature
// verifies the image.
func checkSignature(ctx context.Context, im *facts.Image, v *imagesig.Verifier, digests []string, find lookup) {
	check := &facts.SignatureCheck{Signer: v.Signer()}
	im.Signature = check
	if len(digests) == 0 {
		check.Status = facts.SignatureUnverifiable
		check.Problem = "no manifest digest is known for the image"
		return
	}
	check.Digest = digests[0]
	var problems []string
	unsigned := true
	for _, d := range digests {
		found, err := find(ctx, d)
		if err != nil {
			check.Status = facts.SignatureUnverifiable
			check.Problem = fmt.Sprintf("looking up the signatures of %s: %v", d, err)
			return
		}
		out := v.Check(d, found)
		if out.Verified {
			check.Status, check.Format, check.Digest = facts.SignatureVerified, out.Format, d
			im.Notes = append(im.Notes, facts.Note{At: facts.Location{Image: im.Ref},
				Message: fmt.Sprintf("signature verified: %s of %s, signed by %s", out.Format, d, out.Signer)})
			return
		}
		unsigned = unsigned && out.Unsigned
		problems = append(problems, out.Problem)
	}
	check.Status = facts.SignatureInvalid
	if unsigned {
		check.Status = facts.SignatureUnsigned
	}
	check.Problem = strings.Join(problems, "; ")
}

// unverifiable records that the image's signature cannot be looked up.
func unverifiable(im *facts.Image, v *imagesig.Verifier, why string) {
	im.Signature = &facts.SignatureCheck{Status: facts.SignatureUnverifiable, Signer: v.Signer(), Problem: why}
}

// registryLookup finds a digest's signatures in a registry repository:
// the legacy .sig tag and the Sigstore bundle referrers (the Referrers API,
// or the referrers tag schema where the registry lacks it).
func registryLookup(repo name.Repository, ropts []remote.Option) lookup {
	return func(ctx context.Context, digest string) (imagesig.Found, error) {
		var found imagesig.Found
		ropts := append(ropts[:len(ropts):len(ropts)], remote.WithContext(ctx))
		img, err := remote.Image(repo.Tag(sigTag(digest)), ropts...)
		switch {
		case isNotFound(err):
		case err != nil:
			return found, fmt.Errorf("signature tag %s: %w", sigTag(digest), err)
		default:
			if found.Legacy, err = legacyLayers(img); err != nil {
				return found, fmt.Errorf("signature tag %s: %w", sigTag(digest), err)
			}
		}
		idx, err := remote.Referrers(repo.Digest(digest), ropts...)
		if isNotFound(err) {
			return found, nil
		}
		if err != nil {
			return found, fmt.Errorf("referrers: %w", err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return found, fmt.Errorf("referrers: %w", err)
		}
		for _, d := range im.Manifests {
			if !mayHoldBundle(d) {
				continue
			}
			art, err := remote.Image(repo.Digest(d.Digest.String()), ropts...)
			if err != nil {
				return found, fmt.Errorf("referrer %s: %w", d.Digest, err)
			}
			bs, err := bundleLayers(art)
			if err != nil {
				return found, fmt.Errorf("referrer %s: %w", d.Digest, err)
			}
			found.Bundles = append(found.Bundles, bs...)
		}
		return found, nil
	}
}

// mayHoldBundle tells which referrers to open: those whose artifact type
// is a bundle's, and those a registry describes by their empty config
// (go-containerregistry's registry reports the config media type, not the
// manifest's artifactType) when cosign's bundle annotations mark them or
// nothing else is said.
func mayHoldBundle(d v1.Descriptor) bool {
	if strings.HasPrefix(d.ArtifactType, imagesig.BundleMediaPrefix) {
		return true
	}
	for k := range d.Annotations {
		if strings.HasPrefix(k, "dev.sigstore.bundle.") {
			return true
		}
	}
	return d.ArtifactType == "" || d.ArtifactType == "application/vnd.oci.empty.v1+json"
}

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// legacyLayers reads a .sig manifest: each layer's payload and annotations.
func legacyLayers(img v1.Image) ([]imagesig.Legacy, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var out []imagesig.Legacy
	for _, d := range m.Layers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, err
		}
		b, err := readLayer(l)
		if err != nil {
			return nil, err
		}
		out = append(out, imagesig.Legacy{Payload: b, Annotations: d.Annotations})
	}
	return out, nil
}

// bundleLayers reads the bundle layers of a referrer manifest.
func bundleLayers(img v1.Image) ([][]byte, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, d := range m.Layers {
		if !strings.HasPrefix(string(d.MediaType), imagesig.BundleMediaPrefix) {
			continue
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, err
		}
		b, err := readLayer(l)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// readLayer reads a signature layer's blob (as stored: cosign's layers are
// not compressed), capped; go-containerregistry checks its digest as it is
// read to the end.
func readLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := readAllCapped(rc)
	if err != nil {
		return nil, fmt.Errorf("signature layer: %w", err)
	}
	return b, nil
}

// readAllCapped reads at most imagesig.MaxSignatureSize bytes, whatever
// size a manifest claims: more is an error, not a truncated signature.
func readAllCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, imagesig.MaxSignatureSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > imagesig.MaxSignatureSize {
		return nil, fmt.Errorf("larger than %d bytes", imagesig.MaxSignatureSize)
	}
	return b, nil
}

// layoutLookup finds a digest's signatures inside an OCI layout, where
// `cosign save` puts them: the legacy signatures as an index entry marked
// kind dev.cosignproject.cosign/sigs (or tagged sha256-<hex>.sig), and
// bundle referrers as manifests among the blobs whose subject is the
// digest (cosign save leaves them out of index.json).
func layoutLookup(dir string) lookup {
	return func(ctx context.Context, digest string) (imagesig.Found, error) {
		var found imagesig.Found
		idx, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			return found, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return found, err
		}
		for _, d := range im.Manifests {
			if d.Annotations[cosignKind] != cosignKindSigs && d.Annotations["org.opencontainers.image.ref.name"] != sigTag(digest) {
				continue
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				return found, fmt.Errorf("signatures %s: %w", d.Digest, err)
			}
			ls, err := legacyLayers(img)
			if err != nil {
				return found, fmt.Errorf("signatures %s: %w", d.Digest, err)
			}
			found.Legacy = append(found.Legacy, ls...)
		}
		found.Bundles, err = layoutReferrers(ctx, dir, digest)
		return found, err
	}
}

// layoutDigests are the digests whose signatures speak for the image read
// from a layout: the image's, and first the index's when the entry picked
// (by tag, or the only image) is an index, since cosign signs what it saves.
func layoutDigests(dir, tag, image string) []string {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return []string{image}
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return []string{image}
	}
	var cands []v1.Descriptor
	for _, d := range im.Manifests {
		if tag == "" || d.Annotations["org.opencontainers.image.ref.name"] == tag {
			cands = append(cands, d)
		}
	}
	if cands = cosignImage(cands); len(cands) == 1 && cands[0].MediaType.IsIndex() && cands[0].Digest.String() != image {
		return []string{cands[0].Digest.String(), image}
	}
	return []string{image}
}

// maxManifestSize bounds the blobs read as candidate referrer manifests.
const maxManifestSize = 64 << 10

// layoutReferrers scans the layout's blobs for small manifests whose
// subject is digest, and reads their bundle layers.
func layoutReferrers(ctx context.Context, dir, digest string) ([][]byte, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	ents, err := os.ReadDir(blobs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out [][]byte
	for _, e := range ents {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > maxManifestSize {
			continue
		}
		b, err := os.ReadFile(filepath.Join(blobs, e.Name()))
		if err != nil {
			return nil, err
		}
		var m struct {
			Subject *v1.Descriptor  `json:"subject"`
			Layers  []v1.Descriptor `json:"layers"`
		}
		if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &m) != nil || m.Subject == nil || m.Subject.Digest.String() != digest {
			continue
		}
		for _, l := range m.Layers {
			if !strings.HasPrefix(string(l.MediaType), imagesig.BundleMediaPrefix) || l.Digest.Algorithm != "sha256" {
				continue
			}
			bb, err := readCapped(filepath.Join(blobs, l.Digest.Hex))
			if err != nil {
				return nil, fmt.Errorf("bundle %s: %w", l.Digest, err)
			}
			if h, _, err := v1.SHA256(bytes.NewReader(bb)); err != nil || h != l.Digest {
				return nil, fmt.Errorf("bundle %s: the blob does not match its digest", l.Digest)
			}
			out = append(out, bb)
		}
	}
	return out, nil
}

// readCapped reads a layout blob file with readAllCapped.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f)
}

// cosignImage keeps, of a `cosign save` layout's entries, the image or
// index (kind dev.cosignproject.cosign/image or imageIndex), not its
// signatures and attestations.
func cosignImage(cands []v1.Descriptor) []v1.Descriptor {
	var imgs []v1.Descriptor
	for _, d := range cands {
		if k := d.Annotations[cosignKind]; k == cosignKindImage || k == cosignKindIndex {
			imgs = append(imgs, d)
		}
	}
	if len(imgs) == 0 {
		return cands
	}
	return imgs
}

// verifyDaemonImage verifies a daemon image by its repository digest, in
// its registry: the daemon's own image holds no signature.
func verifyDaemonImage(ctx context.Context, im *facts.Image, repoDigests []string, opt Options) {
	for _, rd := range repoDigests {
		var nopts []name.Option
		if d, err := name.NewDigest(rd); err == nil {
			for _, h := range opt.InsecureRegistries {
				if d.Context().RegistryStr() == h {
					nopts = append(nopts, name.Insecure)
				}
			}
		}
		d, err := name.NewDigest(rd, nopts...)
		if err != nil {
			continue
		}
		ropts := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
		checkSignature(ctx, im, opt.Verify, []string{d.DigestStr()}, registryLookup(d.Context(), ropts))
		return
	}
	unverifiable(im, opt.Verify, "the daemon knows no registry digest for this image (built or loaded locally, never pushed or pulled); push it and verify registry:REF")
}
