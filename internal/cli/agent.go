package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/spf13/cobra"
)

type agentOptions struct {
	listen      string
	host        string
	tlsVerify   bool
	tlsCACert   string
	tlsCert     string
	tlsKey      string
	configPath  string
	minSeverity string
	storms      int
	stormWindow time.Duration
	resync      time.Duration
	debounce    time.Duration
	logFormat   string
}

func newAgentCmd(s Streams) *cobra.Command {
	o := &agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent [--listen ADDR] [-H HOST]",
		Short: "Audit one Docker engine continuously and serve its findings as metrics",
		Long: `Audit the Docker engine at start and again whenever its events say a
container or network changed, and serve the current findings: /metrics
(Prometheus), /report (JSON, ?format=sarif for SARIF) and /healthz (200 when
the findings are current, 503 with the reason otherwise). Runs until SIGTERM
or SIGINT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9323", "address to serve /metrics, /report and /healthz on")
	f.StringVarP(&o.host, "host", "H", "", "the Docker engine to follow (unix://, tcp://, ssh://); default: DOCKER_HOST, the current docker context, else unix:///var/run/docker.sock")
	f.BoolVar(&o.tlsVerify, "tlsverify", false, "use TLS and verify the engine's certificate")
	f.StringVar(&o.tlsCACert, "tlscacert", "", "trust certificates signed by this CA (PEM)")
	f.StringVar(&o.tlsCert, "tlscert", "", "TLS client certificate (PEM)")
	f.StringVar(&o.tlsKey, "tlskey", "", "TLS client key (PEM)")
	f.StringVar(&o.configPath, "config", "", "configuration file (default: .dockguard.yaml in the working folder or a parent)")
	f.StringVar(&o.minSeverity, "metrics-min-severity", "high", "lowest severity that gives a container metric series of its own: critical, high, medium, low or info")
	f.IntVar(&o.storms, "storm-restarts", agent.DefaultStormRestarts, "deaths of one container within --storm-window that make a restart storm")
	f.DurationVar(&o.stormWindow, "storm-window", agent.DefaultStormWindow, "window for --storm-restarts")
	f.DurationVar(&o.resync, "resync", agent.DefaultResync, "full audit at this interval whatever the events say; 0 turns it off")
	f.DurationVar(&o.debounce, "debounce", agent.DefaultDebounce, "gather events this long before auditing, so a burst costs one audit")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on standard error: text or json")
	return cmd
}

func runAgent(ctx context.Context, s Streams, o *agentOptions) error {
	sev, err := rules.ParseSeverity(o.minSeverity)
	if err != nil {
		return fmt.Errorf("--metrics-min-severity: %w", err)
	}
	if o.storms < 2 {
		return fmt.Errorf("--storm-restarts must be at least 2")
	}
	if o.stormWindow <= 0 {
		return fmt.Errorf("--storm-window must be positive")
	}
	if o.resync < 0 {
		return fmt.Errorf("--resync must not be negative")
	}
	if o.debounce <= 0 {
		return fmt.Errorf("--debounce must be positive")
	}
	var handler slog.Handler
	switch strings.ToLower(o.logFormat) {
	case "text":
		handler = slog.NewTextHandler(s.Err, nil)
	case "json":
		handler = slog.NewJSONHandler(s.Err, nil)
	default:
		return fmt.Errorf("--log-format %q: want text or json", o.logFormat)
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return err
	}
	resync := o.resync
	if resync == 0 {
		resync = -1 // the agent's "off"
	}
	a, err := agent.New(agent.Options{
		Endpoint: engine.Endpoint{Host: o.host, TLS: engine.TLS{
			Verify: o.tlsVerify, CACert: o.tlsCACert, Cert: o.tlsCert, Key: o.tlsKey,
		}},
		Config:             cfg.Rules,
		MetricsMinSeverity: sev,
		StormRestarts:      o.storms,
		StormWindow:        o.stormWindow,
		Resync:             resync,
		Debounce:           o.debounce,
		Version:            version(),
		Logger:             slog.New(handler),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return a.Serve(ctx, ln)
}
