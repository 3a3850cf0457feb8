package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// read-only-rootfs: the container's root filesystem is writable (no
// --read-only / read_only: true), so an intruder can change binaries and
// configuration inside it.
func init() {
	register(&Rule{
		ID:          "DG410",
		Slug:        "read-only-rootfs",
		Control:     "read-only-rootfs",
		Threat:      ThreatFSNetwork,
		Severity:    Low,
		Title:       "Writable root filesystem",
		Rationale:   "A writable root filesystem lets a compromised process replace binaries, drop tools and persist; a read-only one limits writes to the volumes and tmpfs you chose.",
		Remediation: "Run with `--read-only --tmpfs /tmp` (compose: `read_only: true` and `tmpfs: [/tmp]`), mounting volumes where the app writes.",
		References:  []string{"CIS Docker Benchmark 5.13"},
		Container: func(c *facts.Container, r *Reporter) {
			switch {
			case c.ReadOnlyRootfs.State == facts.Unset:
				r.Report(c.Subject, missingAt(c), "the root filesystem is writable (no read-only)")
			case c.ReadOnlyRootfs.IsSet() && !c.ReadOnlyRootfs.V:
				r.Report(c.Subject, c.ReadOnlyRootfs.At, "read-only is turned off")
			}
		},
	})
}
