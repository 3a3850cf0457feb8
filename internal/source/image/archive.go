package image

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// maxJSON caps a JSON member of an archive (manifest.json, a config).
const maxJSON = 16 << 20

// saveManifest is one entry of a `docker save` manifest.json.
type saveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// ReadArchive reads a `docker save` archive (both the legacy layout and the
// OCI-shaped one Docker 25 writes) from a stream, once: JSON members are kept
// (capped), every other member is scanned as a layer as it goes by, and the
// image is assembled when the stream ends. tag picks an image of a
// multi-image archive ("" for the only one). Nothing is written to disk.
func ReadArchive(ctx context.Context, r io.Reader, ref, tag string, opt Options) (*Result, error) {
	opt = opt.withDefaults()
	tr := tar.NewReader(r)
	jsons := map[string][]byte{}
	layers := map[string]*layerScan{}
	aliases := map[string]string{}
	var total int64
	n, members := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && members == 0 {
			return nil, fmt.Errorf("not a docker save archive (not a tar stream): %w", err)
		}
		members++
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("archive truncated: %w", err)
			}
			return nil, fmt.Errorf("archive: %w", err)
		}
		if h.Typeflag == tar.TypeSymlink {
			// Legacy saves link a repeated layer to its first copy.
			name, err := cleanName(h.Name)
			if err != nil {
				return nil, fmt.Errorf("archive member %q: %w", h.Name, err)
			}
			target, err := cleanName(path.Join(path.Dir(name), h.Linkname))
			if err != nil {
				return nil, fmt.Errorf("archive member %q links to %q: %w", h.Name, h.Linkname, err)
			}
			aliases[name] = target
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name, err := cleanName(h.Name)
		if err != nil {
			return nil, fmt.Errorf("archive member %q: %w", h.Name, err)
		}
		if path.Base(name) == "VERSION" {
			continue
		}
		br := bufio.NewReaderSize(tr, 4096)
		head, _ := br.Peek(1)
		if len(head) == 1 && (head[0] == '{' || head[0] == '[') || h.Size == 0 && !strings.HasSuffix(name, "layer.tar") {
			if h.Size > maxJSON {
				return nil, fmt.Errorf("archive member %s: %d bytes of JSON, more than %d", name, h.Size, maxJSON)
			}
			b, err := io.ReadAll(br)
			if err != nil {
				return nil, fmt.Errorf("archive member %s: %w", name, err)
			}
			if err := checkBlobName(name, sha256.Sum256(b)); err != nil {
				return nil, err
			}
			jsons[name] = b
			continue
		}
		_, named := blobDigest(name)
		if opt.Progress != nil {
			opt.Progress(Progress{Layers: 1})
		}
		ls, err := scanLayerHash(br, &opt, n, named)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		n++
		total += ls.Size
		if opt.MaxImageSize > 0 && total > opt.MaxImageSize {
			return nil, fmt.Errorf("image decompresses to more than %d bytes: %w", opt.MaxImageSize, errTooLarge)
		}
		if want, ok := blobDigest(name); ok && want != ls.Digest {
			return nil, fmt.Errorf("%s: digest mismatch: content is %s", name, ls.Digest)
		}
		layers[name] = ls
	}
	mb, ok := jsons["manifest.json"]
	if !ok {
		return nil, errors.New("not a docker save archive: no manifest.json")
	}
	var ms []saveManifest
	if err := json.Unmarshal(mb, &ms); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	m, err := pickManifest(ms, tag)
	if err != nil {
		return nil, err
	}
	cfg, ok := jsons[path.Clean(m.Config)]
	if !ok {
		return nil, fmt.Errorf("manifest.json: config %s is not in the archive", m.Config)
	}
	var ordered []*layerScan
	for _, l := range m.Layers {
		key := path.Clean(l)
		if a, ok := aliases[key]; ok {
			key = a
		}
		ls, ok := layers[key]
		if !ok {
			if b, isJSON := jsons[path.Clean(l)]; isJSON && len(b) == 0 {
				return nil, fmt.Errorf("manifest.json: layer %s is empty", l)
			}
			return nil, fmt.Errorf("manifest.json: layer %s is not in the archive", l)
		}
		ordered = append(ordered, ls)
	}
	digest := ""
	if d, ok := blobDigest(path.Clean(m.Config)); ok {
		digest = d
	}
	res, err := assemble(ref, cfg, ordered, opt.AllEntries)
	if err != nil {
		return nil, err
	}
	res.ConfigDigest = digest
	res.Tags = m.RepoTags
	return res, nil
}

// pickManifest chooses the image of a save archive.
func pickManifest(ms []saveManifest, tag string) (saveManifest, error) {
	if len(ms) == 0 {
		return saveManifest{}, errors.New("manifest.json names no image")
	}
	if tag == "" {
		if len(ms) > 1 {
			return saveManifest{}, fmt.Errorf("the archive holds %d images; name one (docker-archive:FILE:TAG)", len(ms))
		}
		return ms[0], nil
	}
	want := facts.ParseImageRef(tag)
	for _, m := range ms {
		for _, t := range m.RepoTags {
			if sameTag(facts.ParseImageRef(t), want) {
				return m, nil
			}
		}
	}
	if len(ms) == 1 {
		return ms[0], nil
	}
	return saveManifest{}, fmt.Errorf("no image tagged %s in the archive", tag)
}

// sameTag reports whether two references name the same tag of the same
// repository as Docker normalizes them (ubuntu is docker.io/library/ubuntu,
// no tag is latest).
func sameTag(a, b facts.ImageRef) bool {
	tag := func(r facts.ImageRef) string {
		if r.Tag == "" {
			return "latest"
		}
		return r.Tag
	}
	return a.Registry == b.Registry && a.Repo == b.Repo && tag(a) == tag(b)
}

// blobDigest returns the digest a member's name promises: blobs/sha256/HEX
// or HEX.json (legacy configs).
func blobDigest(name string) (string, bool) {
	hexPart := ""
	if rest, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
		hexPart = rest
	} else if rest, ok := strings.CutSuffix(name, ".json"); ok && !strings.Contains(rest, "/") {
		hexPart = rest
	}
	if len(hexPart) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		return "", false
	}
	return "sha256:" + hexPart, true
}

func checkBlobName(name string, s [32]byte) error {
	if want, ok := blobDigest(name); ok && want != "sha256:"+hex.EncodeToString(s[:]) {
		return fmt.Errorf("%s: digest mismatch: content is sha256:%s", name, hex.EncodeToString(s[:]))
	}
	return nil
}
