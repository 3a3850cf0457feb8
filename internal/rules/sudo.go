package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// sudo: the image installs sudo, configures it, or a step runs it.
func init() {
	register(&Rule{
		ID:          "DG320",
		Slug:        "sudo",
		Control:     "sudo",
		Threat:      ThreatBreakout,
		Severity:    Medium,
		Title:       "sudo installed or used",
		Rationale:   "sudo in an image is a set-uid root binary plus a policy file: a way back to root for anyone who gets a shell, and its TTY and signal handling misbehave as PID 1's child. Build steps already run as root.",
		Remediation: "Remove sudo; run build steps before `USER`, and drop privileges at start with `gosu` or `su-exec` (`exec su-exec app \"$@\"`).",
		References:  []string{"CIS Docker Benchmark 4.3"},
		Doc:         "Judged on commands, not text: `find / -iname sudo` and `apt-get remove sudo` are not reported; `apt-get install -y sudo`, `sudo make install` and writes to /etc/sudoers are. Only the stages that end up in the image are judged.",
		Shell:       true,
		Image: func(im *facts.Image, r *Reporter) {
			for i := range im.Files {
				f := &im.Files[i]
				if f.Final && f.IsRegular() && (f.Path == "usr/bin/sudo" || f.Path == "bin/sudo" || f.Path == "usr/local/bin/sudo" || f.Path == "usr/sbin/sudo") {
					suid := ""
					if f.Mode&0o4000 != 0 && f.UID == 0 {
						suid = ", set-uid root"
					}
					r.Report(im.Subject, f.At, "sudo is installed (/%s, mode %04o%s)", f.Path, f.Mode&0o7777, suid)
				}
			}
		},
		Build: func(b *facts.Build, r *Reporter) {
			eachCommand(runtimeStages(b), func(s *facts.Stage, st *facts.Step, c *facts.Command) {
				args := shell.Effective(c.Args)
				if n := shell.Name(args); n == "sudo" {
					r.Report(s.Subject, c.At, "runs sudo")
				} else if n == "visudo" {
					r.Report(s.Subject, c.At, "configures sudo with visudo")
				}
				if pm, pkgs := installedPackages(c.Args); pm != "" {
					for _, p := range pkgs {
						if n := packageName(p); n == "sudo" || n == "sudo-ldap" {
							r.Report(s.Subject, wordAt(c, p), "%s installs %s", pm, p)
						}
					}
				}
				for _, rd := range c.Redirects {
					if (rd.Op == ">" || rd.Op == ">>") && isSudoers(rd.Target) {
						r.Report(s.Subject, c.At, "writes sudo rules to %s", rd.Target)
					}
				}
				if shell.Name(args) == "tee" {
					for _, a := range args[1:] {
						if isSudoers(a) {
							r.Report(s.Subject, c.At, "writes sudo rules to %s", a)
						}
					}
				}
			})
		},
	})
}

func isSudoers(p string) bool {
	return p == "/etc/sudoers" || strings.HasPrefix(p, "/etc/sudoers.d/")
}
