package inputs

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// readDir is os.ReadDir, kept in a variable so tests can make a directory
// unreadable even when they run as root, which ignores permission bits.
var readDir = os.ReadDir

// vcsDirs hold version control metadata: never inputs, and a .git directory
// alone can hold more files than the rest of the tree.
var vcsDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

// dirID identifies a real directory however it was reached. On Unix it is
// the device and inode; elsewhere the resolved path.
type dirID struct {
	dev, ino uint64
	path     string
}

func identifyByPath(path string) (dirID, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return dirID{}, err
	}
	abs, err := filepath.Abs(resolved)
	if err != nil {
		return dirID{}, err
	}
	return dirID{path: abs}, nil
}

// linkedDir is a symbolic link to a directory, waiting to be walked.
type linkedDir struct {
	path      string  // the link, as the user would write it
	target    string  // what the link says, for messages
	id        dirID   // the real directory it leads to
	ancestors []dirID // real directories from the root down to the link's parent
	root      *walkRoot
}

// walkRoot is a folder the user named, with its ignore patterns.
type walkRoot struct {
	path   string
	ignore *Ignore
}

type walker struct {
	ctx     context.Context
	match   func(path string) Kind
	opt     Options
	visited map[dirID]bool
	files   map[string]Kind
	errs    []*Error
	skipped []Skipped
	linked  []linkedDir
	stopped bool
}

// Options tune a walk (see Walk).
type Options struct {
	// Match names the kind of a file from its path as found (the root
	// joined with the names below it); "" leaves the file out.
	Match func(path string) Kind
	// Fallback is the kind of a file named as a root that Match leaves
	// out.
	Fallback Kind
	// SkipDirs are folder names not entered below a root: dependencies
	// (node_modules, vendor). Version control folders are always skipped.
	SkipDirs map[string]bool
	// IgnoreFile names a file of gitignore patterns read in each folder
	// named as a root (.dockguardignore); what it matches is skipped.
	IgnoreFile string
	// Tentative are kinds Match gives on a guess the content must confirm
	// (a file without an extension may be a script): a broken link with
	// such a name is not worth an error, and ignoring one is not reported.
	Tentative map[Kind]bool
}

// Skipped is a folder or file a walk left out, and why.
type Skipped struct {
	Path   string
	Reason string
}

// Discover walks each root. A root that is a file is returned as-is with kind
// match(base) or, when match gives "", with kind fallback: a file the user
// named explicitly is always audited (even when fallback is "" too). A root
// that is a directory is walked recursively:
//   - directories named .git, .hg, .svn are skipped (nothing else is skipped
//     silently);
//   - symbolic links to files are followed; symbolic links to directories are
//     followed too, but each real directory (by device and inode) is walked
//     once; a link that leads back into a directory already on the current
//     path is reported as a loop and not followed; a dangling link is
//     reported only when its name matches, since otherwise it could not have
//     been an input;
//   - unreadable directories are reported and the walk goes on;
//   - a root that does not exist is reported.
//
// Files are matched by the name they are found under, so a link named
// Dockerfile to notes.txt is a Dockerfile. A special file (fifo, device)
// with a matching name is returned too; Read reports it.
//
// Results are sorted by path, errors too, and both are free of duplicates,
// so overlapping roots are harmless. Paths are cleaned and joined onto the
// root as given: root "." gives "Dockerfile" and "app/Dockerfile", root
// "/abs" gives absolute paths.
//
// When ctx is done the walk stops; what was found so far is returned with an
// Error saying the walk was stopped, so partial results are never mistaken
// for complete ones.
func Discover(ctx context.Context, roots []string, match Matcher, fallback Kind) ([]File, []*Error) {
	files, _, errs := Walk(ctx, roots, Options{
		Match:    func(p string) Kind { return match(filepath.Base(p)) },
		Fallback: fallback,
	})
	return files, errs
}

// Walk is Discover with options: files are matched by their path, folders
// named in SkipDirs are not entered (below a root), and each root folder's
// IgnoreFile leaves out what its patterns match, with gitignore's rules.
// What was left out is returned as Skipped, sorted by path: the skipped
// folders themselves (not their contents), and the ignored files that
// Match would have taken.
func Walk(ctx context.Context, roots []string, opt Options) ([]File, []Skipped, []*Error) {
	w := &walker{
		ctx:     ctx,
		match:   opt.Match,
		opt:     opt,
		visited: make(map[dirID]bool),
		files:   make(map[string]Kind),
	}
	for _, root := range roots {
		if w.stop(filepath.Clean(root)) {
			break
		}
		w.root(root, opt.Fallback)
	}
	// Linked directories wait until every real directory of every root has
	// been walked. A link to a directory inside the tree then finds it already
	// visited, so files are reported under their real paths rather than
	// under whichever link happens to sort first.
	for len(w.linked) > 0 {
		l := w.linked[0]
		w.linked = w.linked[1:]
		if w.stop(l.path) {
			break
		}
		switch {
		case slices.Contains(l.ancestors, l.id):
			w.fail(l.path, "symbolic link loop to "+l.target+", not followed")
		case w.visited[l.id]:
			// Already walked under another path; walking it again would
			// only report the same files twice.
		default:
			w.walk(l.path, l.id, l.ancestors, l.root)
		}
	}
	files, errs := w.results()
	slices.SortFunc(w.skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	return files, slices.Compact(w.skipped), errs
}

func (w *walker) root(root string, fallback Kind) {
	if root == "" {
		w.fail("", "empty path given as input")
		return
	}
	p := filepath.Clean(root)
	info, err := os.Stat(p)
	if err != nil {
		w.fail(p, statReason(p, err))
		return
	}
	if !info.IsDir() {
		kind := w.match(p)
		if kind == "" {
			kind = fallback
		}
		w.add(p, kind)
		return
	}
	id, err := identify(p, info)
	if err != nil {
		w.fail(p, "cannot read directory: "+reason(err))
		return
	}
	if !w.visited[id] {
		w.walk(p, id, nil, w.rootOf(p))
	}
}

// rootOf reads a root folder's ignore file; one that cannot be read is an
// error, and the folder is walked without it.
func (w *walker) rootOf(dir string) *walkRoot {
	r := &walkRoot{path: dir}
	if w.opt.IgnoreFile == "" {
		return r
	}
	p := filepath.Join(dir, w.opt.IgnoreFile)
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return r
	}
	data, err := Read(p, 1<<20)
	if err != nil {
		w.errs = append(w.errs, err.(*Error))
		return r
	}
	ign, bad := ParseIgnore(string(data))
	for _, line := range bad {
		w.errs = append(w.errs, &Error{Path: p, Line: line, Message: "bad pattern, ignored"})
	}
	r.ignore = ign
	return r
}

// ignored reports whether the root's ignore file leaves p out.
func (r *walkRoot) ignored(p string, dir bool) bool {
	if r == nil || r.ignore == nil {
		return false
	}
	rel, err := filepath.Rel(r.path, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return false
	}
	return r.ignore.Match(filepath.ToSlash(rel), dir)
}

func (w *walker) skip(p, reason string) {
	w.skipped = append(w.skipped, Skipped{Path: p, Reason: reason})
}

// walk reads the real directory id, reached as dir, and everything under it
// except linked directories, which are queued.
func (w *walker) walk(dir string, id dirID, ancestors []dirID, root *walkRoot) {
	if w.stop(dir) {
		return
	}
	w.visited[id] = true
	entries, err := readDir(dir)
	if err != nil {
		// os.ReadDir returns what it read before failing; those entries
		// are still worth auditing.
		w.fail(dir, "cannot read directory: "+reason(err))
	}
	chain := append(ancestors, id)
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		switch typ := e.Type(); {
		case typ.IsDir():
			if vcsDirs[name] {
				continue
			}
			if w.opt.SkipDirs[name] {
				w.skip(p, "dependency folder")
				continue
			}
			if root.ignored(p, true) {
				w.skip(p, "ignored by "+w.opt.IgnoreFile)
				continue
			}
			info, err := e.Info()
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) { // removed since listed
					w.fail(p, "cannot read directory: "+reason(err))
				}
				continue
			}
			sub, err := identify(p, info)
			if err != nil {
				w.fail(p, "cannot read directory: "+reason(err))
				continue
			}
			// A real directory seen before is reachable twice only through
			// a bind mount or overlapping roots; either way its files are
			// already found.
			if !w.visited[sub] {
				w.walk(p, sub, chain, root)
			}
		case typ&fs.ModeSymlink != 0:
			w.link(p, name, chain, root)
		default:
			if kind := w.match(p); kind != "" {
				if root.ignored(p, false) {
					if !w.opt.Tentative[kind] {
						w.skip(p, "ignored by "+w.opt.IgnoreFile)
					}
					continue
				}
				w.add(p, kind)
			}
		}
	}
}

// link handles a symbolic link found at p inside the directories chain.
func (w *walker) link(p, name string, chain []dirID, root *walkRoot) {
	info, err := os.Stat(p)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// A dangling link cannot lead to a directory, so it can only
			// matter if its own name is that of an input.
			if w.wanted(p) && !root.ignored(p, false) {
				w.fail(p, "broken symbolic link")
			}
		case errors.Is(err, syscall.ELOOP):
			// Links that point at each other are as dead as a dangling one.
			if w.wanted(p) && !root.ignored(p, false) {
				w.fail(p, "symbolic link loop to "+readlink(p)+", not followed")
			}
		default:
			w.fail(p, "cannot follow symbolic link: "+reason(err))
		}
		return
	}
	if !info.IsDir() {
		if kind := w.match(p); kind != "" {
			if root.ignored(p, false) {
				if !w.opt.Tentative[kind] {
					w.skip(p, "ignored by "+w.opt.IgnoreFile)
				}
				return
			}
			w.add(p, kind)
		}
		return
	}
	if vcsDirs[name] {
		return
	}
	if w.opt.SkipDirs[name] {
		w.skip(p, "dependency folder")
		return
	}
	if root.ignored(p, true) {
		w.skip(p, "ignored by "+w.opt.IgnoreFile)
		return
	}
	id, err := identify(p, info)
	if err != nil {
		w.fail(p, "cannot follow symbolic link: "+reason(err))
		return
	}
	// The chain slice is reused by sibling directories as the walk goes on,
	// so the queued link needs its own copy.
	w.linked = append(w.linked, linkedDir{path: p, target: readlink(p), id: id, ancestors: slices.Clone(chain), root: root})
}

// wanted reports whether a path names an input for sure.
func (w *walker) wanted(p string) bool {
	k := w.match(p)
	return k != "" && !w.opt.Tentative[k]
}

// stop reports whether the walk must end, recording why the first time.
func (w *walker) stop(path string) bool {
	if w.stopped {
		return true
	}
	if err := w.ctx.Err(); err != nil {
		w.stopped = true
		w.fail(path, "discovery stopped: "+err.Error())
		return true
	}
	return false
}

func (w *walker) add(path string, kind Kind) {
	if _, ok := w.files[path]; !ok {
		w.files[path] = kind
	}
}

func (w *walker) fail(path, message string) {
	w.errs = append(w.errs, &Error{Path: path, Message: message})
}

func (w *walker) results() ([]File, []*Error) {
	var files []File
	for p, k := range w.files {
		files = append(files, File{Path: p, Kind: k})
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })

	errs := w.errs
	slices.SortFunc(errs, compareErrors)
	errs = slices.CompactFunc(errs, func(a, b *Error) bool { return compareErrors(a, b) == 0 })
	return files, errs
}

func compareErrors(a, b *Error) int {
	return cmp.Or(
		strings.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line),
		strings.Compare(a.Message, b.Message),
	)
}

// statReason explains why a path the user named cannot be used, telling a
// dangling link apart from a path that is not there at all.
func statReason(p string, err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		if info, lerr := os.Lstat(p); lerr == nil && info.Mode()&fs.ModeSymlink != 0 {
			return "broken symbolic link"
		}
		return "no such file or directory"
	}
	return "cannot access: " + reason(err)
}

// readlink returns what a link says, for messages.
func readlink(p string) string {
	target, err := os.Readlink(p)
	if err != nil {
		return "an unreadable target"
	}
	return target
}

// reason is the bare cause of err. The os package wraps causes as
// "open path: permission denied"; the path is already in the Error, so
// repeating it would only clutter the message.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return err.Error()
}
