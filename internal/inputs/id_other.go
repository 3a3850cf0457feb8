//go:build !unix

package inputs

import (
	"io/fs"
	"os"
)

// identify names the real directory behind path. Without device and inode
// numbers the fully resolved absolute path is the best identity available.
func identify(path string, _ fs.FileInfo) (dirID, error) {
	return identifyByPath(path)
}

// openFlags has no non-blocking open to ask for on these systems; the Stat
// check before opening is what keeps special files out.
const openFlags = os.O_RDONLY
