package shell

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// dropTools start as root and switch to another user before running the
// service. The audit (DropIn) and harden (IsDropTool) read this one list.
var dropTools = map[string]bool{
	"gosu": true, "su-exec": true, "setpriv": true, "chroot": true, "s6-setuidgid": true,
	"runuser": true, "setuidgid": true, "su": true,
}

// IsDropTool reports whether a program name is one of the tools that
// switch from root to another user.
func IsDropTool(name string) bool { return dropTools[base(name)] }

// DropIn reports which privilege-dropping tool a command runs ("" for
// none), looking through wrappers (env, exec, …): gosu, su-exec,
// s6-setuidgid, runuser; setpriv only with a uid option, chroot only with
// --userspec; su and daemontools' setuidgid only with a user that is not
// root.
func DropIn(args []string) string {
	args = Effective(args)
	n := Name(args)
	if !dropTools[n] {
		return ""
	}
	switch n {
	case "chroot":
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "--userspec") {
				return "chroot --userspec"
			}
		}
		return ""
	case "setpriv":
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "--reuid") || strings.HasPrefix(a, "--ruid") || strings.HasPrefix(a, "--euid") {
				return "setpriv"
			}
		}
		return ""
	case "su":
		if u := suUser(args[1:]); u == "" || facts.IsRootUser(u) {
			return "" // su with no user is a root shell
		}
	case "setuidgid":
		if len(args) < 2 || facts.IsRootUser(args[1]) {
			return ""
		}
	}
	return n
}

// suUser is the user su switches to: its first operand after the
// options (util-linux and BusyBox spellings).
func suUser(args []string) string {
	valued := map[string]bool{"-c": true, "--command": true, "-s": true, "--shell": true, "-g": true, "--group": true,
		"-G": true, "--supp-group": true, "-w": true, "--whitelist-environment": true, "--session-command": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1]
			}
			return ""
		case valued[a]:
			i++
		case a == "-" || strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}
