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

// NumericID reports whether a user or group field is a number as runc
// takes it without looking in the image's /etc/passwd or /etc/group:
// ASCII digits only, nothing trimmed. "1000 " or "+1000" is a name, which
// the image's files may make anything (a line "1000 :x:0:0" is root).
func NumericID(s string) bool {
	if s == "" || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n < 1<<32
}

// UnprivilegedIDs reports whether a user value names a numeric non-root
// UID and a numeric non-root GID, both given ("10001:10001"): only then
// does neither the image's /etc/passwd nor its group choice decide who the
// process is. Supplementary groups from the image's /etc/group still
// apply; callers that need none check them.
func UnprivilegedIDs(u string) bool {
	uid, gid, ok := strings.Cut(u, ":")
	return ok && NumericID(uid) && NumericID(gid) && strings.Trim(uid, "0") != "" && strings.Trim(gid, "0") != ""
}
