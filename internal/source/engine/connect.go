package engine

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/go-connections/sockets"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/moby/moby/client"
)

// DefaultHost is the engine address when nothing else names one.
const DefaultHost = "unix:///var/run/docker.sock"

// Endpoint is one engine to audit, as the user names it.
type Endpoint struct {
	// Host is the engine's address (unix://, tcp://, ssh://, npipe://);
	// empty means the default engine (see Resolve).
	Host string
	TLS  TLS
}

// TLS are the Docker CLI's TLS settings (--tlsverify, --tlscacert,
// --tlscert, --tlskey).
type TLS struct {
	// Verify checks the daemon's certificate against CACert.
	Verify bool
	// CACert, Cert and Key are PEM files; any of them turns TLS on.
	CACert, Cert, Key string
}

func (t TLS) on() bool { return t.Verify || t.CACert != "" || t.Cert != "" || t.Key != "" }

// Resolve names the engine an Endpoint without a host means, the way the
// Docker CLI picks it: DOCKER_HOST (with DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH), else the current context (DOCKER_CONTEXT, else
// currentContext in the CLI's config.json), else the local socket.
func Resolve(ep Endpoint) (Endpoint, error) {
	if ep.Host != "" {
		return ep, nil
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		ep.Host = h
		if !ep.TLS.on() {
			ep.TLS = tlsFromEnv()
		}
		return ep, nil
	}
	dir := configDir()
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
			if err := json.Unmarshal(b, &cfg); err != nil {
				return ep, fmt.Errorf("docker CLI config %s: %w", filepath.Join(dir, "config.json"), err)
			}
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		ep.Host = DefaultHost
		return ep, nil
	}
	return fromContext(dir, name, ep)
}

// configDir is the Docker CLI's configuration folder.
func configDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".docker"
	}
	return filepath.Join(home, ".docker")
}

// fromContext reads a Docker CLI context: its metadata lives in
// contexts/meta/<sha256 of the name>/meta.json and its TLS material in
// contexts/tls/<same>/docker/.
func fromContext(dir, name string, ep Endpoint) (Endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaPath := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return ep, fmt.Errorf("docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return ep, fmt.Errorf("docker context %q (%s): %w", name, metaPath, err)
	}
	d, ok := meta.Endpoints["docker"]
	if !ok || d.Host == "" {
		return ep, fmt.Errorf("docker context %q has no docker endpoint", name)
	}
	ep.Host = d.Host
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	for file, dst := range map[string]*string{"ca.pem": &ep.TLS.CACert, "cert.pem": &ep.TLS.Cert, "key.pem": &ep.TLS.Key} {
		if p := filepath.Join(tlsDir, file); exists(p) {
			*dst = p
		}
	}
	ep.TLS.Verify = ep.TLS.on() && !d.SkipTLSVerify
	return ep, nil
}

// tlsFromEnv reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the CLI does.
func tlsFromEnv() TLS {
	var t TLS
	certPath := os.Getenv("DOCKER_CERT_PATH")
	verify := os.Getenv("DOCKER_TLS_VERIFY") != ""
	if certPath == "" && !verify {
		return t
	}
	if certPath == "" {
		certPath = configDir()
	}
	t.Verify = verify
	t.CACert = filepath.Join(certPath, "ca.pem")
	t.Cert = filepath.Join(certPath, "cert.pem")
	t.Key = filepath.Join(certPath, "key.pem")
	return t
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// errTooLarge is returned when a response exceeds the cap.
var errTooLarge = errors.New("response exceeds the size cap")

// cappedTransport stops reading a response past a size cap, so a hostile
// or broken engine cannot make dockguard hold gigabytes.
type cappedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil || t.max <= 0 {
		return resp, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.max, max: t.max}
	return resp, nil
}

type cappedBody struct {
	rc        io.ReadCloser
	left, max int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if b.max < 1<<20 {
			return 0, fmt.Errorf("%w (%d KiB)", errTooLarge, b.max>>10)
		}
		return 0, fmt.Errorf("%w (%d MiB)", errTooLarge, b.max>>20)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// connect builds an API client for an endpoint: its own transport, so
// every request shares a pool sized for the audit's concurrency and every
// response is capped.
func connect(ep Endpoint, opts Options) (*client.Client, *http.Transport, error) {
	return NewClient(ep, opts.Concurrency+2, func(base http.RoundTripper) http.RoundTripper {
		return &cappedTransport{base: base, max: opts.MaxResponse}
	})
}

// NewClient builds an API client for an endpoint (unix, tcp with its TLS
// settings, or ssh through the docker CLI's connection helper) on a
// transport of its own with pool idle connections; wrap, when not nil,
// wraps that transport, which is how a caller reaches response bodies
// (to cap them).
func NewClient(ep Endpoint, pool int, wrap func(http.RoundTripper) http.RoundTripper) (*client.Client, *http.Transport, error) {
	host := ep.Host
	tr := &http.Transport{
		MaxIdleConns:        pool,
		MaxIdleConnsPerHost: pool,
		IdleConnTimeout:     30 * time.Second,
	}
	scheme := "http"
	switch {
	case strings.HasPrefix(host, "ssh://"):
		helper, err := connhelper.GetConnectionHelper(host)
		if err != nil {
			return nil, nil, err
		}
		if helper == nil {
			return nil, nil, fmt.Errorf("no connection helper for %s", host)
		}
		tr.DialContext = helper.Dialer
		host = helper.Host
	default:
		u, err := client.ParseHostURL(host)
		if err != nil {
			return nil, nil, err
		}
		if err := sockets.ConfigureTransport(tr, u.Scheme, u.Host); err != nil {
			return nil, nil, err
		}
		if ep.TLS.on() {
			cfg, err := tlsconfig.Client(tlsconfig.Options{
				CAFile: ep.TLS.CACert, CertFile: ep.TLS.Cert, KeyFile: ep.TLS.Key,
				InsecureSkipVerify: !ep.TLS.Verify,
				ExclusiveRootPools: true,
				MinVersion:         tls.VersionTLS12,
			})
			if err != nil {
				return nil, nil, fmt.Errorf("TLS: %w", err)
			}
			tr.TLSClientConfig = cfg
			scheme = "https"
		}
	}
	var rt http.RoundTripper = tr
	if wrap != nil {
		rt = wrap(tr)
	}
	hc := &http.Client{Transport: rt, CheckRedirect: client.CheckRedirect}
	c, err := client.New(client.WithHost(host), client.WithHTTPClient(hc), client.WithScheme(scheme), client.WithUserAgent("dockguard"))
	if err != nil {
		return nil, nil, err
	}
	return c, tr, nil
}
