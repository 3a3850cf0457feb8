package facts

// Container is a container's configuration as it will run. Every source that
// describes a container (a Dockerfile's target stage, a compose service, a
// `docker run` line, an inspected container, a Swarm task template, an Engine
// API create request) becomes one of these, the runtime part through the one
// mapper from the Engine API's container.Config and HostConfig, so that audit,
// enforcement and hardening judge the same thing.
type Container struct {
	Subject Subject
	// Origin is where the container is declared: a FROM line, a service key,
	// a run line. Findings about missing settings point here.
	Origin Location
	// Engine is the runtime whose defaults apply: "docker" or "podman".
	Engine string
	// Rootless is set when the engine runs without root on the host
	// (Podman run by a user), so container root is not host root.
	Rootless bool
	// UsernsRemap is set when the daemon remaps container root to an
	// unprivileged host user (dockerd --userns-remap, or a rootless
	// daemon) and the container does not opt out with --userns host.
	UsernsRemap bool
	// Enforced is set when the container is judged for enforcement: the
	// requester chooses the image, so what only the image says (the UID
	// of a user name) is not taken on trust.
	Enforced bool
	// ImageUserKnown is set when the image's user is known for certain
	// (the daemon's image config, not a Dockerfile whose base image may
	// set one), so an unset User means root.
	ImageUserKnown bool
	// Networks are the networks the container joins by name (compose),
	// besides its network mode.
	Networks []string
	// Notes are what the mapper could not decide (a value that depends on
	// a variable with no value), for the report.
	Notes []Note

	// RuntimeBy names what decides the runtime settings (resources,
	// privileges, ulimits) when the input cannot give them, as for the
	// containers a GitLab runner starts; its runtime values are then
	// unknown and nothing is missing. "" when the input decides them.
	RuntimeBy string

	// BuiltFrom is the Dockerfile the container's image is built from
	// (compose build:); its image name is then a tag, not a pull.
	BuiltFrom string

	// Image settings (container.Config).
	Image      Value[string]
	User       Value[string]
	Entrypoint Value[[]string]
	Cmd        Value[[]string]
	Env        []EnvVar
	// EnvFiles are env_file / --env-file contents, judged like Env.
	EnvFiles []EnvVar
	// BuildArgs are build arguments given with the container's build
	// (compose build.args, --build-arg).
	BuildArgs []EnvVar
	// UsesSecrets is set when the container receives secrets as files
	// (compose secrets:), the right practice.
	UsesSecrets  bool
	ExposedPorts []ExposedPort
	Healthcheck  Value[bool]
	// PrivilegeDrop is set when the process starts as root and switches
	// to another user itself (gosu, su-exec, …).
	PrivilegeDrop *PrivilegeDrop
	Labels        map[string]Value[string]

	// Runtime settings (container.HostConfig), decoded once by the mapper.
	Privileged     Value[bool]
	CapAdd         Value[[]string] // upper case, without CAP_
	CapDrop        Value[[]string]
	SecurityOpt    SecurityOpts
	ReadOnlyRootfs Value[bool]
	Memory         Value[int64] // bytes; 0 unlimited
	MemorySwap     Value[int64] // bytes, memory+swap; -1 unlimited
	NanoCPUs       Value[int64]
	CPUPeriod      Value[int64]
	CPUQuota       Value[int64]
	CPUShares      Value[int64]
	PidsLimit      Value[int64] // 0 and -1 are unlimited
	Restart        Value[RestartPolicy]
	Ulimits        []Ulimit
	Namespaces     map[Namespace]Value[string] // "host", "container:x", "service:x", "ns:/path", "private", …
	Mounts         []Mount
	Devices        []Device
	// DeviceCgroupRules allow device access without passing a device
	// (--device-cgroup-rule 'c *:* rwm').
	DeviceCgroupRules []Value[string]
	// Sysctls are kernel parameters set in the container's namespaces.
	Sysctls []Sysctl
	// Runtime is the OCI runtime asked for (--runtime); unset is the
	// daemon's default.
	Runtime Value[string]
	// DefaultRuntime is the daemon's default runtime when known.
	DefaultRuntime string
	Published      []PublishedPort
	PublishAll     Value[bool]
	// DisableContentTrust is set when the command line turns image
	// verification off (--disable-content-trust).
	DisableContentTrust Value[bool]

	// Live is what only a running engine shows about the container; nil
	// for containers read from files or command lines.
	Live *LiveState
}

// LiveState is a container's state as the engine reports it: what it
// actually does, beside what it is configured to do.
type LiveState struct {
	// Status is running, created, exited, restarting, paused or dead.
	Status string
	// Restarting is State.Restarting: the engine is restarting it now.
	Restarting Value[bool]
	// RestartCount is how often the engine restarted it since it was
	// created (its restart policy at work).
	RestartCount Value[int]
	// RecentDies counts its die events within EventsWindow before the
	// audit; unset when the engine's events could not be read.
	RecentDies   Value[int]
	EventsWindow string // e.g. "1h"
	// OOMKilled is set when the kernel's OOM killer ended its last run.
	OOMKilled Value[bool]
	ExitCode  int
	// ProcessUID is the effective user ID of its PID 1 as the engine's
	// host sees it (/containers/{id}/top), for running containers whose
	// configured user is root: a non-zero ID proves that the entrypoint
	// dropped privileges. Unset when not looked at or not knowable (user
	// namespace remapping shifts the IDs).
	ProcessUID Value[string]
}

// EnvVar is one environment variable with where it was set.
type EnvVar struct {
	Name  string
	Value string
	// Dynamic is true when the value is only known at run time.
	Dynamic bool
	At      Location
}

// ExposedPort is a port the image declares (EXPOSE); it publishes nothing
// by itself.
type ExposedPort struct {
	Port, EndPort int // EndPort for ranges, else equal to Port
	Proto         string
	At            Location
}

// PrivilegeDrop records a root start that switches user in the entrypoint.
type PrivilegeDrop struct {
	Tool string // gosu, su-exec, setpriv, chroot --userspec, s6-setuidgid, runuser
	// Script is the entrypoint script that does it, if not the command itself.
	Script string
	At     Location
}

// Sysctl is one --sysctl name=value.
type Sysctl struct {
	Name  string
	Value string
	At    Location
}

// SecurityOpts is --security-opt decoded.
type SecurityOpts struct {
	NoNewPrivileges Value[bool]
	SeccompProfile  Value[string] // "unconfined" or a profile
	AppArmorProfile Value[string]
	SELinuxDisabled Value[bool]
	SELinuxLabels   []Value[string] // label=type:x, label=level:y, …
	// Unmasked is set by systempaths=unconfined: /proc and /sys paths
	// Docker masks are visible and writable.
	Unmasked Value[bool]
}

// RestartPolicy is a restart policy name and retry count.
type RestartPolicy struct {
	Name     string // no, always, unless-stopped, on-failure
	MaxRetry int
}

// Note is something a source or the mapper could not decide.
type Note struct {
	At      Location
	Message string
}

// Ulimit is one --ulimit.
type Ulimit struct {
	Name       string
	Soft, Hard int64
	At         Location
}

// Namespace names a Linux namespace a container may share.
type Namespace string

// Namespaces a container can join or share with the host.
const (
	NSPid     Namespace = "pid"
	NSNetwork Namespace = "network"
	NSIPC     Namespace = "ipc"
	NSUTS     Namespace = "uts"
	NSUser    Namespace = "userns"
	NSCgroup  Namespace = "cgroupns"
)

// Mount is a bind mount, volume or tmpfs.
type Mount struct {
	Type        string // bind, volume, tmpfs, npipe
	Source      string
	Target      string
	ReadOnly    bool
	Propagation string
	At          Location
	// Host is what the bind source is on the daemon's host, when whoever
	// made these facts could look (enforcement, the live audit); nil
	// otherwise.
	Host *HostMount
}

// HostMount is what a bind source is on the daemon's host.
type HostMount struct {
	// Via is the source as written, when Source is where the daemon's
	// mount namespace leads it (symlinks, `..`).
	Via string
	// Socket is "engine" (the daemon's own API or containerd's), "proxy"
	// (a dockguard proxy's listener) or "other" when the source is a
	// socket, or a folder that holds the daemon's or the proxy's (Holds);
	// SocketPath names it.
	Socket     string
	SocketPath string
	Holds      bool
	// DaemonRoot names the daemon's data-root or exec-root ("data-root
	// /var/lib/docker") when the source is one, lies under one or holds
	// one.
	DaemonRoot string
}

// Device is a host device passed into the container.
type Device struct {
	Host, Container, Permissions string
	At                           Location
}

// PublishedPort is a container port published on the host.
type PublishedPort struct {
	HostIP                 string
	HostPort, HostPortEnd  int
	ContainerPort, EndPort int
	Proto                  string
	At                     Location
}
