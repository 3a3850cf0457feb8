package container

import "strings"

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
