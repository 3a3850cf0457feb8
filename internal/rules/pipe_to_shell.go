package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// pipe-to-shell: code is downloaded and executed in one go, with nothing
// checking what arrived: `curl … | sh`, `wget -qO- … | sudo bash`,
// `sh -c "$(curl …)"`, `bash <(curl …)`, `eval "$(wget …)"`.
func init() {
	register(&Rule{
		ID:          "DG510",
		Slug:        "pipe-to-shell",
		Control:     "unverified-downloads",
		Threat:      ThreatImages,
		Severity:    Medium,
		Title:       "Downloaded script piped into a shell",
		Rationale:   "Whatever the server (or anyone between it and you) sends is executed as root during the build, unseen; a truncated download can run half a script.",
		Remediation: "Download to a file, verify it, then run it: `curl -fsSLo install.sh URL && echo \"<sha256>  install.sh\" | sha256sum -c - && sh install.sh`.",
		Doc:         "All stages are judged: a builder stage that runs unverified code compromises whatever it hands over. Scripts, Makefiles and CI steps are judged the same way: there the code runs on the host or the CI runner.",
		Shell:       true,
		Build: func(b *facts.Build, r *Reporter) {
			eachCommand(b.Stages, func(s *facts.Stage, st *facts.Step, c *facts.Command) {
				if msg := pipedToShell(c); msg != "" {
					r.Report(s.Subject, c.At, "%s", msg)
				}
			})
		},
		Script: func(s *facts.Script, r *Reporter) {
			for _, c := range s.Commands {
				if msg := pipedToShell(c); msg != "" {
					r.Report(s.Subject, c.At, "%s", msg)
				}
			}
		},
	})
}

// pipedToShell says how a download's output is executed unverified, or "".
func pipedToShell(c *facts.Command) string {
	if !isDownloader(c) {
		return ""
	}
	for _, next := range c.Pipeline[c.PipeIndex+1:] {
		if shell.RunsAsShellProgram(next) {
			return c.Name() + " output is piped into " + shell.Name(shell.WithoutSudo(next.Args)) + " and executed unverified"
		}
	}
	if p := c.Parent; p != nil {
		args := shell.WithoutSudo(p.Args)
		n := shell.Name(args)
		if shell.Interpreters[n] || n == "eval" || n == "source" || n == "." {
			return c.Name() + " output is executed by " + n + " unverified"
		}
	}
	return ""
}

// isDownloader reports whether a command fetches a URL to standard output
// (curl does by default; wget only with -O -).
func isDownloader(c *facts.Command) bool {
	args := shell.WithoutSudo(c.Args)
	switch shell.Name(args) {
	case "curl", "fetch", "http", "https":
		return true
	case "wget":
		for i, a := range args {
			if (a == "-O" || a == "--output-document") && i+1 < len(args) && args[i+1] == "-" {
				return true
			}
			if a == "-O-" || a == "--output-document=-" || (len(a) > 2 && a[0] == '-' && a[1] != '-' && a[len(a)-2:] == "O-") {
				return true
			}
		}
	}
	return false
}
