package facts

import (
	"strconv"
	"strings"
)

// IsRootUser reports whether a user as Docker takes it (--user, USER,
// Config.User, exec User, a service's User) runs as root: the name "root"
// (any case: fail closed) or a UID that parses as 0 ("0", "00", "+0") or
// wraps to 0 as a 32-bit UID (4294967296), with or without a group ("0:0",
// "root:1000"), and a group with no user (":1000", which runc runs as
// UID 0). "" is not decided here: it means the image's or container's
// user.
func IsRootUser(u string) bool {
	name, _, colon := strings.Cut(strings.TrimSpace(u), ":")
	if colon && name == "" {
		// ":1000": no user, only a group. runc resolves it with no
		// default user, which is UID 0.
		return true
	}
	name = strings.TrimSpace(name)
	if strings.EqualFold(name, "root") {
		return true
	}
	n, err := strconv.ParseInt(name, 10, 64)
	return err == nil && n%(1<<32) == 0
}
