package host

import (
	"strconv"
	"strings"
)

// userName resolves a user ID through the host's /etc/passwd; the number
// itself when it has no entry (or the file cannot be read).
func (b *builder) userName(uid uint32) string { return b.idName("/etc/passwd", uid) }

// groupName resolves a group ID through the host's /etc/group.
func (b *builder) groupName(gid uint32) string { return b.idName("/etc/group", gid) }

func (b *builder) idName(file string, id uint32) string {
	num := strconv.FormatUint(uint64(id), 10)
	data, err := readCapped(hostPath(b.root, file), 16<<20)
	if err != nil {
		return num
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[2] == num && f[0] != "" {
			return f[0]
		}
	}
	return num
}
