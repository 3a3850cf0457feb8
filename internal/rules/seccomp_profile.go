package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
)

// seccomp-profile: a custom seccomp profile that is not on the allow-list.
// One that allows every system call turns seccomp off as surely as
// "unconfined", and judging a profile's rules is not something a list of
// known-bad values can do; so profiles are allowed by the hash of their
// canonical JSON, after review.
func init() {
	register(&Rule{
		ID:          "DG355",
		Slug:        "seccomp-profile",
		Control:     "seccomp",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Custom seccomp profile not on the allow-list",
		Rationale:   "A custom profile can allow every system call (a defaultAction of SCMP_ACT_ALLOW), which turns seccomp off while looking configured.",
		Remediation: "Use Docker's default seccomp profile (no `seccomp=` option), or review the profile and add `dockguard enforce seccomp-hash FILE`'s output to `allow.seccompProfiles` in .dockguard.yaml.",
		Doc:         "The docker CLI reads a profile file and sends its JSON inline; the Engine API, enforcement and live containers carry that JSON, and it is hashed (sha256 of its canonical JSON: keys sorted, compact) and looked up in allow.seccompProfiles. A compose file or run line names a file, whose content is what the CLI will send: it is reported as not checked against the list from here. seccomp=unconfined is seccomp-unconfined's; builtin is Docker's default.",
		Container: func(c *facts.Container, r *Reporter) {
			v := c.SecurityOpt.SeccompProfile
			if !v.IsSet() {
				return
			}
			p := strings.TrimSpace(v.V)
			switch p {
			case "unconfined", "builtin", "":
				return
			}
			if !container.InlineSeccomp(p) {
				r.Report(c.Subject, v.At, "seccomp profile file %s: the CLI sends its content, which baseline allows only when its hash is on allow.seccompProfiles (dockguard enforce seccomp-hash %s)", p, p)
				return
			}
			h, err := container.SeccompHash([]byte(p))
			if err != nil {
				r.Report(c.Subject, v.At, "inline seccomp profile is not valid JSON (%v)", err)
				return
			}
			if Has(r.Config().Allow.SeccompProfiles, h) {
				return
			}
			r.Report(c.Subject, v.At, "inline seccomp profile %s is not on allow.seccompProfiles", h)
		},
	})
}
