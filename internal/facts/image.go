package facts

// Image is an image's content as an image source read it: its config (as the
// container it starts by default), its history and every file of every layer.
type Image struct {
	Subject Subject
	// Ref is the reference the user gave (with its source prefix, if any).
	Ref string
	// Digest is the manifest digest when the source knows it (registry,
	// OCI layout); pinning advice names it.
	Digest string
	// ByTag is set when the reference named a tag rather than a digest.
	ByTag bool
	// Config is the container the image starts by default, located in the
	// image config.
	Config *Container
	// History is the config's history, in order (created_by lines).
	History []HistoryEntry
	// Layers are the layer digests (diff IDs), bottom first.
	Layers []string
	// Files are the entries of every layer the image rules judge (set-id
	// files, world-writable directories, files with secrets, credential
	// or script text, the final PATH folders), in layer order then tar
	// order; Entries counts every entry read.
	Files   []ImageFile
	Entries int
	// Notes are oddities the source saw that are not errors.
	Notes []Note
	// Signature is the verdict on the image's signature; nil when no
	// verification was asked for.
	Signature *SignatureCheck
}

// SignatureCheck is the outcome of verifying an image's signature under
// the policy the user gave (a key or a keyless identity).
type SignatureCheck struct {
	Status SignatureStatus
	// Format is the verified signature's format (cosign .sig, Sigstore
	// bundle); Signer names the key file or certificate identity required.
	Format string
	Signer string
	// Digest is the manifest digest whose signature was looked up.
	Digest string
	// Problem says why the image is not verified.
	Problem string
}

// SignatureStatus is what verification found.
type SignatureStatus string

// Signature statuses.
const (
	SignatureVerified     SignatureStatus = "verified"
	SignatureUnsigned     SignatureStatus = "unsigned"     // no signature found
	SignatureInvalid      SignatureStatus = "invalid"      // signatures found, none valid
	SignatureUnverifiable SignatureStatus = "unverifiable" // signatures could not be looked up
)

// HistoryEntry is one step of an image's history.
type HistoryEntry struct {
	CreatedBy  string
	EmptyLayer bool
	At         Location
}

// ImageFile is one tar entry of one layer. Contents are never kept whole:
// secret matches found in text files are kept (kind and line), and the
// content of small files whose name marks a credential file.
type ImageFile struct {
	Path     string // clean, relative to the root, without a leading "/"
	Mode     int64  // tar mode bits, including 04000 setuid, 02000 setgid, 01000 sticky
	Type     byte   // tar type flag
	Linkname string
	UID, GID int
	Size     int64
	Layer    int // index into Image.Layers
	// Final is set when the entry is what the final filesystem shows at Path.
	Final bool
	// Removed is set when a later layer deleted or replaced Path (whiteout,
	// opaque directory, or an entry of its own).
	Removed bool
	// Whiteout marks a deletion entry (.wh.name or .wh..wh..opq); Path is what
	// it deletes (for an opaque directory, the directory).
	Whiteout, Opaque bool
	// Secrets are the known-format secrets in the file's text.
	Secrets []FileSecret
	// Content is the text of a small file whose name marks it as a
	// credential file (.npmrc, .docker/config.json, …).
	Content string
	// Script is the text of a small `#!` script, kept to read what an
	// entrypoint script does.
	Script string
	At     Location
}

// FileSecret is one secret found in an image file: its kind and line.
type FileSecret struct {
	Kind string
	Line int
}

// IsDir, IsRegular and IsSymlink tell the entry's type.
func (f *ImageFile) IsDir() bool     { return f.Type == '5' }
func (f *ImageFile) IsRegular() bool { return f.Type == '0' || f.Type == 0 || f.Type == '7' }
