package enforce

import (
	"context"
	"strconv"
	"strings"
)

// Passwd resolves a user name in a container, as runc does when an exec
// starts: through the container's /etc/passwd.
type Passwd interface {
	// PasswdUID returns the UID of name in the container's /etc/passwd;
	// found is false when no line names it.
	PasswdUID(ctx context.Context, containerID, name string) (uid int64, found bool, err error)
}

// passwdUID finds a name's UID in /etc/passwd text (the first line that
// names it, as libc and runc read it).
func passwdUID(passwd, name string) (int64, bool) {
	for _, line := range strings.Split(passwd, "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), ":")
		if len(f) < 3 || f[0] != name {
			continue
		}
		uid, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			continue
		}
		return uid, true
	}
	return 0, false
}

// userName returns the name part of a user value when it is a name
// rather than a number ("" otherwise): "app:staff" → "app".
func userName(u string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	if _, err := strconv.ParseInt(name, 10, 64); err == nil {
		return ""
	}
	return name
}
