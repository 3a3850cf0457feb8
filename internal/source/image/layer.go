package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/secrets"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// errTooLarge is wrapped by the decompression caps' errors.
var errTooLarge = errors.New("decompressed size cap reached")

// capReader fails once more than max bytes went through it.
type capReader struct {
	r    io.Reader
	n    int64
	max  int64
	what string
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.max > 0 && c.n > c.max {
		return n, fmt.Errorf("%s decompresses to more than %d bytes: %w", c.what, c.max, errTooLarge)
	}
	return n, err
}

// layerScan is what one layer holds: its entries (metadata, secret matches,
// small credential-file contents) and the digests of its bytes.
type layerScan struct {
	Files      []scanned
	DiffID     string // sha256 of the uncompressed tar
	Digest     string // sha256 of the bytes as stored
	Compressed string // gzip, zstd or none
	Size       int64  // uncompressed
	// Notes are oddities that are not errors (links climbing out of the root).
	Notes []string
}

// Progress is what Options.Progress is told while an image is read: Layers
// announces layers about to be read (the total grows by it: all of an
// image's layers at once when its manifest comes first, one by one for a
// docker save archive, whose manifest comes last), LayerDone that a layer
// was read, Bytes how many more stored (compressed) bytes were read.
type Progress struct {
	Layers    int
	LayerDone bool
	Bytes     int64
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r      io.Reader
	report func(Progress)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.report(Progress{Bytes: int64(n)})
	}
	return n, err
}

// scanLayer reads one layer stream once: sniffs its compression,
// decompresses it under the cap, hashes both forms and records its entries.
func scanLayer(r io.Reader, opt *Options, index int) (*layerScan, error) {
	return scanLayerHash(r, opt, index, true)
}

// scanLayerHash is scanLayer; hashRaw false skips the digest of the stored
// bytes when nothing names it (legacy archive members).
//
// The layer's own goroutine decompresses and walks the tar; the digests and
// the secret scan of text files run beside it (asyncHash, contentScan), so
// that on a machine with a spare core reading a layer costs little more
// than decompressing it.
func scanLayerHash(r io.Reader, opt *Options, index int, hashRaw bool) (*layerScan, error) {
	if opt.Progress != nil {
		r = &progressReader{r, opt.Progress}
	}
	var raw *asyncHash
	if hashRaw {
		raw = newAsyncHash()
		defer raw.stop()
		r = io.TeeReader(r, raw)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	ls := &layerScan{Compressed: "none"}
	var body io.Reader = br
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("layer %d: gzip: %w", index, err)
		}
		defer zr.Close()
		body, ls.Compressed = zr, "gzip"
	case len(magic) == 4 && bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(max(opt.MaxLayerSize, 1<<20))))
		if err != nil {
			return nil, fmt.Errorf("layer %d: zstd: %w", index, err)
		}
		defer zr.Close()
		body, ls.Compressed = zr, "zstd"
	}
	diff := newAsyncHash()
	defer diff.stop()
	cs := newContentScan(opt.MaxFileRead)
	defer cs.stop()
	cr := &capReader{r: body, max: opt.MaxLayerSize, what: fmt.Sprintf("layer %d", index)}
	tr := tar.NewReader(io.TeeReader(cr, diff))
	buf := make([]byte, 32<<10)
	var scripts int64 // script text kept
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, layerErr(index, err)
		}
		f, err := entry(h, index)
		if err != nil {
			return nil, err
		}
		if f.typ == tar.TypeSymlink && !path.IsAbs(f.link) && escapes(path.Join(path.Dir(f.path), f.link)) {
			ls.Notes = append(ls.Notes, fmt.Sprintf("layer %d: symbolic link /%s -> %s climbs above the image root (in a container it stops at /; it is never followed here)", index, f.path, f.link))
		}
		var content []byte
		if f.isRegular() && !f.whiteout && h.Size > 0 {
			if content, err = readContent(tr, &f, h.Size, opt, buf, cs); err != nil {
				return nil, layerErr(index, err)
			}
			if len(content) >= 2 && content[0] == '#' && content[1] == '!' && h.Size <= maxScript && scripts+h.Size <= maxScripts {
				f.texts().script = string(content)
				scripts += h.Size
			}
		}
		ls.Files = append(ls.Files, f)
		if len(content) > 0 {
			cs.scan(len(ls.Files)-1, f.path, content)
		}
	}
	// The rest of the stream (tar padding) counts for the digests.
	if _, err := io.CopyBuffer(io.Discard, io.TeeReader(cr, diff), buf); err != nil {
		return nil, layerErr(index, err)
	}
	if _, err := io.CopyBuffer(io.Discard, br, buf); err != nil {
		return nil, layerErr(index, err)
	}
	found, err := cs.wait()
	if err != nil {
		return nil, fmt.Errorf("layer %d: %w", index, err)
	}
	for _, fs := range found {
		ls.Files[fs.index].texts().secrets = fs.secrets
	}
	ls.Size = cr.n
	ls.DiffID = diff.sum()
	if raw != nil {
		ls.Digest = raw.sum()
	}
	if opt.Progress != nil {
		opt.Progress(Progress{LayerDone: true})
	}
	return ls, nil
}

// asyncHash is a SHA-256 fed through a writer and computed on a goroutine
// of its own: written bytes are copied into blocks handed over to it.
type asyncHash struct {
	h       hash.Hash
	cur     []byte
	full    chan []byte
	free    chan []byte
	done    chan struct{}
	stopped bool
}

const hashBlock = 256 << 10

func newAsyncHash() *asyncHash {
	a := &asyncHash{h: sha256.New(), full: make(chan []byte, 2), free: make(chan []byte, 3), done: make(chan struct{})}
	for range 2 {
		a.free <- make([]byte, 0, hashBlock)
	}
	a.cur = make([]byte, 0, hashBlock)
	go func() {
		defer close(a.done)
		for b := range a.full {
			a.h.Write(b)
			a.free <- b[:0]
		}
	}()
	return a
}

func (a *asyncHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(a.cur[len(a.cur):cap(a.cur)], p)
		a.cur, p = a.cur[:len(a.cur)+k], p[k:]
		if len(a.cur) == cap(a.cur) {
			a.full <- a.cur
			a.cur = <-a.free
		}
	}
	return n, nil
}

// sum hashes what is left and returns the digest; the hash is done.
func (a *asyncHash) sum() string {
	if len(a.cur) > 0 && !a.stopped {
		a.full <- a.cur
		a.cur = a.cur[:0]
	}
	a.stop()
	return sum(a.h)
}

// stop ends the goroutine; later calls do nothing.
func (a *asyncHash) stop() {
	if !a.stopped {
		a.stopped = true
		close(a.full)
		<-a.done
	}
}

// contentScan runs the secret scan of a layer's text files on a goroutine
// of its own, on buffers lent by the reading goroutine: a few, so memory
// stays bounded (MaxFileRead each) and reading waits when scanning lags.
type contentScan struct {
	jobs    chan contentJob
	free    chan []byte
	found   []fileSecrets
	err     error
	done    chan struct{}
	stopped bool
}

type contentJob struct {
	index int
	path  string
	text  []byte
}

type fileSecrets struct {
	index   int
	secrets []facts.FileSecret
}

const contentBuffers = 3

func newContentScan(maxFile int64) *contentScan {
	c := &contentScan{jobs: make(chan contentJob, contentBuffers), free: make(chan []byte, contentBuffers), done: make(chan struct{})}
	for range contentBuffers {
		c.free <- nil // allocated on first use, up to the file size read
	}
	go func() {
		defer close(c.done)
		for j := range c.jobs {
			// The buffer goes back for the next file once scanned: nothing
			// may keep the text (matches keep only their kind and line).
			text := unsafe.String(unsafe.SliceData(j.text), len(j.text))
			found, err := secrets.Content(j.path, text)
			if err != nil && c.err == nil {
				c.err = err
			}
			if len(found) > 0 {
				fs := fileSecrets{index: j.index}
				for _, m := range found {
					fs.secrets = append(fs.secrets, facts.FileSecret{Kind: m.Kind, Line: m.Line})
				}
				c.found = append(c.found, fs)
			}
			c.free <- j.text[:0]
		}
	}()
	return c
}

// buffer lends a buffer of n bytes; scan or giveBack returns it.
func (c *contentScan) buffer(n int) []byte {
	b := <-c.free
	if cap(b) < n {
		b = make([]byte, n)
	}
	return b[:n]
}

func (c *contentScan) giveBack(b []byte) { c.free <- b[:0] }

// scan queues the text of file index (a lent buffer).
func (c *contentScan) scan(index int, path string, text []byte) {
	c.jobs <- contentJob{index, path, text}
}

// wait returns what the scan found once every queued file is scanned.
func (c *contentScan) wait() ([]fileSecrets, error) {
	c.stop()
	return c.found, c.err
}

func (c *contentScan) stop() {
	if !c.stopped {
		c.stopped = true
		close(c.jobs)
		<-c.done
	}
}

func sum(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

func layerErr(index int, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("layer %d: truncated: %w", index, err)
	}
	return fmt.Errorf("layer %d: %w", index, err)
}

// scanned is one tar entry as a layer scan keeps it until the layers are
// laid over each other: small, since an image may hold hundreds of
// thousands of entries; the rare text parts sit behind a pointer.
type scanned struct {
	path, link                       string
	mode, size                       int64
	uid, gid                         int
	typ                              byte
	whiteout, opaque, final, removed bool
	text                             *scannedText
}

// scannedText is what was read of a file's text.
type scannedText struct {
	secrets         []facts.FileSecret
	content, script string
}

func (f *scanned) isDir() bool { return f.typ == tar.TypeDir }
func (f *scanned) isRegular() bool {
	return f.typ == tar.TypeReg || f.typ == 0 || f.typ == tar.TypeCont
}

// texts is the entry's text parts, made on first use.
func (f *scanned) texts() *scannedText {
	if f.text == nil {
		f.text = &scannedText{}
	}
	return f.text
}

// fact is the entry as the image fact holds it.
func (f *scanned) fact(layer int) facts.ImageFile {
	out := facts.ImageFile{
		Path: f.path, Mode: f.mode, Type: f.typ, Linkname: f.link, UID: f.uid, GID: f.gid, Size: f.size,
		Layer: layer, Final: f.final, Removed: f.removed, Whiteout: f.whiteout, Opaque: f.opaque,
	}
	if t := f.text; t != nil {
		out.Secrets, out.Content, out.Script = t.secrets, t.content, t.script
	}
	return out
}

// entry turns a tar header into a scanned entry, refusing names and hard
// links that leave the root.
func entry(h *tar.Header, index int) (scanned, error) {
	name, err := cleanName(h.Name)
	if err != nil {
		return scanned{}, fmt.Errorf("layer %d: tar entry %q: %w", index, h.Name, err)
	}
	f := scanned{path: name, mode: h.Mode, typ: h.Typeflag, link: h.Linkname, uid: h.Uid, gid: h.Gid, size: h.Size}
	switch h.Typeflag {
	case tar.TypeLink:
		ln, err := cleanName(h.Linkname)
		if err != nil {
			return f, fmt.Errorf("layer %d: hard link %q -> %q: %w", index, h.Name, h.Linkname, err)
		}
		f.link = ln
	case tar.TypeSymlink:
		// Kept as data: resolved in a container the link stops at "/";
		// one climbing out is noted by the caller.
	}
	base := path.Base(name)
	if base == ".wh..wh..opq" {
		f.path, f.whiteout, f.opaque = path.Dir(name), true, true
	} else if rest, ok := strings.CutPrefix(base, ".wh."); ok {
		f.path, f.whiteout = path.Join(path.Dir(name), rest), true
	}
	return f, nil
}

// cleanName returns a tar name relative to the root; absolute names and names
// climbing out with ".." are errors.
func cleanName(n string) (string, error) {
	if n == "" {
		return "", errors.New("empty name")
	}
	if strings.HasPrefix(n, "/") {
		return "", errors.New("absolute path")
	}
	if strings.ContainsRune(n, 0) {
		return "", errors.New("NUL in name")
	}
	if escapes(n) {
		return "", errors.New("path leaves the image root")
	}
	c := path.Clean(n)
	if c == "." {
		return ".", nil
	}
	return strings.TrimPrefix(c, "./"), nil
}

// escapes reports whether a relative path climbs above its root.
func escapes(p string) bool {
	depth := 0
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// readContent reads a regular file's content when it may hold secrets: a
// credential file by name (kept whole, under the cap), or a text file
// (sniffed) under the size cap. It returns the text in a buffer lent by cs
// (nil when the file is not read), which the caller hands to cs.scan.
// Anything else is skipped unread by the tar reader.
func readContent(tr io.Reader, f *scanned, size int64, opt *Options, buf []byte, cs *contentScan) ([]byte, error) {
	cred := CredentialFile(f.path) != ""
	if size > opt.MaxFileRead && !cred {
		return nil, nil
	}
	n := min(size, 512)
	head := buf[:n]
	if _, err := io.ReadFull(tr, head); err != nil {
		return nil, err
	}
	if !cred && !looksText(head) {
		return nil, nil
	}
	data := cs.buffer(int(min(size, opt.MaxFileRead)))
	copy(data, head)
	if _, err := io.ReadFull(tr, data[n:]); err != nil {
		cs.giveBack(data)
		return nil, err
	}
	if cred && len(data) <= 64<<10 {
		f.texts().content = string(data)
	}
	return data, nil
}

// looksText sniffs the first bytes of a file: no NUL and valid UTF-8 (a
// rune cut at the end is allowed).
func looksText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return len(b) < 4 && !utf8.FullRune(b)
		}
		b = b[size:]
	}
	return true
}

// CredentialFile names the kind of credential file a path is by its name,
// or "".
func CredentialFile(p string) string {
	base := path.Base(p)
	switch {
	case strings.HasSuffix(p, ".aws/credentials"):
		return "AWS credentials file"
	case strings.HasSuffix(p, ".docker/config.json"):
		return "Docker client config"
	case base == ".npmrc":
		return "npm config"
	case base == ".pypirc":
		return "PyPI config"
	case base == ".git-credentials":
		return "git credentials"
	case base == ".env" || strings.HasPrefix(base, ".env.") && !strings.HasSuffix(base, ".example") && !strings.HasSuffix(base, ".sample") && !strings.HasSuffix(base, ".template"):
		return "dotenv file"
	case strings.HasSuffix(p, ".kube/config") || base == "kubeconfig":
		return "kubeconfig"
	case base == "id_rsa" || base == "id_dsa" || base == "id_ecdsa" || base == "id_ed25519":
		return "SSH private key"
	case strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".key") || strings.HasSuffix(base, ".p12") || strings.HasSuffix(base, ".pfx"):
		return "key file"
	}
	return ""
}
