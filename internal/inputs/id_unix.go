//go:build unix

package inputs

import (
	"io/fs"
	"os"
	"syscall"
)

// identify names the real directory behind info by device and inode, which
// is the only identity that survives symbolic links, bind mounts and
// different spellings of the same path.
func identify(path string, info fs.FileInfo) (dirID, error) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return dirID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
	}
	return identifyByPath(path)
}

// openFlags keep Read from ever blocking or acquiring a terminal: if the
// checked regular file is swapped for a fifo or a tty between Stat and open,
// O_NONBLOCK makes the open return at once and the fstat that follows
// rejects it.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
