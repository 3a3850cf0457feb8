package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/enforce"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/spf13/cobra"
)

type agentOptions struct {
	follow
	listen      string
	minSeverity string
	resync      time.Duration
	logFormat   string
	// TLS on the listener (the flags above are TLS to the engine).
	listenCert, listenKey, listenClientCA string
	// The socket proxy run in the same process (--proxy-listen).
	proxyListen, proxyUpstream, proxyAPI string
}

func newAgentCmd(s Streams) *cobra.Command {
	o := &agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent [--listen ADDR] [-H HOST | --proxy-listen unix://PATH]",
		Short: "Audit one Docker engine continuously and serve its findings as metrics",
		Long: `Audit the Docker engine at start and again whenever its events say a
container or network changed, and serve the current findings: /metrics
(Prometheus), /report (JSON, ?format=sarif for SARIF) and /healthz (200 when
the findings are current, 503 with the reason otherwise). Runs until SIGTERM
or SIGINT.

With --proxy-listen it also serves dockguard's socket proxy (as
"dockguard enforce proxy", read-only by default) under the policy of
--config, follows the engine through that socket unless -H is given, and
counts the proxy's decisions in its own /metrics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9323", "address to serve /metrics, /report and /healthz on")
	o.follow.flags(f)
	f.StringVar(&o.minSeverity, "metrics-min-severity", "high", "lowest severity that gives a container metric series of its own: critical, high, medium, low or info")
	f.DurationVar(&o.resync, "resync", agent.DefaultResync, "full audit at this interval whatever the events say; 0 turns it off")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on standard error: text or json")
	f.StringVar(&o.listenCert, "tls-cert", "", "serve HTTPS on --listen with this certificate (PEM; with --tls-key)")
	f.StringVar(&o.listenKey, "tls-key", "", "the key of --tls-cert (PEM)")
	f.StringVar(&o.listenClientCA, "tls-client-ca", "", "require client certificates signed by this CA (PEM) on --listen")
	f.StringVar(&o.proxyListen, "proxy-listen", "", "also serve dockguard's socket proxy on this unix://PATH, and follow the engine through it unless -H is given")
	f.StringVar(&o.proxyUpstream, "proxy-upstream", "unix:///var/run/docker.sock", "unix://PATH of the daemon the proxy forwards to")
	f.StringVar(&o.proxyAPI, "proxy-api", config.APIReadOnly, "the proxy's API profile: read-only (the routes monitoring tools read) or full (every route, judged by the policy); overrides enforce.api")
	cmd.AddCommand(newAgentHealthCmd(s))
	return cmd
}

func runAgent(ctx context.Context, s Streams, o *agentOptions) error {
	sev, err := rules.ParseSeverity(o.minSeverity)
	if err != nil {
		return fmt.Errorf("--metrics-min-severity: %w", err)
	}
	if err := o.follow.check(); err != nil {
		return err
	}
	if o.resync < 0 {
		return fmt.Errorf("--resync must not be negative")
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
	var serverTLS *tls.Config
	if o.listenCert != "" || o.listenKey != "" || o.listenClientCA != "" {
		if o.listenCert == "" || o.listenKey == "" {
			return fmt.Errorf("--tls-cert and --tls-key go together (and --tls-client-ca needs them)")
		}
		if serverTLS, err = agent.ServerTLS(o.listenCert, o.listenKey, o.listenClientCA); err != nil {
			return fmt.Errorf("listener TLS: %w", err)
		}
	}
	var proxyFlags enforceFlags
	if o.proxyListen != "" {
		if proxyFlags, err = agentProxyFlags(o); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return err
	}
	logger := slog.New(handler)
	ep := o.follow.endpoint()
	if o.proxyListen != "" && o.host == "" {
		// Through its own proxy: the agent's requests are judged like
		// any client's, so with the read-only profile nothing the agent
		// sends can change the engine.
		ep.Host = o.proxyListen
	}
	// In a container, the host files the live audit reads on a local
	// engine are those mounted into it: say which are not.
	var missing []agent.HostFile
	if agent.InContainer() {
		if r, err := engine.Resolve(ep); err == nil && strings.HasPrefix(r.Host, "unix://") {
			missing = agent.MissingHostFiles("/")
		}
	}
	resync := o.resync
	if resync == 0 {
		resync = -1 // the agent's "off"
	}
	a, err := agent.New(agent.Options{
		Endpoint:           ep,
		MissingHostFiles:   missing,
		Config:             cfg.Rules,
		MetricsMinSeverity: sev,
		StormRestarts:      o.storms,
		StormWindow:        o.stormWindow,
		Resync:             resync,
		Debounce:           o.debounce,
		Version:            version(),
		Logger:             logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	if serverTLS != nil {
		ln = tls.NewListener(ln, serverTLS)
		logger.Info("TLS on the listener", "client_certificates", o.listenClientCA != "")
	}
	var px *proxyServer
	if o.proxyListen != "" {
		if px, err = newProxyServer(s, proxyFlags, logger); err != nil {
			ln.Close()
			return fmt.Errorf("--proxy-listen: %w", err)
		}
		defer px.ps.cli.Close()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if px == nil {
		return a.Serve(ctx, ln)
	}
	return serveAgentWithProxy(ctx, a, ln, px)
}

// agentProxyFlags checks the --proxy-… flags and turns them into those of
// `enforce proxy`, whose policy is the agent's --config.
func agentProxyFlags(o *agentOptions) (enforceFlags, error) {
	if _, err := unixPath("proxy-listen", o.proxyListen); err != nil {
		return enforceFlags{}, err
	}
	if _, err := unixPath("proxy-upstream", o.proxyUpstream); err != nil {
		return enforceFlags{}, err
	}
	api, err := config.ParseAPI(o.proxyAPI)
	if err != nil {
		return enforceFlags{}, fmt.Errorf("--proxy-api: %v", err)
	}
	return enforceFlags{
		config: o.configPath, logLevel: "info", proxy: true,
		listen: o.proxyListen, upstream: o.proxyUpstream, socketMode: "0660", api: api,
	}, nil
}

// serveAgentWithProxy runs the agent and the proxy until ctx ends or
// either fails. The proxy's decisions and reloads are counted on the
// agent's /metrics. The agent stops first, so that it does not see its
// engine vanish with the proxy, then the proxy.
func serveAgentWithProxy(ctx context.Context, a *agent.Agent, ln net.Listener, px *proxyServer) error {
	m := enforce.NewMetrics()
	a.Gather(m.Gatherer())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	policyDone := keepPolicy(ctx, px.ps, px.plugin, m)
	proxyErr := make(chan error, 1)
	go func() {
		err := px.serve()
		if err == nil && ctx.Err() == nil {
			err = errors.New("the proxy stopped serving")
		}
		proxyErr <- err
		cancel()
	}()
	err := a.Serve(ctx, ln)
	cancel()
	px.shutdown()
	if perr := <-proxyErr; perr != nil && err == nil && !errors.Is(perr, net.ErrClosed) {
		err = fmt.Errorf("proxy: %w", perr)
	}
	<-policyDone
	return err
}

type agentHealthOptions struct {
	url                    string
	timeout                time.Duration
	tlsCA, tlsCert, tlsKey string
}

// newAgentHealthCmd asks a running agent's /healthz, for the image's
// HEALTHCHECK: the image has no shell and no curl, so the binary probes
// itself. Exit 0 when healthy, 1 when not (Docker's meaning), 2 on a bad
// flag.
func newAgentHealthCmd(s Streams) *cobra.Command {
	o := &agentHealthOptions{}
	cmd := &cobra.Command{
		Use:   "health [--url URL]",
		Short: "Ask a running agent whether its findings are current (exit 0) or not (exit 1)",
		Long: `Ask a running agent's /healthz and exit 0 when it answers 200, 1 otherwise
(unreachable, 503, a TLS failure), printing its answer: the HEALTHCHECK of
dockguard's image, which has no shell or curl to do it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgentHealth(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "http://127.0.0.1:9323/healthz", "the agent's /healthz (https:// when it serves TLS)")
	f.DurationVar(&o.timeout, "timeout", 5*time.Second, "give up after this long")
	f.StringVar(&o.tlsCA, "tls-ca", "", "verify the agent's certificate against this CA (PEM); default: the system's roots")
	f.StringVar(&o.tlsCert, "tls-cert", "", "client certificate to present (PEM), when the agent has --tls-client-ca")
	f.StringVar(&o.tlsKey, "tls-key", "", "the key of --tls-cert (PEM)")
	return cmd
}

func runAgentHealth(ctx context.Context, s Streams, o *agentHealthOptions) error {
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://HOST:PORT/healthz or https://…", o.url)
	}
	if o.timeout <= 0 {
		return fmt.Errorf("--timeout must be positive")
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if u.Scheme == "https" || o.tlsCA != "" || o.tlsCert != "" || o.tlsKey != "" {
		if tr.TLSClientConfig, err = agent.ClientTLS(o.tlsCA, o.tlsCert, o.tlsKey); err != nil {
			return fmt.Errorf("--tls-ca/--tls-cert/--tls-key: %w", err)
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		fmt.Fprintf(s.Err, "unhealthy: %v\n", err)
		return &exitError{code: 1}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(s.Out, "unhealthy (%s): %s", resp.Status, body)
		return &exitError{code: 1}
	}
	_, err = s.Out.Write(body)
	return err
}
