package cli

import (
	"fmt"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/spf13/pflag"
)

// follow are the flags of the commands that follow one engine's events
// (agent, watch): which engine, the policy, and how events are gathered.
type follow struct {
	host        string
	tlsVerify   bool
	tlsCACert   string
	tlsCert     string
	tlsKey      string
	configPath  string
	storms      int
	stormWindow time.Duration
	debounce    time.Duration
}

func (o *follow) flags(f *pflag.FlagSet) {
	f.StringVarP(&o.host, "host", "H", "", "the Docker engine to follow (unix://, tcp://, ssh://); default: DOCKER_HOST, the current docker context, else unix:///var/run/docker.sock")
	f.BoolVar(&o.tlsVerify, "tlsverify", false, "use TLS and verify the engine's certificate")
	f.StringVar(&o.tlsCACert, "tlscacert", "", "trust certificates signed by this CA (PEM)")
	f.StringVar(&o.tlsCert, "tlscert", "", "TLS client certificate (PEM)")
	f.StringVar(&o.tlsKey, "tlskey", "", "TLS client key (PEM)")
	f.StringVar(&o.configPath, "config", "", "configuration file (default: .dockguard.yaml in the working folder or a parent)")
	f.IntVar(&o.storms, "storm-restarts", agent.DefaultStormRestarts, "deaths of one container within --storm-window that make a restart storm")
	f.DurationVar(&o.stormWindow, "storm-window", agent.DefaultStormWindow, "window for --storm-restarts")
	f.DurationVar(&o.debounce, "debounce", agent.DefaultDebounce, "gather events this long before auditing, so a burst costs one audit")
}

func (o *follow) check() error {
	switch {
	case o.storms < 2:
		return fmt.Errorf("--storm-restarts must be at least 2")
	case o.stormWindow <= 0:
		return fmt.Errorf("--storm-window must be positive")
	case o.debounce <= 0:
		return fmt.Errorf("--debounce must be positive")
	}
	return nil
}

func (o *follow) endpoint() engine.Endpoint {
	return engine.Endpoint{Host: o.host, TLS: engine.TLS{Verify: o.tlsVerify, CACert: o.tlsCACert, Cert: o.tlsCert, Key: o.tlsKey}}
}
