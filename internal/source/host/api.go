package host

import (
	"path"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/system"

	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/facts"
)

// This file reads what the engine reports through its API: /info,
// /version and the default bridge network.

// api locates a value the engine reported: the field of /info or /version
// it came from.
func (b *builder) api(field string) facts.Location {
	return facts.Location{Engine: b.engine, Object: "daemon", Field: field}
}

// fromAPI reads /info and /version.
func (b *builder) fromAPI() {
	h, info, ver := b.h, b.info, b.ver
	kernel := info.KernelVersion
	field := "KernelVersion"
	if kernel == "" {
		kernel, field = ver.KernelVersion, "Version.KernelVersion"
	}
	if kernel != "" {
		h.KernelVersion = facts.SetAt(kernel, b.api(field))
	} else {
		h.KernelVersion = facts.UnknownBecause[string](b.api("KernelVersion"), "the engine does not report its kernel")
	}
	if info.OperatingSystem != "" {
		h.Distribution = facts.SetAt(info.OperatingSystem, b.api("OperatingSystem"))
	}
	if ver.APIVersion != "" {
		h.APIVersion = facts.SetAt(ver.APIVersion, b.api("Version.ApiVersion"))
	}
	b.versions()
	h.AuthorizationPlugins = append([]string(nil), info.Plugins.Authorization...)
	h.AuthorizationPluginsAt = b.api("Plugins.Authorization")
	h.LiveRestore = facts.SetAt(info.LiveRestoreEnabled, b.api("LiveRestoreEnabled"))
	if info.DefaultRuntime != "" {
		h.DefaultRuntime = facts.SetAt(info.DefaultRuntime, b.api("DefaultRuntime"))
	}
	b.securityOptions()
}

// versions reads the engine's, containerd's and runc's versions from
// /version's components, else from the older top-level fields, and who
// built each.
func (b *builder) versions() {
	h, info, ver := b.h, b.info, b.ver
	engineVersion, engineField := ver.Version, "Version.Version"
	var containerd, runc *system.ComponentVersion
	for i := range ver.Components {
		c := &ver.Components[i]
		switch {
		case c.Name == "Engine":
			if c.Version != "" {
				engineVersion, engineField = c.Version, "Version.Components[Engine].Version"
			}
		case c.Name == "containerd":
			containerd = c
		case c.Name == "docker-init":
		case runc == nil && isRuncRuntime(c.Name, info):
			runc = c
		}
	}
	if engineVersion == "" {
		engineVersion, engineField = info.ServerVersion, "ServerVersion"
	}
	if engineVersion != "" {
		h.EngineVersion = facts.SetAt(engineVersion, b.api(engineField))
		if strings.Contains(ver.Platform.Name, "Docker Engine - Community") || strings.Contains(ver.Platform.Name, "Docker Desktop") {
			h.Builds["engine"] = facts.BuildUpstream
		} else if cves.DistributionBuild(engineVersion) {
			h.Builds["engine"] = facts.BuildDistribution
		}
	} else {
		h.EngineVersion = facts.UnknownBecause[string](b.api("Version"), "the engine does not report its version")
	}
	if containerd != nil && containerd.Version != "" {
		h.ContainerdVersion = facts.SetAt(containerd.Version, b.api("Version.Components[containerd].Version"))
		if build := commitBuild(containerd.Version, containerd.Details["GitCommit"]); build != "" {
			h.Builds["containerd"] = build
		}
	} else {
		h.ContainerdVersion = facts.UnknownBecause[string](b.api("Version.Components"), "the engine does not report containerd's version")
	}
	if runc != nil && runc.Version != "" {
		h.RuncVersion = facts.SetAt(runc.Version, b.api("Version.Components["+runc.Name+"].Version"))
		if build := commitBuild(runc.Version, runc.Details["GitCommit"]); build != "" {
			h.Builds["runc"] = build
		}
	} else {
		why := "the engine does not report runc's version"
		if info.DefaultRuntime != "" && !isRuncRuntime(info.DefaultRuntime, info) {
			why = "the default runtime is " + info.DefaultRuntime + ", not runc"
		}
		h.RuncVersion = facts.UnknownBecause[string](b.api("Version.Components"), why)
	}
}

// securityOptions reads /info's security options:
// name=seccomp,profile=default; name=apparmor; name=selinux; name=userns;
// name=rootless; name=cgroupns; name=no-new-privileges.
func (b *builder) securityOptions() {
	h := b.h
	b.secopts = map[string]map[string]string{}
	for _, opt := range b.info.SecurityOptions {
		kv := map[string]string{}
		for _, part := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(part, "=")
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if n := kv["name"]; n != "" {
			b.secopts[n] = kv
		}
	}
	at := b.api("SecurityOptions")
	_, has := b.secopts["seccomp"]
	if has {
		h.SeccompProfile = facts.SetAt(b.secopts["seccomp"]["profile"], at)
	} else {
		h.SeccompProfile = facts.UnknownBecause[string](at, "the engine lists no seccomp support")
	}
	_, has = b.secopts["apparmor"]
	h.AppArmorEnabled = facts.SetAt(has, at)
	_, has = b.secopts["selinux"]
	h.SELinuxEnabled = facts.SetAt(has, at)
	_, has = b.secopts["rootless"]
	h.Rootless = facts.SetAt(has, at)
	_, has = b.secopts["cgroupns"]
	h.CgroupNamespaces = facts.SetAt(has, at)
	if _, has = b.secopts["userns"]; has {
		h.UsernsRemap = facts.SetAt("enabled", at)
	} else {
		h.UsernsRemap = facts.SetAt("", at)
	}
	if _, has = b.secopts["no-new-privileges"]; has {
		h.NoNewPrivileges = facts.SetAt(true, at)
	} else {
		// Older engines never list it, so its absence proves nothing.
		h.NoNewPrivileges = facts.UnknownBecause[bool](at, "the engine does not list no-new-privileges among its security options (engines before Docker 23 never do)")
	}
}

// notVisible is why a daemon setting of a remote engine is unknown.
const notVisible = "not visible through the Engine API; run dockguard on the Docker host to read daemon.json and the dockerd command line"

// remote marks what only the host's files could tell.
func (b *builder) remote() {
	h := b.h
	at := b.api("")
	h.ICC = facts.UnknownBecause[bool](at, notVisible)
	h.UserlandProxy = facts.UnknownBecause[bool](at, notVisible)
	h.SocketMode = facts.UnknownBecause[uint32](at, notVisible)
	h.SocketOwner = facts.UnknownBecause[string](at, notVisible)
	h.SELinuxMode = facts.UnknownBecause[string](at, notVisible)
	h.HostAppArmor = facts.UnknownBecause[bool](at, notVisible)
}

// SetBridgeICC records the default bridge network's
// com.docker.network.bridge.enable_icc option, as the engine reports it
// (GET /networks/bridge): the effective inter-container communication
// setting, which wins over daemon.json and the command line.
func SetBridgeICC(h *facts.Host, engine string, options map[string]string) {
	const key = "com.docker.network.bridge.enable_icc"
	v, ok := options[key]
	if !ok {
		return
	}
	on, ok := parseBool(v)
	if !ok {
		return
	}
	at := facts.Location{Engine: engine, Object: "network bridge", Field: "Options[" + key + "]"}
	if h.ICC.IsSet() && h.ICC.V == on && h.ICC.At.Path != "" {
		return // the file that set it is the better place to point at
	}
	h.ICC = facts.SetAt(on, at)
}

// isRuncRuntime tells whether a runtime (by name and its path in /info's
// Runtimes) is runc, whose version /version then reports.
func isRuncRuntime(name string, info system.Info) bool {
	if strings.Contains(name, "runc") {
		return true
	}
	if rt, ok := info.Runtimes[name]; ok {
		return strings.Contains(path.Base(rt.Path), "runc")
	}
	return false
}

var (
	reHexCommit   = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	reDescribe    = regexp.MustCompile(`^v?\d+\.\d+\.\d+.*-g[0-9a-f]{7,40}$`)
	reUpstreamTag = regexp.MustCompile(`^v\d+\.\d+\.\d+(-rc\.?\d+)?$`)
)

// commitBuild tells who built containerd or runc from the version and the
// GitCommit the engine reports: a distribution puts its package version
// there (1.1.5+ds1-1+deb12u1), an upstream build a commit (v1.1.12-0-g51d5e94).
func commitBuild(version, commit string) string {
	switch {
	case cves.DistributionBuild(version) || cves.DistributionBuild(commit):
		return facts.BuildDistribution
	case reHexCommit.MatchString(commit) || reDescribe.MatchString(commit) || reUpstreamTag.MatchString(commit):
		return facts.BuildUpstream
	}
	return ""
}
