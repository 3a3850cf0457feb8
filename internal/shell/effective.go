package shell

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// wrappers run the rest of their arguments as a command; the flags listed
// take a value.
var wrappers = map[string]string{
	"exec":      "a",
	"command":   "",
	"nohup":     "",
	"time":      "fo",
	"nice":      "n",
	"ionice":    "cnp",
	"stdbuf":    "ioe",
	"timeout":   "sk",
	"xargs":     "adEeILlnPs",
	"env":       "uCS",
	"chronic":   "",
	"eatmydata": "",
}

// Effective returns the command a line really runs, without the wrappers
// that only change how it runs (`exec`, `env X=1`, `nohup`, `xargs`, …).
// sudo is not unwrapped: running sudo is itself what some rules judge; use
// WithoutSudo for the command sudo runs.
func Effective(args []string) []string {
	for len(args) > 0 {
		name := base(args[0])
		valued, ok := wrappers[name]
		if !ok {
			return args
		}
		i := 1
		for i < len(args) {
			a := args[i]
			if a == "--" {
				i++
				break
			}
			if name == "env" && strings.Contains(a, "=") && !strings.HasPrefix(a, "-") {
				i++
				continue
			}
			if name == "timeout" && i == firstNonFlag(args) {
				// the duration
				i++
				break
			}
			if !strings.HasPrefix(a, "-") || a == "-" {
				break
			}
			i++
			if len(a) == 2 && strings.ContainsRune(valued, rune(a[1])) {
				i++
			}
		}
		if i >= len(args) {
			return nil
		}
		args = args[i:]
	}
	return args
}

func firstNonFlag(args []string) int {
	for i := 1; i < len(args); i++ {
		if !strings.HasPrefix(args[i], "-") {
			return i
		}
	}
	return len(args)
}

// WithoutSudo returns the command sudo (or doas) runs, or args unchanged.
func WithoutSudo(args []string) []string {
	args = Effective(args)
	if len(args) == 0 {
		return args
	}
	if n := base(args[0]); n != "sudo" && n != "doas" {
		return args
	}
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if args[i] == "--" {
			i++
			break
		}
		// sudo's options that take a value
		if len(args[i]) == 2 && strings.ContainsRune("ugCDhpTUrt", rune(args[i][1])) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return nil
	}
	return Effective(args[i:])
}

// Name is the base name of a command word (/usr/bin/curl → curl).
func Name(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return base(args[0])
}

func base(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Interpreters read a program from standard input when piped into.
var Interpreters = map[string]bool{
	"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true, "mksh": true, "fish": true,
	"python": true, "python2": true, "python3": true, "perl": true, "ruby": true, "node": true, "php": true, "pwsh": true,
}

// IsShell reports whether name is a POSIX-family shell.
func IsShell(name string) bool { return shells[name] && name != "busybox" }

// RunsAsShellProgram reports whether a command in a pipeline executes what
// it reads (sh, bash -s, python -, sudo bash, …).
func RunsAsShellProgram(c *facts.Command) bool {
	args := WithoutSudo(c.Args)
	if len(args) == 0 {
		return false
	}
	n := base(args[0])
	if n == "busybox" && len(args) > 1 {
		n = base(args[1])
		args = args[1:]
	}
	if !Interpreters[n] {
		return false
	}
	// `bash script.sh` reads the script, not stdin; `bash -s`/`bash -`/`bash` read stdin.
	for _, a := range args[1:] {
		if a == "-" || a == "-s" {
			return true
		}
		if strings.HasPrefix(a, "-c") || a == "-c" {
			return false
		}
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return true
}
