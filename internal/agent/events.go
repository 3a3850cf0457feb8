package agent

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/go-connections/sockets"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/moby/moby/client"
)

// MaxEventMessage is the largest single message of the event stream the
// agent accepts. A real event is a few hundred bytes (a container's labels
// make it a few KiB); the client decodes the stream with a JSON decoder
// that buffers until a message ends, so without a cap an engine that never
// ends one would make the agent buffer without bound.
const MaxEventMessage = 1 << 20

// errEventTooLarge ends a session whose event stream sent a message larger
// than MaxEventMessage: the stream is dropped and the agent resyncs.
var errEventTooLarge = fmt.Errorf("an event message exceeds %d KiB", MaxEventMessage>>10)

// eventsClient is the API client of one session: ping and the event
// stream. The audits use the engine package's own client, which caps each
// response as a whole; a stream never ends, so here the cap is on each
// message instead, and that needs the response body, which only a client
// built on a transport of the agent's own can reach.
func eventsClient(ep engine.Endpoint) (*client.Client, error) {
	tr := &http.Transport{MaxIdleConns: 2, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	host, scheme := ep.Host, "http"
	if strings.HasPrefix(host, "ssh://") {
		helper, err := connhelper.GetConnectionHelper(host)
		if err != nil {
			return nil, err
		}
		if helper == nil {
			return nil, fmt.Errorf("no connection helper for %s", host)
		}
		tr.DialContext = helper.Dialer
		host = helper.Host
	} else {
		u, err := client.ParseHostURL(host)
		if err != nil {
			return nil, err
		}
		if err := sockets.ConfigureTransport(tr, u.Scheme, u.Host); err != nil {
			return nil, err
		}
		t := ep.TLS
		if t.Verify || t.CACert != "" || t.Cert != "" || t.Key != "" {
			cfg, err := tlsconfig.Client(tlsconfig.Options{
				CAFile: t.CACert, CertFile: t.Cert, KeyFile: t.Key,
				InsecureSkipVerify: !t.Verify, ExclusiveRootPools: true, MinVersion: tls.VersionTLS12,
			})
			if err != nil {
				return nil, fmt.Errorf("TLS: %w", err)
			}
			tr.TLSClientConfig = cfg
			scheme = "https"
		}
	}
	hc := &http.Client{Transport: eventCap{base: tr, max: MaxEventMessage}, CheckRedirect: client.CheckRedirect}
	return client.New(client.WithHost(host), client.WithHTTPClient(hc), client.WithScheme(scheme), client.WithUserAgent("dockguard"))
}

// eventCap caps each message of an /events answer. Every encoding the
// engine uses for the stream (JSON lines, NDJSON, JSON sequences, and the
// plain concatenated JSON of older engines, which write one object and a
// newline) ends a message with a newline, so the cap counts the bytes
// since the last one.
type eventCap struct {
	base http.RoundTripper
	max  int
}

func (t eventCap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil || !strings.HasSuffix(req.URL.Path, "/events") {
		return resp, err
	}
	resp.Body = &lineCapped{rc: resp.Body, max: t.max}
	return resp, nil
}

// lineCapped fails a read that would take a line past max bytes; the
// decoder then holds at most max bytes and one read's worth more.
type lineCapped struct {
	rc   io.ReadCloser
	max  int
	line int
	err  error
}

func (b *lineCapped) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			b.line = 0
			continue
		}
		b.line++
		if b.line > b.max {
			b.err = errEventTooLarge
			return i, b.err
		}
	}
	return n, err
}

func (b *lineCapped) Close() error { return b.rc.Close() }
