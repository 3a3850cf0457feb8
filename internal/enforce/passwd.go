package enforce

import (
	"context"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// Passwd resolves a user name in a container, as runc does when an exec
// starts: through the container's /etc/passwd.
type Passwd interface {
	// PasswdUID returns the UID of name in the container's /etc/passwd;
	// found is false when no line names it.
	PasswdUID(ctx context.Context, containerID, name string) (uid int64, found bool, err error)
}

// passwdUID finds a name's UID in /etc/passwd text as runc reads it when
// an exec starts (libcontainer/user): each line trimmed of white space,
// split on ":", the first line whose name matches wins, and a UID field
// that is empty or not a number counts as 0 (runc ignores the error).
func passwdUID(passwd, name string) (int64, bool) {
	for _, line := range strings.Split(passwd, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, ":")
		if f[0] != name {
			continue
		}
		var uid int64
		if len(f) > 2 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				uid = int64(n)
			}
		}
		return uid, true
	}
	return 0, false
}

// userName returns the name part of a user value when it is a name
// rather than a number ("" otherwise): "app:staff" → "app".
func userName(u string) string {
	// Not trimmed: runc does not trim, and "1000 " is a name it looks up.
	name, _, _ := strings.Cut(u, ":")
	if name == "" || facts.NumericID(name) {
		return ""
	}
	if _, err := strconv.ParseInt(name, 10, 64); err == nil {
		return "" // a signed spelling (+0, -1): judged as a number by IsRootUser
	}
	return name
}
