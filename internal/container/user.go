package container

import (
	"strconv"
	"strings"
)

// IsRootUser reports whether a user as Docker takes it (--user, Config.User,
// exec User) runs as root: the name "root" (any case: fail closed) or a UID
// that parses as 0 ("0", "00", "+0"), with or without a group ("0:0",
// "root:1000"). "" is not decided here: it means the image's or
// container's user.
func IsRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	name = strings.TrimSpace(name)
	if strings.EqualFold(name, "root") {
		return true
	}
	n, err := strconv.ParseInt(name, 10, 64)
	return err == nil && n == 0
}

// LocalBind reports whether a volume driver and its options bind a host
// path: the local driver (named or by default) with o=bind or o=rbind among
// its comma-separated mount options.
func LocalBind(driver string, opts map[string]string) bool {
	if driver != "" && driver != "local" {
		return false
	}
	for k, v := range opts {
		if strings.TrimSpace(k) != "o" {
			continue
		}
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "bind" || o == "rbind" {
				return true
			}
		}
	}
	return false
}
