package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// world-writable-dir: a directory in the image anyone may write to and
// whose entries anyone may delete or replace (no sticky bit, as /tmp has).
func init() {
	register(&Rule{
		ID:          "DG411",
		Slug:        "world-writable-dir",
		Control:     "read-only-rootfs",
		Threat:      ThreatFSNetwork,
		Severity:    Medium,
		Title:       "World-writable directory without the sticky bit",
		Rationale:   "Any user in the container can add, delete or replace files in such a directory, including files other users (or root) own and run: a way to plant code for a more privileged process.",
		Remediation: "Tighten the mode (`chmod 755`) in the step that creates the directory, or set the sticky bit (`chmod 1777`) if it is a shared scratch space like /tmp.",
		Image: func(im *facts.Image, r *Reporter) {
			for i := range im.Files {
				f := &im.Files[i]
				if !f.Final || !f.IsDir() || f.Mode&0o002 == 0 || f.Mode&0o1000 != 0 {
					continue
				}
				r.Report(im.Subject, f.At, "/%s is writable by every user (mode %04o) without the sticky bit", f.Path, f.Mode&0o7777)
			}
		},
	})
}
