package host

import (
	"os"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// macState reads the host's SELinux mode and whether AppArmor is enabled.
func (b *builder) macState() {
	h := b.h
	const enforce = "/sys/fs/selinux/enforce"
	switch data, err := os.ReadFile(hostPath(b.root, enforce)); {
	case err == nil && strings.TrimSpace(string(data)) == "1":
		h.SELinuxMode = facts.SetAt("enforcing", facts.Location{Path: enforce})
	case err == nil:
		h.SELinuxMode = facts.SetAt("permissive", facts.Location{Path: enforce})
	case os.IsNotExist(err):
		h.SELinuxMode = facts.SetAt("disabled", facts.Location{Path: enforce})
	default:
		h.SELinuxMode = facts.UnknownBecause[string](facts.Location{Path: enforce}, errText(err))
	}
	const apparmor = "/sys/module/apparmor/parameters/enabled"
	switch data, err := os.ReadFile(hostPath(b.root, apparmor)); {
	case err == nil:
		h.HostAppArmor = facts.SetAt(strings.HasPrefix(strings.TrimSpace(string(data)), "Y"), facts.Location{Path: apparmor})
	case os.IsNotExist(err):
		h.HostAppArmor = facts.SetAt(false, facts.Location{Path: apparmor})
	default:
		h.HostAppArmor = facts.UnknownBecause[bool](facts.Location{Path: apparmor}, errText(err))
	}
}
