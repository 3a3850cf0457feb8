package enforce

// fieldTable classifies every field of every request body enforcement
// decodes (TestFieldTableComplete fails on a field it does not classify,
// so a moby upgrade cannot add a silent bypass). A path classifies its
// whole subtree unless a deeper path says otherwise. Judged fields name
// the rules (slugs) or enforcement checks that read them.
var fieldTable = map[string]Field{
	// POST /containers/create: the container configuration.
	"Config":                 harmless, // names, terminal and stdio settings, working directory, stop signal
	"Config.User":            judged("root-user", "root-start-drop"),
	"Config.Env":             judged("secret-in-env"),
	"Config.Labels":          judged("secret-in-env", "mixed-trust", "privileged-beside-sensitive"),
	"Config.Image":           judged("image-unpinned", "image-latest", "untrusted-registry", "root-user"),
	"Config.Cmd":             judged("root-start-drop"),
	"Config.Entrypoint":      judged("root-start-drop"),
	"Config.Healthcheck":     judged("no-healthcheck"),
	"Config.ExposedPorts":    judged("expose-ssh", "publish-all"),
	"Config.Volumes":         Field{Class: Harmless, Why: "anonymous volumes created by the daemon under its own root"},
	"Config.NetworkDisabled": Field{Class: Harmless, Why: "takes the network away"},
	"Config.MacAddress":      harmless,

	// HostConfig.
	"HostConfig":                                          harmless,
	"HostConfig.Binds":                                    judged("runtime-socket-mount", "host-path-mount", "mount-propagation", "volume-bind", "volume-driver", "writable-bind-root", "writable-bind-suid", "bind-swappable"),
	"HostConfig.GroupAdd":                                 judged("bind-swappable"),
	"HostConfig.Mounts":                                   judged("runtime-socket-mount", "host-path-mount", "mount-propagation", "volume-bind", "volume-driver", "image-mount", "mount-type"),
	"HostConfig.Mounts[].ClusterOptions":                  denySet("Swarm cluster volumes (CSI) in a plain container"),
	"HostConfig.Mounts[].Consistency":                     harmless,
	"HostConfig.Mounts[].TmpfsOptions":                    harmless,
	"HostConfig.Mounts[].VolumeOptions.Labels":            harmless,
	"HostConfig.Mounts[].VolumeOptions.NoCopy":            harmless,
	"HostConfig.Mounts[].VolumeOptions.DriverConfig.Name": judged("volume-driver", "volume-bind"),
	"HostConfig.Tmpfs":                                    judged("read-only-rootfs"),
	"HostConfig.VolumeDriver":                             {Class: DenySet, Allowed: []string{"local"}, Why: "a volume plugin mounts what it chooses"},
	"HostConfig.VolumesFrom":                              judged("volumes-from"),
	"HostConfig.NetworkMode":                              judged("host-network", "shared-namespace"),
	"HostConfig.PortBindings":                             judged("port-all-interfaces", "expose-ssh"),
	"HostConfig.PublishAllPorts":                          judged("publish-all"),
	"HostConfig.RestartPolicy":                            judged("restart-policy", "restart-loop"),
	"HostConfig.CapAdd":                                   judged("dangerous-capability", "privileged"),
	"HostConfig.CapDrop":                                  judged("capabilities-not-dropped"),
	"HostConfig.Capabilities":                             denySet("API 1.40's replacement of the whole capability set"),
	"HostConfig.CgroupnsMode":                             judged("host-uts-cgroupns"),
	"HostConfig.Cgroup":                                   denySet("joins another container's cgroup"),
	"HostConfig.IpcMode":                                  judged("host-pid-ipc", "shared-namespace"),
	"HostConfig.PidMode":                                  judged("host-pid-ipc", "shared-namespace"),
	"HostConfig.UTSMode":                                  judged("host-uts-cgroupns", "shared-namespace"),
	"HostConfig.UsernsMode":                               judged("userns-host"),
	"HostConfig.Privileged":                               judged("privileged"),
	"HostConfig.ReadonlyRootfs":                           judged("read-only-rootfs"),
	"HostConfig.SecurityOpt":                              judged("seccomp-unconfined", "seccomp-profile", "apparmor-unconfined", "selinux-disabled", "no-new-privileges-missing", "no-new-privileges-disabled", "unmasked-paths"),
	"HostConfig.MaskedPaths":                              denySet("an explicit list replaces the paths Docker masks in /proc and /sys (the CLI sends [] for systempaths=unconfined)"),
	"HostConfig.ReadonlyPaths":                            denySet("an explicit list replaces the paths Docker keeps read-only in /proc and /sys"),
	"HostConfig.Sysctls":                                  judged("sysctl"),
	"HostConfig.Annotations":                              denySet("passed to the OCI runtime, which may act on them"),
	"HostConfig.Runtime":                                  judged("runtime"),
	"HostConfig.OomScoreAdj":                              {Class: DenySet, Set: negative, Why: "a negative score makes the host kill other processes first"},
	"HostConfig.StorageOpt":                               Field{Class: Harmless, Why: "storage driver quotas"},
	"HostConfig.LogConfig":                                Field{Class: Harmless, Why: "log drivers run in the daemon with their fixed behaviour"},
	"HostConfig.Memory":                                   judged("memory-limit"),
	"HostConfig.MemorySwap":                               judged("memory-swap"),
	"HostConfig.NanoCpus":                                 judged("cpu-limit"),
	"HostConfig.CpuQuota":                                 judged("cpu-limit"),
	"HostConfig.CpuPeriod":                                judged("cpu-limit"),
	"HostConfig.CpuShares":                                judged("cpu-limit"),
	"HostConfig.PidsLimit":                                judged("pids-limit"),
	"HostConfig.Ulimits":                                  judged("ulimit-invalid", "ulimits-missing"),
	"HostConfig.CgroupParent":                             denySet("places the container under a cgroup of the requester's choice, outside the daemon's limits"),
	"HostConfig.OomKillDisable":                           {Class: DenySet, Set: isTrue, Why: "a container the OOM killer skips takes memory from the host"},
	"HostConfig.CpuRealtimeRuntime":                       denySet("real-time CPU time starves the host"),
	"HostConfig.CpuRealtimePeriod":                        denySet("real-time CPU time starves the host"),
	"HostConfig.Devices":                                  judged("host-device", "host-block-device"),
	"HostConfig.DeviceCgroupRules":                        judged("host-device", "host-block-device"),
	"HostConfig.DeviceRequests":                           judged("host-device"),
	"HostConfig.Isolation":                                Field{Class: Harmless, Why: "Windows only; a Linux daemon refuses other values"},

	// NetworkingConfig: the endpoint of the network NetworkMode names.
	"NetworkingConfig":                               harmless,
	"NetworkingConfig.EndpointsConfig":               judged("network-endpoint"),
	"NetworkingConfig.EndpointsConfig[*].DriverOpts": Field{Class: Harmless, Why: "options of the network's own driver"},

	// POST /containers/{id}/exec.
	"Exec": harmless,

	"Exec.User":       judged("exec-root"),
	"Exec.Privileged": judged("exec-privileged"),

	// POST /exec/{id}/start: a stream unless detached.
	"ExecStart":        harmless,
	"ExecStart.Detach": judged("request-unjudged"),

	// POST /containers/{id}/update.
	"Update":                    harmless, // CPU weights, cpusets, block IO, reservations
	"Update.Memory":             judged("update-limit-removed"),
	"Update.MemorySwap":         judged("update-limit-removed"),
	"Update.PidsLimit":          judged("update-limit-removed"),
	"Update.CpuQuota":           judged("update-limit-removed"),
	"Update.NanoCpus":           judged("update-limit-removed"),
	"Update.RestartPolicy":      judged("update-restart-unlimited"),
	"Update.Devices":            judged("update-devices"),
	"Update.DeviceCgroupRules":  judged("update-devices"),
	"Update.DeviceRequests":     judged("update-devices"),
	"Update.CgroupParent":       denySet("places the container under a cgroup of the requester's choice"),
	"Update.OomKillDisable":     {Class: DenySet, Set: isTrue, Why: "a container the OOM killer skips takes memory from the host"},
	"Update.CpuRealtimeRuntime": denySet("real-time CPU time starves the host"),
	"Update.CpuRealtimePeriod":  denySet("real-time CPU time starves the host"),

	// POST /volumes/create.
	"Volume":                   harmless,
	"Volume.Driver":            judged("volume-driver"),
	"Volume.DriverOpts":        judged("volume-bind"),
	"Volume.ClusterVolumeSpec": denySet("Swarm cluster volumes (CSI plugins)"),

	// POST /services/create and /services/{id}/update.
	"Service":                                                              harmless, // name, labels, mode, update and rollback settings
	"Service.Networks":                                                     judged("host-network"),
	"Service.EndpointSpec.Ports":                                           judged("port-all-interfaces", "expose-ssh"),
	"Service.TaskTemplate":                                                 harmless, // placement, log driver, ForceUpdate, Runtime
	"Service.TaskTemplate.Networks":                                        judged("host-network"),
	"Service.TaskTemplate.PluginSpec":                                      judged("service-plugin"),
	"Service.TaskTemplate.NetworkAttachmentSpec":                           denySet("set by the manager, never by clients"),
	"Service.TaskTemplate.RestartPolicy":                                   judged("restart-policy", "restart-loop"),
	"Service.TaskTemplate.Resources.Limits.MemoryBytes":                    judged("memory-limit"),
	"Service.TaskTemplate.Resources.Limits.NanoCPUs":                       judged("cpu-limit"),
	"Service.TaskTemplate.Resources.Limits.Pids":                           judged("pids-limit"),
	"Service.TaskTemplate.ContainerSpec":                                   harmless, // hostname, dir, groups, TTY, stop settings, DNS, hosts, secrets and configs by reference
	"Service.TaskTemplate.ContainerSpec.Image":                             judged("image-unpinned", "image-latest", "untrusted-registry", "root-user"),
	"Service.TaskTemplate.ContainerSpec.User":                              judged("root-user"),
	"Service.TaskTemplate.ContainerSpec.Command":                           judged("root-start-drop"),
	"Service.TaskTemplate.ContainerSpec.Args":                              judged("root-start-drop"),
	"Service.TaskTemplate.ContainerSpec.Env":                               judged("secret-in-env"),
	"Service.TaskTemplate.ContainerSpec.Labels":                            judged("secret-in-env"),
	"Service.TaskTemplate.ContainerSpec.Healthcheck":                       judged("no-healthcheck"),
	"Service.TaskTemplate.ContainerSpec.ReadOnly":                          judged("read-only-rootfs"),
	"Service.TaskTemplate.ContainerSpec.CapabilityAdd":                     judged("dangerous-capability"),
	"Service.TaskTemplate.ContainerSpec.CapabilityDrop":                    judged("capabilities-not-dropped"),
	"Service.TaskTemplate.ContainerSpec.Ulimits":                           judged("ulimit-invalid", "ulimits-missing"),
	"Service.TaskTemplate.ContainerSpec.Mounts":                            judged("runtime-socket-mount", "host-path-mount", "mount-propagation", "volume-bind", "volume-driver", "image-mount", "mount-type"),
	"Service.TaskTemplate.ContainerSpec.Mounts[].ClusterOptions":           denySet("Swarm cluster volumes (CSI plugins)"),
	"Service.TaskTemplate.ContainerSpec.Mounts[].Consistency":              harmless,
	"Service.TaskTemplate.ContainerSpec.Mounts[].TmpfsOptions":             harmless,
	"Service.TaskTemplate.ContainerSpec.Mounts[].VolumeOptions.Labels":     harmless,
	"Service.TaskTemplate.ContainerSpec.Mounts[].VolumeOptions.NoCopy":     harmless,
	"Service.TaskTemplate.ContainerSpec.Sysctls":                           judged("sysctl"),
	"Service.TaskTemplate.ContainerSpec.OomScoreAdj":                       {Class: DenySet, Set: negative, Why: "a negative score makes the host kill other processes first"},
	"Service.TaskTemplate.ContainerSpec.Isolation":                         Field{Class: Harmless, Why: "Windows only"},
	"Service.TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges":        judged("no-new-privileges-missing"),
	"Service.TaskTemplate.ContainerSpec.Privileges.Seccomp.Mode":           judged("seccomp-unconfined"),
	"Service.TaskTemplate.ContainerSpec.Privileges.Seccomp.Profile":        denySet("a custom seccomp profile is not judged yet"),
	"Service.TaskTemplate.ContainerSpec.Privileges.AppArmor.Mode":          judged("apparmor-unconfined"),
	"Service.TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Disable": judged("selinux-disabled"),
	"Service.TaskTemplate.ContainerSpec.Privileges.SELinuxContext.User":    denySet("a custom SELinux context is not judged yet"),
	"Service.TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Role":    denySet("a custom SELinux context is not judged yet"),
	"Service.TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Type":    denySet("a custom SELinux context is not judged yet"),
	"Service.TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Level":   denySet("a custom SELinux context is not judged yet"),
	"Service.TaskTemplate.ContainerSpec.Privileges.CredentialSpec":         Field{Class: Harmless, Why: "Windows only"},

	// Networks: creating, connecting and disconnecting cannot reach the
	// host's namespaces (the daemon refuses the host network there).
	"NetworkCreate":     harmless,
	"NetworkConnect":    harmless,
	"NetworkDisconnect": harmless,

	// POST /plugins/pull and /plugins/{name}/upgrade: the privileges
	// granted to the plugin.
	"PluginPrivileges": judged("plugin-change"),
}

// buildParams classifies the query parameters of POST /build (dockerd
// 20.10's newImageBuildOptions and the BuildKit ones). A parameter not
// listed is denied.
var buildParams = map[string]Field{
	"dockerfile": harmless, "t": harmless, "extrahosts": harmless, "remote": harmless,
	"q": harmless, "nocache": harmless, "cachefrom": harmless, "pull": harmless,
	"rm": harmless, "forcerm": harmless, "memory": harmless, "memswap": harmless,
	"cpushares": harmless, "cpusetcpus": harmless, "cpusetmems": harmless,
	"cpuperiod": harmless, "cpuquota": harmless, "buildargs": harmless,
	"shmsize": harmless, "squash": harmless, "labels": harmless, "platform": harmless,
	"target": harmless, "outputs": harmless, "isolation": harmless, "ulimits": harmless,
	"session": harmless, "buildid": harmless,
	"networkmode":  judged("build-network"),
	"version":      judged("buildkit-session"),
	"cgroupparent": denySet("builds under a cgroup of the requester's choice"),
	"securityopt":  denySet("security options for build containers"),
}
