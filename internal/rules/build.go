package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// This file holds what several build rules need to read RUN steps the same way.

// runtimeStages are the stages whose files end up in the image: the target
// and the stages it is built FROM. Builder stages only hand over what is
// copied out of them.
func runtimeStages(b *facts.Build) []*facts.Stage {
	if b.Target == nil {
		return nil
	}
	return b.Target.Chain()
}

// eachCommand calls fn for every shell command of every RUN step of stages.
func eachCommand(stages []*facts.Stage, fn func(s *facts.Stage, st *facts.Step, c *facts.Command)) {
	for _, s := range stages {
		for _, st := range s.Steps {
			for _, c := range st.Commands {
				fn(s, st, c)
			}
		}
	}
}

// installers maps package managers to the verbs that install packages.
var installers = map[string][]string{
	"apt-get": {"install"}, "apt": {"install"}, "aptitude": {"install"},
	"apk": {"add"},
	"yum": {"install"}, "dnf": {"install"}, "microdnf": {"install"}, "tdnf": {"install"},
	"zypper": {"install", "in"},
	"pacman": {"-S", "-Sy", "-Syu", "--sync"},
	"pip":    {"install"}, "pip3": {"install"},
	"gem": {"install"},
}

// installedPackages returns the package manager and packages a command
// installs, or "" when it installs nothing.
func installedPackages(args []string) (string, []string) {
	args = shell.WithoutSudo(args)
	pm := shell.Name(args)
	verbs, ok := installers[pm]
	if !ok {
		return "", nil
	}
	verb := -1
	for i, a := range args[1:] {
		for _, v := range verbs {
			if a == v {
				verb = i + 1
				break
			}
		}
		if verb >= 0 {
			break
		}
		if !strings.HasPrefix(a, "-") {
			// another sub-command (update, search, …)
			if pm != "pacman" {
				return "", nil
			}
		}
	}
	if verb < 0 {
		return "", nil
	}
	var pkgs []string
	for _, a := range args[verb+1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		pkgs = append(pkgs, a)
	}
	return pm, pkgs
}

// packageName strips a version pin (sudo=1.9, sudo-1.9.5, sudo>=1).
func packageName(p string) string {
	if i := strings.IndexAny(p, "=<>~"); i > 0 {
		p = p[:i]
	}
	return p
}

// option reports whether args hold a long option (--name or --name=value)
// or, for single-letter names, a short option alone or inside a cluster of
// short options; valued lists the short options that take a value (the rest
// of a cluster after them is the value, not options).
func option(args []string, long, short, valued string) bool {
	for _, a := range args[1:] {
		if a == "--" {
			return false
		}
		if long != "" && (a == "--"+long || strings.HasPrefix(a, "--"+long+"=")) {
			return true
		}
		if short == "" || len(a) < 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		for _, ch := range a[1:] {
			if strings.ContainsRune(short, ch) {
				return true
			}
			if strings.ContainsRune(valued, ch) {
				break
			}
		}
	}
	return false
}

// wordAt is where the first word equal to w stands in a command, so a
// finding about one package of a long install line points at that package.
func wordAt(c *facts.Command, w string) facts.Location {
	for i, a := range c.Args {
		if a == w {
			return c.WordAt(i)
		}
	}
	return c.At
}

// withGlobal returns the stages plus the global ARG section, for the rules
// that judge ARG declarations wherever they stand.
func withGlobal(b *facts.Build) []*facts.Stage {
	if b.Global == nil {
		return b.Stages
	}
	return append([]*facts.Stage{b.Global}, b.Stages...)
}
