package rules

import (
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// This file reads file modes the way chmod, install and COPY --chmod do, for
// the suid-sgid rules.

// addsSetID reports whether a chmod mode argument sets the SUID or SGID bit:
// symbolic (u+s, g+s, +s, a=rwxs, ug+s) or octal with 4 or 2 in the
// special-bits digit (4755, 2755, 6755, 04755).
func addsSetID(mode string) bool {
	if mode == "" {
		return false
	}
	if mode[0] >= '0' && mode[0] <= '7' {
		v, err := strconv.ParseUint(mode, 8, 32)
		if err != nil || len(strings.TrimLeft(mode, "0")) < 4 {
			return false
		}
		return v&0o6000 != 0
	}
	for _, clause := range strings.Split(mode, ",") {
		i := strings.IndexAny(clause, "+=")
		if i < 0 {
			continue
		}
		if strings.ContainsRune(clause[i+1:], 's') {
			return true
		}
	}
	return false
}

// removesSetID reports whether a chmod mode clears SUID/SGID (a-s, u-s,g-s, -s).
func removesSetID(mode string) bool {
	for _, clause := range strings.Split(mode, ",") {
		i := strings.IndexByte(clause, '-')
		if i >= 0 && strings.ContainsRune(clause[i+1:], 's') {
			return true
		}
	}
	return false
}

// chmodModes returns the mode arguments of a chmod or install -m command.
func chmodModes(args []string) []string {
	args = shell.WithoutSudo(args)
	switch shell.Name(args) {
	case "chmod":
		for _, a := range args[1:] {
			if a == "--" || (strings.HasPrefix(a, "-") && !looksLikeMode(a)) {
				continue
			}
			return []string{a}
		}
	case "install":
		for i, a := range args {
			if (a == "-m" || a == "--mode") && i+1 < len(args) {
				return []string{args[i+1]}
			}
			if strings.HasPrefix(a, "--mode=") {
				return []string{strings.TrimPrefix(a, "--mode=")}
			}
			if strings.HasPrefix(a, "-m") && len(a) > 2 {
				return []string{a[2:]}
			}
		}
	}
	return nil
}

// looksLikeMode tells a symbolic mode that starts with '-' (chmod -s) from
// an option (chmod -R).
func looksLikeMode(a string) bool {
	rest := a[1:]
	return rest != "" && strings.Trim(rest, "rwxXst") == ""
}

// findPermSetID returns the -perm argument of a find command when it selects
// SUID/SGID files, and whether the command clears their bits or deletes them.
func findPermSetID(c *facts.Command) (perm string, removes bool) {
	args := shell.WithoutSudo(c.Args)
	if shell.Name(args) != "find" {
		return "", false
	}
	for i, a := range args {
		if a == "-perm" && i+1 < len(args) {
			p := args[i+1]
			m := strings.TrimLeft(p, "-/+")
			if v, err := strconv.ParseUint(m, 8, 32); err == nil && v&0o6000 != 0 {
				perm = p
			} else if strings.ContainsRune(m, 's') {
				perm = p
			}
		}
		if a == "-delete" {
			removes = true
		}
		if (a == "-exec" || a == "-execdir") && i+1 < len(args) {
			for _, m := range chmodModes(args[i+1:]) {
				if removesSetID(m) {
					removes = true
				}
			}
		}
	}
	if perm != "" && !removes {
		// find … -print0 | xargs -0 chmod a-s
		for _, pc := range c.Pipeline[c.PipeIndex+1:] {
			for _, m := range chmodModes(pc.Args) {
				if removesSetID(m) {
					removes = true
				}
			}
		}
	}
	return perm, removes
}

// findFlavor tells which find a stage runs: "busybox" (Alpine, BusyBox) still
// accepts -perm +MODE, "gnu" (Debian, Ubuntu, RHEL, …) has rejected it since
// findutils 4.5.12; "" when the image does not say.
func findFlavor(s *facts.Stage) string {
	flavor := ""
	chain := s.Chain()
	for i := len(chain) - 1; i >= 0; i-- {
		for _, st := range chain[i].Steps {
			for _, c := range st.Commands {
				pm, pkgs := installedPackages(c.Args)
				switch pm {
				case "apk":
					if flavor == "" {
						flavor = "busybox"
					}
					for _, p := range pkgs {
						if packageName(p) == "findutils" {
							flavor = "gnu"
						}
					}
				case "apt-get", "apt", "yum", "dnf", "microdnf", "zypper", "tdnf":
					flavor = "gnu"
				}
			}
		}
	}
	if flavor != "" {
		return flavor
	}
	root := s.Root()
	if !root.Base.IsSet() {
		return ""
	}
	name := root.Base.V.Repo + ":" + root.Base.V.Tag
	switch {
	case strings.Contains(name, "alpine"), strings.Contains(name, "busybox"):
		return "busybox"
	}
	for _, d := range []string{"debian", "ubuntu", "centos", "fedora", "rockylinux", "almalinux", "amazonlinux", "ubi", "oraclelinux", "opensuse", "redhat", "buildpack-deps"} {
		if strings.Contains(name, d) {
			return "gnu"
		}
	}
	return ""
}

// allTargetsAllowed reports whether every file a chmod/install gives mode m
// is on the SUID allow-list.
func allTargetsAllowed(args []string, mode string, allow []string) bool {
	if len(allow) == 0 {
		return false
	}
	args = shell.WithoutSudo(args)
	var targets []string
	seenMode := false
	for _, a := range args[1:] {
		if !seenMode {
			if a == mode || strings.HasSuffix(a, mode) {
				seenMode = true
			}
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		targets = append(targets, a)
	}
	if len(targets) == 0 {
		return false
	}
	for _, t := range targets {
		if !underAny(t, allow) {
			return false
		}
	}
	return true
}
