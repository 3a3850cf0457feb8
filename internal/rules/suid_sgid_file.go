package rules

import (
	"path"

	"github.com/dockguard/dockguard/internal/facts"
)

// suid-sgid-file: SUID/SGID files an image holds. Judged on the files themselves,
// not on build steps: every regular file with the bit in the final
// filesystem, and those a later layer removed or replaced (a `chmod u-s`
// step copies the file up; the set-id copy is still in the lower layer,
// readable by anyone who has the image).
func init() {
	register(&Rule{
		ID:          "DG313",
		Slug:        "suid-sgid-file",
		Control:     "suid-sgid",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "SUID/SGID files in the image",
		Rationale:   "A set-uid or set-gid binary runs with its owner's or group's rights whoever starts it: in a container running as a user, each one is a way back to root through its bugs.",
		Remediation: "Remove the bits in the step that installs the files (`RUN ... && find / -xdev -perm /6000 -type f -exec chmod a-s {} +`), or list the files that need them in `suidAllow`; a later layer cannot take a file out of a lower one, so rebuild instead of patching on top.",
		References:  []string{"CIS Docker Benchmark 4.8"},
		Image: func(im *facts.Image, r *Reporter) {
			allow := r.Config().SUIDAllow
			for i := range im.Files {
				f := &im.Files[i]
				if f.Whiteout || !f.IsRegular() || f.Mode&0o6000 == 0 || suidAllowed(allow, "/"+f.Path) {
					continue
				}
				bits := setIDBits(f.Mode)
				if f.Final {
					r.Report(im.Subject, f.At, "%s /%s (mode %04o, owner %d:%d)", bits, f.Path, f.Mode&0o7777, f.UID, f.GID)
				} else if f.Removed {
					r.ReportSeverity(Low, im.Subject, f.At, "%s /%s (mode %04o, owner %d:%d) was removed or replaced by a later layer but is still in layer %d of the image", bits, f.Path, f.Mode&0o7777, f.UID, f.GID, f.Layer)
				}
			}
		},
	})
}

func setIDBits(mode int64) string {
	switch {
	case mode&0o4000 != 0 && mode&0o2000 != 0:
		return "SUID+SGID"
	case mode&0o4000 != 0:
		return "SUID"
	default:
		return "SGID"
	}
}

// suidAllowed reports whether a path matches the allow-list (exact paths or
// path.Match patterns, with or without the leading slash).
func suidAllowed(allow []string, p string) bool {
	for _, a := range allow {
		if a == "" {
			continue
		}
		if a[0] != '/' {
			a = "/" + a
		}
		if a == p {
			return true
		}
		if ok, err := path.Match(a, p); err == nil && ok {
			return true
		}
	}
	return false
}
