package facts

// Project is a set of containers deployed together (a compose project), for
// the rules that judge containers against each other: shared networks,
// trust levels and tenants on one host.
type Project struct {
	Name       string
	Path       string
	Origin     Location
	Containers []*Container
	Networks   map[string]*Network
}

// Network is a network containers of a project join.
type Network struct {
	Name string
	At   Location
	// Internal networks have no route out (compose `internal: true`).
	Internal bool
	// External networks are created outside the project.
	External bool
	Driver   string
	// ICC is com.docker.network.bridge.enable_icc; unset means Docker's
	// default, which lets containers on the network talk freely.
	ICC Value[bool]
}
