package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/enforce"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// PluginDir is where dockerd looks for plugin sockets.
const PluginDir = "/run/docker/plugins"

func newEnforceCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enforce",
		Short: "Refuse insecure containers at docker run time (authorization plugin)",
		Long:  "dockguard enforce serves a Docker authorization plugin that judges every API request with the same rules as the audit.",
	}
	cmd.AddCommand(newEnforcePluginCmd(s), newEnforceCheckCmd(s), newEnforceProxyCmd(s), newSeccompHashCmd(s))
	return cmd
}

type enforceFlags struct {
	config, mode, name, socket, host, logLevel string
	listen, upstream, socketMode, metrics      string
	tlsCert, tlsKey, tlsCA                     string
	// api and redactEnv override enforce.api and enforce.redactEnv (the
	// proxy's flags); proxy is false for the plugin, which ignores both.
	api       string
	redactEnv bool
	proxy     bool
}

func pluginSocket(name, socket string) string {
	if socket != "" {
		return socket
	}
	return filepath.Join(PluginDir, name+".sock")
}

func newEnforcePluginCmd(s Streams) *cobra.Command {
	var f enforceFlags
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Serve the authorization plugin (dockerd --authorization-plugin=NAME)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlugin(cmd.Context(), s, f)
		},
	}
	fl := cmd.Flags()
	addPolicyFlags(fl, &f)
	fl.StringVar(&f.name, "name", "dockguard", "plugin name, as given to dockerd --authorization-plugin")
	fl.StringVar(&f.socket, "socket", "", "socket to serve (default /run/docker/plugins/NAME.sock)")
	fl.StringVarP(&f.host, "host", "H", "", "daemon to ask for image users (default $DOCKER_HOST or unix:///var/run/docker.sock)")
	return cmd
}

// policySetup is what the plugin and the proxy share: the decision log,
// the loader of the configuration and the daemon asked for image users.
type policySetup struct {
	log  *slog.Logger
	path string
	host string
	load func() (*enforce.Decider, error)
	// fallback is the policy when the file does not load at start: the
	// baseline profile with the default settings (and the flags).
	fallback func() *enforce.Decider
	cli      *client.Client
	// images asks the daemon, and shows its host.
	images *enforce.EngineImages
	// stamp is the file's before the policy started with was loaded.
	stamp enforce.Stamp
}

// start loads the policy a plugin or proxy starts with. A file that does
// not load is logged and the fallback enforced until it does (the
// reloader keeps looking at it): a plugin that does not start makes
// dockerd refuse every request, and a proxy that does not start leaves
// its clients without Docker, so refusing to start protects nothing.
func (ps *policySetup) start() (*enforce.Decider, error) {
	ps.stamp = enforce.StampOf(ps.path)
	d, err := ps.load()
	if err != nil {
		d = ps.fallback()
		ps.log.Error("configuration does not load: enforcing the default policy until it does", "path", ps.path, "profile", d.Profile().String(), "mode", d.Mode(), "error", err.Error())
	}
	return d, err
}

func setupPolicy(s Streams, f enforceFlags, self string) (*policySetup, error) {
	switch f.mode {
	case "", "enforce", "warn", "audit":
	default:
		return nil, fmt.Errorf("--mode %q: want enforce, warn or audit", f.mode)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %v", err)
	}
	if f.api != "" {
		v, err := config.ParseAPI(f.api)
		if err != nil {
			return nil, fmt.Errorf("--api: %v", err)
		}
		f.api = v
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(enforce.GCPercent)
	}
	ps := &policySetup{log: slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: level})), path: f.config, host: f.host}
	if ps.path == "" {
		ps.path = config.Find(".")
	}
	if ps.host == "" {
		ps.host = os.Getenv("DOCKER_HOST")
	}
	if ps.host == "" {
		ps.host = "unix:///var/run/docker.sock"
	}
	cli, err := client.New(client.WithHost(ps.host), client.WithUserAgent("dockguard-enforce"))
	if err != nil {
		return nil, fmt.Errorf("engine %s: %w", ps.host, err)
	}
	ps.cli = cli
	images := &enforce.EngineImages{Client: cli}
	if p, ok := strings.CutPrefix(ps.host, "unix://"); ok {
		// Its peer is the daemon: bind sources are resolved in its mount
		// namespace, and its sockets known by inode.
		images.Socket = p
	}
	if p, ok := strings.CutPrefix(f.listen, "unix://"); ok && f.proxy {
		// Mounted into a container, the proxy's own socket is the API
		// through the proxy (proxy-socket-mount), not the daemon's.
		images.ProxySockets = []string{p}
	}
	ps.images = images
	decider := ps.settings(f, self, images)
	ps.load = func() (*enforce.Decider, error) {
		c := config.Default()
		if ps.path != "" {
			var err error
			if c, err = config.Load(ps.path); err != nil {
				return nil, err
			}
		}
		return decider(c), nil
	}
	ps.fallback = func() *enforce.Decider { return decider(config.Default()) }
	return ps, nil
}

// settings turns a loaded configuration and the flags into a decider.
func (ps *policySetup) settings(f enforceFlags, self string, images enforce.Images) func(*config.Config) *enforce.Decider {
	return func(c *config.Config) *enforce.Decider {
		for _, w := range c.Enforce.Warnings {
			ps.log.Warn("configuration", "file", ps.path, "warning", w)
		}
		if f.proxy {
			if f.api != "" {
				c.Enforce.API = f.api
			}
			c.Enforce.RedactEnv = c.Enforce.RedactEnv || f.redactEnv
		} else if c.Enforce.API == config.APIReadOnly || c.Enforce.RedactEnv {
			// A read-only plugin would make the whole daemon read-only,
			// and a plugin cannot rewrite answers: both are the proxy's.
			ps.log.Warn("configuration", "file", ps.path, "warning", "enforce.api and enforce.redactEnv apply to the proxy only; the plugin ignores them")
			c.Enforce.API, c.Enforce.RedactEnv = "", false
		}
		return enforce.New(enforce.Settings{Config: c.Enforce, Rules: c.Rules, Self: self, ModeOverride: f.mode}, images)
	}
}

// serveUntilDone serves with reloads until SIGINT or SIGTERM.
func serveUntilDone(ctx context.Context, ps *policySetup, p *enforce.Plugin, metricsAddr string, serve func() error, shutdown func()) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var m *enforce.Metrics
	if metricsAddr != "" {
		m = enforce.NewMetrics()
		network, addr := "tcp", metricsAddr
		if path, ok := strings.CutPrefix(metricsAddr, "unix://"); ok {
			network, addr = "unix", path
		}
		ml, err := net.Listen(network, addr)
		if err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		msrv := &http.Server{Handler: m.Handler(p), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(ml) }()
		defer msrv.Close()
		ps.log.Info("metrics serving", "listen", ml.Addr().String())
	}
	policyDone := keepPolicy(ctx, ps, p, m)
	defer func() { stop(); <-policyDone }()
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case <-ctx.Done():
		shutdown()
		return nil
	case err := <-errc:
		return err
	}
}

// keepPolicy reloads p's policy on SIGHUP and when its file changes,
// checks the daemon's version, and records decisions and reloads in m
// (nil: nowhere), until ctx ends; the channel is closed when all of it has
// stopped.
func keepPolicy(ctx context.Context, ps *policySetup, p *enforce.Plugin, m *enforce.Metrics) <-chan struct{} {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	r := &enforce.Reloader{Path: ps.path, Load: ps.load, Set: p.Set, Log: ps.log, Hup: hup,
		Status: func(err error) { p.SetSource(ps.path, err) }, From: &ps.stamp}
	if m != nil {
		p.Observe = func(dec *enforce.Decision) { m.Observe(p.Decider(), dec) }
		r.Observe = m.Reloaded
	}
	checked := checkDaemonVersion(ctx, ps, m)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
		signal.Stop(hup)
		<-checked
	}()
	return done
}

// checkDaemonVersion logs the daemon's version and warns (log and metric)
// when it is in the range of a known authorization bypass, in the
// background: the plugin starts before dockerd, so a daemon that does not
// answer is asked again for a while, and serving never waits for it. The
// channel is closed when the check is over (it ends with ctx).
func checkDaemonVersion(ctx context.Context, ps *policySetup, m *enforce.Metrics) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := enforce.CheckDaemon(ctx, ps.cli, ps.log, m); err == nil && ps.images != nil {
			// Where bind sources are resolved, said once the daemon answers.
			v := ps.images.DaemonView(ctx)
			if v.Note != "" {
				ps.log.Warn("daemon host", "pid", v.Pid, "root", v.Root, "dataRoot", v.DataRoot, "execRoot", v.ExecRoot, "engineSockets", len(v.Engine), "note", v.Note)
			} else {
				ps.log.Info("daemon host", "pid", v.Pid, "root", v.Root, "dataRoot", v.DataRoot, "execRoot", v.ExecRoot, "engineSockets", len(v.Engine))
			}
		}
	}()
	return done
}

func runPlugin(ctx context.Context, s Streams, f enforceFlags) error {
	ps, err := setupPolicy(s, f, f.name)
	if err != nil {
		return err
	}
	defer ps.cli.Close()
	d, cerr := ps.start()
	p := enforce.NewPlugin(d, ps.log)
	p.SetSource(ps.path, cerr)
	sock := pluginSocket(f.name, f.socket)
	l, err := listenUnix(sock, 0o660)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	ps.log.Info("serving", "socket", sock, "name", f.name, "profile", d.Profile().String(), "mode", d.Mode(), "config", ps.path, "engine", ps.host)
	return serveUntilDone(ctx, ps, p, f.metrics, func() error { return srv.Serve(l) }, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = os.Remove(sock)
	})
}

func newEnforceProxyCmd(s Streams) *cobra.Command {
	var f enforceFlags
	cmd := &cobra.Command{
		Use:   "proxy --listen unix:///run/dockguard.sock --upstream unix:///var/run/docker.sock",
		Short: "Serve an Engine API socket that forwards only what the policy allows",
		Long:  "The proxy frames HTTP/1.1 as dockerd does (Go's net/http server and reverse proxy: interim responses, Connection: close, pipelining, protocol switches), decides each request as the plugin does on the request as it will be forwarded, reads a judged body whole (chunked or not) and forwards exactly those bytes, and streams the answer; attach and exec streams pass once the daemon switches the connection. HTTP/1.0, HTTP/2, h2c upgrades and gRPC are refused.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProxy(cmd.Context(), s, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "", "unix://PATH, or tcp://HOST:PORT with --tls-cert, --tls-key and --tls-ca (required)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "server certificate for a tcp:// listener")
	fl.StringVar(&f.tlsKey, "tls-key", "", "server key for a tcp:// listener")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "CA that client certificates must chain to (required on tcp://); the certificate's CN is the identity enforce.exempt.users names")
	fl.StringVar(&f.upstream, "upstream", "unix:///var/run/docker.sock", "unix://PATH of the daemon")
	fl.StringVar(&f.socketMode, "socket-mode", "0660", "permissions of the served socket")
	fl.StringVar(&f.api, "api", "", "full, or read-only: only the routes monitoring tools read (list, inspect, events, version, info, ping), whatever the mode; overrides enforce.api (default the file's, else full)")
	fl.BoolVar(&f.redactEnv, "redact-env", false, "replace environment values in container, image, service and task answers, keeping the names (or enforce.redactEnv)")
	f.proxy = true
	addPolicyFlags(fl, &f)
	return cmd
}

// addPolicyFlags adds the flags the plugin and the proxy share: where the
// policy comes from, how it decides, and what it logs and exports.
func addPolicyFlags(fl *pflag.FlagSet, f *enforceFlags) {
	fl.StringVar(&f.config, "config", "", "configuration file (default: .dockguard.yaml found from the current folder)")
	fl.StringVar(&f.mode, "mode", "", "enforce (deny), warn (allow and log) or audit (log); overrides the file")
	fl.StringVar(&f.logLevel, "log-level", "info", "decision log level: debug logs every allowed request")
	fl.StringVar(&f.metrics, "metrics-listen", "", "serve Prometheus /metrics and /healthz on HOST:PORT or unix://PATH")
}

func unixPath(flag, v string) (string, error) {
	p, ok := strings.CutPrefix(v, "unix://")
	if !ok || !filepath.IsAbs(p) {
		return "", fmt.Errorf("--%s %q: want unix:///absolute/path", flag, v)
	}
	return p, nil
}

func runProxy(ctx context.Context, s Streams, f enforceFlags) error {
	x, err := newProxyServer(s, f, nil)
	if err != nil {
		return err
	}
	defer x.ps.cli.Close()
	return serveUntilDone(ctx, x.ps, x.plugin, f.metrics, x.serve, x.shutdown)
}

// proxyServer is the socket proxy of `enforce proxy`, ready to serve; the
// agent runs the same one in its own process (--proxy-listen).
type proxyServer struct {
	ps     *policySetup
	plugin *enforce.Plugin
	px     *enforce.Proxy
	l      net.Listener
	socket string // the unix socket to remove at the end ("" on tcp://)
}

// newProxyServer loads the policy and listens as f says. log, when not
// nil, replaces the JSON log the flags would make.
func newProxyServer(s Streams, f enforceFlags, log *slog.Logger) (*proxyServer, error) {
	upstream, err := unixPath("upstream", f.upstream)
	if err != nil {
		return nil, err
	}
	mode, err := strconv.ParseUint(f.socketMode, 8, 32)
	if err != nil || mode > 0o777 {
		return nil, fmt.Errorf("--socket-mode %q: want an octal mode such as 0660", f.socketMode)
	}
	var l net.Listener
	var listen string // the unix socket to remove at the end
	if addr, ok := strings.CutPrefix(f.listen, "tcp://"); ok {
		if f.tlsCert == "" || f.tlsKey == "" || f.tlsCA == "" {
			return nil, errors.New("--listen tcp:// needs --tls-cert, --tls-key and --tls-ca: the API is never served in the clear or to unauthenticated clients")
		}
		cfg, err := serverTLS(f.tlsCert, f.tlsKey, f.tlsCA)
		if err != nil {
			return nil, err
		}
		tl, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		l = tls.NewListener(tl, cfg)
		listen = ""
	} else {
		if listen, err = unixPath("listen", f.listen); err != nil {
			return nil, err
		}
	}
	f.host = f.upstream // image users are asked of the daemon itself
	ps, err := setupPolicy(s, f, "")
	if err != nil {
		if l != nil {
			l.Close()
		}
		return nil, err
	}
	if log != nil {
		ps.log = log
	}
	d, cerr := ps.start()
	if l == nil {
		if l, err = listenUnix(listen, os.FileMode(mode)); err != nil {
			ps.cli.Close()
			return nil, err
		}
	}
	p := enforce.NewPlugin(d, ps.log)
	p.SetSource(ps.path, cerr)
	px := &enforce.Proxy{Plugin: p, Log: ps.log, Dial: func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", upstream)
	}}
	ps.log.Info("proxy serving", "listen", l.Addr().String(), "upstream", upstream, "profile", d.Profile().String(), "mode", d.Mode(), "api", d.API(), "redactEnv", d.RedactsEnv(), "config", ps.path)
	return &proxyServer{ps: ps, plugin: p, px: px, l: l, socket: listen}, nil
}

func (x *proxyServer) serve() error { return x.px.Serve(x.l) }

// shutdown closes the listener and every connection in flight, and
// removes the unix socket.
func (x *proxyServer) shutdown() {
	x.l.Close()
	x.px.Close()
	if x.socket != "" {
		_ = os.Remove(x.socket)
	}
}

// serverTLS requires and verifies client certificates against ca.
func serverTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca %s: no PEM certificate", caFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}, nil
}

// listenUnix listens on a unix socket, replacing a stale one (nothing
// answers on it) but never one that is being served.
func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s is already served by another process", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func newEnforceCheckCmd(s Streams) *cobra.Command {
	var name, socket string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Ask the running plugin to activate and decide a sample request; exit 0 only if it answers",
		Long:  "Run it before naming the plugin in daemon.json and sending dockerd SIGHUP: dockerd exits when a reload names a plugin that does not answer.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sock := pluginSocket(name, socket)
			if err := checkPlugin(cmd.Context(), sock, timeout, s); err != nil {
				fmt.Fprintf(s.Err, "dockguard: plugin at %s: %v\n", sock, err)
				return &exitError{ExitError}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "dockguard", "plugin name")
	cmd.Flags().StringVar(&socket, "socket", "", "plugin socket (default /run/docker/plugins/NAME.sock)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for each answer")
	return cmd
}

func checkPlugin(ctx context.Context, sock string, timeout time.Duration, s Streams) error {
	hc := &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	post := func(path string, body, out any) error {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://plugin"+path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", enforce.ContentType)
		req.Header.Set("Accept", enforce.ContentType)
		req.Header.Set(enforce.ProbeHeader, "enforce-check")
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", path, res.Status)
		}
		return json.NewDecoder(res.Body).Decode(out)
	}
	var act struct{ Implements []string }
	if err := post("/Plugin.Activate", nil, &act); err != nil {
		return err
	}
	authz := false
	for _, i := range act.Implements {
		authz = authz || i == "authz"
	}
	if !authz {
		return fmt.Errorf("it does not implement authz (%v)", act.Implements)
	}
	// The probe is marked so that the plugin keeps it out of its decision
	// log and metrics (enforce.ProbeHeader).
	probes := enforce.ProbeRequests()
	var ping, create enforce.Response
	if err := post("/AuthZPlugin.AuthZReq", &probes[0], &ping); err != nil {
		return err
	}
	if err := post("/AuthZPlugin.AuthZReq", &probes[1], &create); err != nil {
		return err
	}
	if !ping.Allow {
		return errors.New("it denies GET /_ping: dockerd and the CLI would fail")
	}
	verdict := "denied"
	if create.Allow {
		verdict = "allowed (warn or audit mode, or the sample is exempt)"
	}
	fmt.Fprintf(s.Out, "plugin at %s answers: GET /_ping allowed; sample privileged create %s\n", sock, verdict)
	// A plugin older than this check does not say its policy (404).
	var st enforce.PolicyState
	if err := post("/DockGuard.Policy", nil, &st); err != nil {
		return nil
	}
	config := st.Config
	if config == "" {
		config = "none (defaults)"
	}
	fmt.Fprintf(s.Out, "policy: profile %s, mode %s, configuration %s\n", st.Profile, st.Mode, config)
	if st.ConfigError != "" {
		return fmt.Errorf("its configuration does not load, so it enforces %s (mode %s) until the file is fixed: %s", st.Profile, st.Mode, st.ConfigError)
	}
	return nil
}
