package engine

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/client"
)

// hostFacts is the host and daemon as the Engine API reports them (docker
// info and version): what every engine shows, local or remote. Settings
// only the host's files show (daemon.json, the dockerd command line,
// package records) are not read here.
func hostFacts(s *Snapshot, nets client.NetworkListResult) *facts.Host {
	h := &facts.Host{
		Subject: facts.Subject{Kind: facts.SubjectHost, Name: s.Host, Host: s.Host},
		Origin:  facts.Location{Engine: s.Host, Object: "daemon"},
		Local:   strings.HasPrefix(s.Host, "unix://"),
	}
	at := func(field string) facts.Location {
		return facts.Location{Engine: s.Host, Object: "daemon", Field: field}
	}
	set := func(v *facts.Value[string], val, field string) {
		if val != "" {
			*v = facts.SetAt(val, at(field))
		}
	}
	info := s.Info
	set(&h.KernelVersion, info.KernelVersion, "Info.KernelVersion")
	set(&h.Distribution, info.OperatingSystem, "Info.OperatingSystem")
	set(&h.EngineVersion, s.Version.Version, "Version.Version")
	set(&h.APIVersion, s.Version.APIVersion, "Version.ApiVersion")
	for _, c := range s.Version.Components {
		switch strings.ToLower(c.Name) {
		case "containerd":
			set(&h.ContainerdVersion, c.Version, "Version.Components[containerd]")
		case "runc":
			set(&h.RuncVersion, c.Version, "Version.Components[runc]")
		}
	}
	set(&h.DefaultRuntime, info.DefaultRuntime, "Info.DefaultRuntime")
	h.AuthorizationPlugins = info.Plugins.Authorization
	h.LiveRestore = facts.SetAt(info.LiveRestoreEnabled, at("Info.LiveRestoreEnabled"))
	secAt := at("Info.SecurityOptions")
	h.Rootless = facts.SetAt(false, secAt)
	h.AppArmorEnabled = facts.SetAt(false, secAt)
	h.SELinuxEnabled = facts.SetAt(false, secAt)
	h.CgroupNamespaces = facts.SetAt(false, secAt)
	for _, o := range info.SecurityOptions {
		kv := map[string]string{}
		for _, part := range strings.Split(o, ",") {
			k, v, _ := strings.Cut(part, "=")
			kv[k] = v
		}
		switch kv["name"] {
		case "rootless":
			h.Rootless = facts.SetAt(true, secAt)
		case "apparmor":
			h.AppArmorEnabled = facts.SetAt(true, secAt)
		case "selinux":
			h.SELinuxEnabled = facts.SetAt(true, secAt)
		case "cgroupns":
			h.CgroupNamespaces = facts.SetAt(true, secAt)
		case "userns":
			// The API says remapping is on, not to whom.
			h.UsernsRemap = facts.SetAt("on", secAt)
		case "seccomp":
			set(&h.SeccompProfile, kv["profile"], "Info.SecurityOptions")
		}
	}
	for _, n := range nets.Items {
		if n.Name == "bridge" {
			if v, ok := n.Options[iccOption]; ok {
				h.ICC = facts.SetAt(v == "true", facts.Location{Engine: s.Host, Object: "network bridge", Field: "Options[" + iccOption + "]"})
			}
		}
	}
	return h
}
