package facts

// Host is a Docker host as its engine and, when it is local, its files show
// it: versions, daemon settings, kernel and MAC state.
type Host struct {
	Subject Subject // {host, engine address}
	// Origin locates host findings: {Engine: address, Object: "daemon"}.
	Origin Location
	// Local is true when the host's files can be read (the engine runs on
	// this machine); daemon.json and /sys checks need it.
	Local bool

	KernelVersion Value[string]
	// Distribution is the host's OS as the engine reports it
	// (OperatingSystem, e.g. "Debian GNU/Linux 12 (bookworm)").
	Distribution Value[string]
	// Packages are installed package versions from the package manager's
	// records, when local (docker.io, runc, containerd, linux-image-…).
	Packages map[string]string
	// PackagesAt locates those records (/var/lib/dpkg/status).
	PackagesAt Location
	// PackageCVEs are, per installed package, the CVE IDs its changelog
	// records (Debian: /usr/share/doc/<pkg>/changelog.Debian.gz): the
	// distribution's word that it backported those fixes.
	PackageCVEs map[string]map[string]bool
	// ComponentPackages name the installed package that provides each
	// component, by the cves package's component names: "kernel" →
	// "linux-image-6.1.0-28-amd64", "engine" → "docker.io", "runc" → "runc".
	ComponentPackages map[string]string
	// Builds say who built each component ("engine", "containerd",
	// "runc"): BuildUpstream for the project's own release builds
	// (Docker's packages, release commits), BuildDistribution for a
	// distribution's package with its own revision; absent when unknown.
	Builds map[string]string

	EngineVersion     Value[string]
	ContainerdVersion Value[string]
	RuncVersion       Value[string]
	APIVersion        Value[string]
	// AuthorizationPlugins are the daemon's authz plugins, read at
	// AuthorizationPluginsAt.
	AuthorizationPlugins   []string
	AuthorizationPluginsAt Location

	// Daemon settings, from `docker info`, daemon.json and the dockerd
	// command line; each with where it was read.
	Rootless         Value[bool]
	UsernsRemap      Value[string]
	ICC              Value[bool]
	NoNewPrivileges  Value[bool]
	SeccompProfile   Value[string]
	SELinuxEnabled   Value[bool]
	AppArmorEnabled  Value[bool] // in the daemon's security options
	LiveRestore      Value[bool]
	UserlandProxy    Value[bool]
	DefaultUlimits   []Ulimit
	CgroupNamespaces Value[bool]
	DefaultRuntime   Value[string]
	Listeners        []Listener
	SocketMode       Value[uint32] // permission bits of the unix socket
	SocketOwner      Value[string] // user:group of the unix socket

	// Host MAC state (local only).
	SELinuxMode  Value[string] // enforcing, permissive, disabled
	HostAppArmor Value[bool]   // /sys/module/apparmor/parameters/enabled
}

// Who built a component (Host.Builds).
const (
	BuildUpstream     = "upstream"
	BuildDistribution = "distribution"
)

// Listener is an address the daemon listens on.
type Listener struct {
	Address   string // unix:///var/run/docker.sock, tcp://0.0.0.0:2375
	TLSVerify bool
	At        Location
}
