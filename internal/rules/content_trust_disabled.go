package rules

import (
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// content-trust-disabled: image verification is switched off on the
// command line (`--disable-content-trust`, `DOCKER_CONTENT_TRUST=0`).
func init() {
	register(&Rule{
		ID:          "DG504",
		Slug:        "content-trust-disabled",
		Control:     "image-trust",
		Threat:      ThreatImages,
		Severity:    Medium,
		Title:       "Image verification switched off",
		Rationale:   "Turning off content trust runs whatever image the registry returns, signed or not, even where the environment requires signatures.",
		Remediation: "Remove `--disable-content-trust` / `DOCKER_CONTENT_TRUST=0`; verify signatures with cosign or notation before running (`cosign verify <image>`).",
		References:  []string{"CIS Docker Benchmark 4.5"},
		Surfaces:    []Surface{SurfaceRun},
		Doc:         "In scripts, Makefiles and CI files: `DOCKER_CONTENT_TRUST=0` (or false) given to a command, set as a variable or exported, or in a CI file's environment; `--disable-content-trust` on docker pull, build, push and the other docker commands (on run and create it is the container's finding).\n\nDocker Content Trust (Notary v1) is being retired; the finding is about the intent: a script that turns verification off will not verify signatures under a newer scheme either.",
		Container: func(c *facts.Container, r *Reporter) {
			if v := c.DisableContentTrust; v.IsSet() && v.V {
				r.Report(c.Subject, v.At, "image verification is switched off (--disable-content-trust)")
			}
		},
		Script: func(s *facts.Script, r *Reporter) {
			for _, e := range s.Env {
				if !e.Dynamic && trustOff(e.Name, e.Value) {
					r.Report(s.Subject, e.At, "%s=%s switches image verification off", e.Name, e.Value)
				}
			}
			for _, c := range s.Commands {
				for _, a := range c.Assigns {
					if trustOff(a.Key, a.Value) {
						r.Report(s.Subject, a.At, "%s=%s switches image verification off", a.Key, a.Value)
					}
				}
				// env DOCKER_CONTENT_TRUST=0 docker pull …: the words before
				// the command env runs.
				for i, a := range c.Args[:len(c.Args)-len(shell.Effective(c.Args))] {
					if k, v, ok := strings.Cut(a, "="); ok && trustOff(k, v) {
						r.Report(s.Subject, c.WordAt(i), "%s switches image verification off", a)
					}
				}
				if i, ok := trustFlag(c); ok {
					r.Report(s.Subject, c.WordAt(i), "image verification is switched off (%s)", c.Args[i])
				}
			}
		},
	})
}

// trustOff reports an assignment that turns Docker Content Trust off: the
// CLI reads DOCKER_CONTENT_TRUST as a boolean.
func trustOff(name, value string) bool {
	if name != "DOCKER_CONTENT_TRUST" {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(value))
	return err == nil && !b
}

// trustFlag finds --disable-content-trust on a docker command other than
// run and create (whose containers carry it), returning its word index.
func trustFlag(c *facts.Command) (int, bool) {
	eff := shell.WithoutSudo(c.Args)
	if shell.Name(eff) != "docker" {
		return 0, false
	}
	from := len(c.Args) - len(eff)
	var sub []string
	for i := from + 1; i < len(c.Args); i++ {
		a := c.Args[i]
		if !strings.HasPrefix(a, "-") {
			if len(sub) < 2 {
				sub = append(sub, a)
			}
			continue
		}
		if a == "--disable-content-trust" || a == "--disable-content-trust=true" || a == "--disable-content-trust=1" {
			for _, w := range sub {
				if w == "run" || w == "create" {
					return 0, false
				}
			}
			return i, true
		}
	}
	return 0, false
}
