//go:build !linux

package hostview

import (
	"errors"
	"io/fs"
)

// Device and inode numbers, peer credentials and /proc/<pid>/root are
// read on Linux, where dockerd runs; elsewhere the view is dockguard's
// own, without the daemon's sockets.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func owner(fs.FileInfo) (uid, gid uint32, ok bool) { return 0, 0, false }

// PeerPID is Linux's only.
func PeerPID(string) (int, error) {
	return 0, errors.New("the daemon's PID is read from its socket on Linux only")
}
