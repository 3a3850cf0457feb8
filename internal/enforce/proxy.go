package enforce

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxHead caps a request's line and headers.
const maxHead = 64 << 10

// upstreamHost names the daemon in the URLs the proxy sends; the
// connection is always p.Dial's, and the Host header stays the client's.
const upstreamHost = "docker.sock"

// Proxy is an Engine API socket proxy. HTTP is framed by net/http as
// dockerd frames it: an http.Server reads the requests (keep-alive,
// pipelining, chunked bodies, Expect: 100-continue, Connection: close) and
// an httputil.ReverseProxy forwards them (interim responses, hop-by-hop
// headers, protocol switches for attach and exec). Each request is decided
// by the same Decider as the plugin on the request exactly as it is handed
// to the daemon's transport; a judged body is read whole and those bytes
// are what is forwarded. HTTP/2 (h2c, gRPC) is refused, but for the
// BuildKit session and control connections the daemon takes over.
type Proxy struct {
	// Plugin holds the current decider (reloaded like the plugin's) and
	// logs decisions.
	Plugin *Plugin
	// Dial connects to the daemon.
	Dial func(ctx context.Context) (net.Conn, error)
	// Log receives connection errors (at debug level).
	Log *slog.Logger
	// BodyTimeout bounds the reading of a judged body; 0 is
	// BodyReadTimeout.
	BodyTimeout time.Duration

	once   sync.Once
	srv    *http.Server
	rp     *httputil.ReverseProxy
	ctx    context.Context // every request's; canceled by Close
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	hijacked map[*hijackedConn]struct{} // switched connections, which http.Server does not track
	bodies   chan struct{}              // slots for judged bodies being read
	rewrites chan struct{}              // slots for answers held for redaction
}

func (p *Proxy) init() {
	p.once.Do(func() {
		p.ctx, p.cancel = context.WithCancel(context.Background())
		p.bodies = make(chan struct{}, MaxBodiesInFlight)
		p.rewrites = make(chan struct{}, MaxRewritesInFlight)
		tr := &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return p.Dial(ctx) },
			// Never a proxy from the environment, never gzip added to a
			// request after it was judged, never HTTP/2.
			Proxy:               nil,
			DisableCompression:  true,
			MaxIdleConns:        100,
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     90 * time.Second,
			// A streamed body sent with Expect: 100-continue waits for the
			// daemon's 100 (forwarded to the client) or its final answer.
			ExpectContinueTimeout: time.Second,
		}
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetHTTP1(true)
		errLog := log.New(io.Discard, "", 0)
		if p.Log != nil {
			errLog = slog.NewLogLogger(p.Log.Handler(), slog.LevelDebug)
		}
		p.rp = &httputil.ReverseProxy{
			Rewrite:        p.rewrite,
			Transport:      &gate{p: p, next: tr},
			FlushInterval:  -1, // streams (logs -f, events, stats) as they come
			ErrorHandler:   p.upstreamError,
			ModifyResponse: p.modifyResponse,
			ErrorLog:       errLog,
		}
		protos := new(http.Protocols)
		protos.SetHTTP1(true)
		p.srv = &http.Server{
			Handler:           p,
			Protocols:         protos,
			TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
			MaxHeaderBytes:    maxHead,
			ReadHeaderTimeout: 10 * time.Second, // also bounds the TLS handshake
			// Idle keep-alive connections cost memory each; streams are
			// not idle (hijacked or mid-response).
			IdleTimeout:                  2 * time.Minute,
			DisableGeneralOptionsHandler: true, // OPTIONS * is judged (denied) like any request
			BaseContext:                  func(net.Listener) context.Context { return p.ctx },
			ErrorLog:                     errLog,
			// No ReadTimeout or WriteTimeout: logs, events and attach
			// streams are long-lived, as with dockerd.
		}
	})
}

// Serve accepts connections until l or the proxy is closed.
func (p *Proxy) Serve(l net.Listener) error {
	p.init()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil
	}
	err := p.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close ends every connection in flight, switched ones (attach, exec)
// included.
func (p *Proxy) Close() {
	p.init()
	p.mu.Lock()
	p.closed = true
	conns := make([]*hijackedConn, 0, len(p.hijacked))
	for c := range p.hijacked {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	_ = p.srv.Close()
	p.cancel()
	for _, c := range conns {
		_ = c.Close()
	}
}

func (p *Proxy) logf(format string, args ...any) {
	if p.Log != nil {
		p.Log.Debug(fmt.Sprintf(format, args...))
	}
}

// exchange is what the proxy knows of one request between its handler,
// Rewrite and the gate.
type exchange struct {
	d     *Decider
	ctx   context.Context // the client request's, for the decision
	url   *url.URL        // the URL forwarded, and judged
	user  string
	authn string
	body  []byte // the judged body, when read
	read  bool   // the body was read whole: it is judged and forwarded as is
	// unread: a streamed body is still on the connection; an answer
	// that does not forward it closes the connection.
	unread bool
	// redact: where the answer holds environment values to replace
	// (enforce.redactEnv), nil for none.
	redact *envRedaction
	// warn is the denial warn mode let through, added to the answer's
	// Warnings ("" for none).
	warn string
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

// ServeHTTP refuses what the proxy does not speak, reads a judged body,
// and hands the request to the reverse proxy, whose transport decides it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.init()
	if r.ProtoMajor != 1 || r.ProtoMinor != 1 {
		refuse(w, http.StatusHTTPVersionNotSupported, "dockguard: only HTTP/1.1 is served (HTTP/2 and HTTP/1.0 are refused)", true)
		return
	}
	if up := strings.ToLower(strings.Join(r.Header.Values("Upgrade"), ",")); (strings.Contains(up, "h2c") || strings.Contains(up, "h2") && !strings.Contains(up, "tcp")) && !buildKitSwitch(r, up) {
		refuse(w, http.StatusHTTPVersionNotSupported, "dockguard: HTTP/2 upgrades (h2c) are refused", true)
		return
	}
	for _, ct := range r.Header.Values("Content-Type") {
		if mt, _, _ := mime.ParseMediaType(ct); strings.HasPrefix(mt, "application/grpc") || strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/grpc") {
			refuse(w, http.StatusForbidden, "dockguard: gRPC requests are refused", true)
			return
		}
	}
	if r.URL.Path == "" {
		// CONNECT host:port: the transport would send the authority,
		// not a path.
		refuse(w, http.StatusBadRequest, "dockguard: the request has no path", true)
		return
	}
	ex := &exchange{
		d:   p.Plugin.Decider(),
		ctx: r.Context(),
		// The client's decoded path, escaped again as Go sends it, and
		// the query as sent.
		url: &url.URL{Scheme: "http", Host: upstreamHost, Path: r.URL.Path, RawQuery: r.URL.RawQuery},
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		// As dockerd gives it to plugins under --tlsverify.
		ex.user, ex.authn = r.TLS.PeerCertificates[0].Subject.CommonName, "TLS"
	}
	t, terr := parseTarget(r.Method, ex.url.RequestURI())
	if terr == nil && (ex.d.cfg.RedactEnv || ex.d.readOnly) {
		if ex.redact = answerRewrite(r.Method, t, ex.d.cfg.RedactEnv, ex.d.readOnly); ex.redact != nil {
			// The rewritten answer is held in memory until the client
			// reads it: one that never does is cut.
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(RewriteWriteTimeout))
		}
	}
	if terr == nil && ReadsBody(t) {
		// net/http has undone the framing (length or chunks); the bytes
		// read are the bytes judged and the bytes forwarded.
		if r.ContentLength > ex.d.maxBody {
			p.tooLarge(w, r, ex.d, t, fmt.Sprintf("a body of %d bytes is over the %d-byte cap", r.ContentLength, ex.d.maxBody))
			return
		}
		body, err := p.readBody(w, r, ex.d.maxBody)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				p.tooLarge(w, r, ex.d, t, fmt.Sprintf("a body of more than %d bytes is over the %d-byte cap", ex.d.maxBody, ex.d.maxBody))
				return
			}
			p.logf("proxy: reading a request body: %v", err)
			refuse(w, http.StatusBadRequest, "dockguard: the request body could not be read: "+err.Error(), true)
			return
		}
		ex.body, ex.read = body, true
	} else {
		// Build contexts, archives, image loads: streamed unread, as the
		// daemon judges only what it reads.
		ex.unread = r.ContentLength != 0
	}
	p.rp.ServeHTTP(&proxyWriter{ResponseWriter: w, p: p}, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
}

// buildKitSwitch reports whether a request asking for h2c is a BuildKit
// session or control connection (POST /session or /grpc, the way the
// docker CLI and buildx dial them): the daemon takes the connection over
// and speaks gRPC on it, which the proxy passes through as it passes an
// attach stream, once the Decider allowed the request (enforce.allowBuilds).
// Any other h2c upgrade is refused: net/http does not speak HTTP/2 here.
func buildKitSwitch(r *http.Request, up string) bool {
	if up != "h2c" || r.Method != http.MethodPost {
		return false
	}
	t, err := parseTarget(r.Method, r.URL.RequestURI())
	return err == nil && t.route != nil && t.route.kind == kindBuildKit
}

// BodyReadTimeout bounds how long a judged body may take to arrive
// (Proxy.BodyTimeout overrides it), and MaxBodiesInFlight how many are
// read at once: a client that sends 4 MiB and stalls, on many
// connections, would otherwise hold that memory for as long as it likes.
const (
	BodyReadTimeout   = 30 * time.Second
	MaxBodiesInFlight = 64
	// MaxRewritesInFlight answers are held at once for redaction, each
	// for at most RewriteWriteTimeout while the client reads it.
	MaxRewritesInFlight = 8
	RewriteWriteTimeout = 60 * time.Second
)

// readBody reads a judged body under the read deadline, holding one of
// MaxBodiesInFlight slots meanwhile.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	wait := time.NewTimer(BodyReadTimeout)
	defer wait.Stop()
	select {
	case p.bodies <- struct{}{}:
		defer func() { <-p.bodies }()
	case <-wait.C:
		// Slow clients hold every slot: refused, not queued without end.
		return nil, errors.New("the proxy is busy reading other request bodies; try again")
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	rc := http.NewResponseController(w)
	timeout := p.BodyTimeout
	if timeout <= 0 {
		timeout = BodyReadTimeout
	}
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	// The deadline would end a stream this request switches to (exec
	// start, attach): lift it once the body is in.
	defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

func (p *Proxy) tooLarge(w http.ResponseWriter, r *http.Request, d *Decider, t *target, why string) {
	dec := d.unjudged(r.Method, t.route.pattern, "body-too-large", why)
	LogDecision(p.Plugin.log, d, &dec)
	if p.Plugin.Observe != nil {
		p.Plugin.Observe(&dec)
	}
	refuse(w, http.StatusRequestEntityTooLarge, "authorization denied by dockguard: "+dec.Msg, true)
}

// rewrite fixes the request forwarded: the URL judged, and a judged body
// as the exact bytes read, with their length.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	ex := exchangeOf(pr.In.Context())
	if ex == nil {
		return // the gate refuses it
	}
	u := *ex.url
	pr.Out.URL = &u
	if ex.redact != nil {
		// The answer is read to be redacted: ask for it unencoded.
		pr.Out.Header.Del("Accept-Encoding")
	}
	if ex.read {
		body := ex.body
		pr.Out.ContentLength = int64(len(body))
		pr.Out.TransferEncoding = nil
		pr.Out.Trailer = nil
		pr.Out.Header.Set("Content-Length", strconv.Itoa(len(body)))
		// The body was asked for and read: the expectation is met.
		pr.Out.Header.Del("Expect")
		if len(body) == 0 {
			pr.Out.Body, pr.Out.GetBody = nil, nil
		} else {
			pr.Out.Body = io.NopCloser(bytes.NewReader(body))
			pr.Out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
	}
}

// gate decides each request on what the transport is about to send: the
// method, the request-target the URL writes, the headers after the
// reverse proxy dropped the hop-by-hop ones (Connection and Upgrade are
// put back for a protocol switch), and the judged body.
type gate struct {
	p    *Proxy
	next http.RoundTripper
}

// denial is a request the policy refuses; the error handler answers it.
type denial struct{ msg string }

func (e *denial) Error() string { return "authorization denied by dockguard: " + e.msg }

func (g *gate) RoundTrip(out *http.Request) (*http.Response, error) {
	ex := exchangeOf(out.Context())
	if ex == nil {
		if out.Body != nil {
			out.Body.Close()
		}
		return nil, errors.New("dockguard: a request reached the transport without a decision")
	}
	if len(out.Header.Values("Content-Type")) > 1 {
		// The daemon reads the first value (a form parsed as parameters),
		// a plugin is shown the last: one request, two readings.
		if out.Body != nil {
			out.Body.Close()
		}
		dec := ex.d.unjudged(out.Method, out.URL.Path, "body-content-type", "the request repeats Content-Type, which the daemon and authorization read differently")
		LogDecision(g.p.Plugin.log, ex.d, &dec)
		if g.p.Plugin.Observe != nil {
			g.p.Plugin.Observe(&dec)
		}
		return nil, &denial{msg: dec.Msg}
	}
	ar := &Request{User: ex.user, UserAuthNMethod: ex.authn, RequestMethod: out.Method, RequestURI: out.URL.RequestURI(), RequestHeaders: make(map[string]string, len(out.Header)+1)}
	for k, v := range out.Header {
		if len(v) > 0 {
			ar.RequestHeaders[http.CanonicalHeaderKey(k)] = v[len(v)-1]
		}
	}
	delete(ar.RequestHeaders, "Transfer-Encoding")
	if ua, ok := ar.RequestHeaders["User-Agent"]; ok && ua == "" {
		delete(ar.RequestHeaders, "User-Agent") // not sent
	}
	if ex.read {
		ar.RequestBody = ex.body
		ar.RequestHeaders["Content-Length"] = strconv.Itoa(len(ex.body))
	} else {
		// The daemon judges only what it reads; these bodies are streamed.
		delete(ar.RequestHeaders, "Content-Length")
	}
	ctx, cancel := context.WithTimeout(ex.ctx, decideTimeout)
	dec := ex.d.Decide(ctx, ar)
	cancel()
	LogDecision(g.p.Plugin.log, ex.d, &dec)
	if g.p.Plugin.Observe != nil {
		g.p.Plugin.Observe(&dec)
	}
	if !dec.Allow {
		if out.Body != nil {
			out.Body.Close()
		}
		return nil, &denial{msg: dec.Msg}
	}
	if dec.Msg != "" && ex.d.mode == "warn" && warnsIn[dec.Route] {
		ex.warn = "dockguard warn mode let this through; enforced, it would be " + dec.Msg
	}
	return g.next.RoundTrip(out)
}

// warnsIn are the routes whose answer carries a Warnings array the Docker
// CLI prints ("WARNING: …"): there warn mode tells the requester what
// enforcement would deny, so a profile can be tried out where it is used.
var warnsIn = map[string]bool{
	"/containers/create":      true,
	"/containers/{id}/update": true,
	"/services/create":        true,
	"/services/{id}/update":   true,
}

// maxWarned caps the answers warn mode rewrites; a create's is a few
// hundred bytes.
const maxWarned = 1 << 20

// addWarning appends w to the Warnings of a JSON answer. An answer it
// cannot read as one (encoded, too large, not an object) is forwarded as
// it came: the warning is also in the decision log.
func addWarning(res *http.Response, w string) error {
	if res.StatusCode/100 != 2 || len(res.Header.Values("Content-Encoding")) > 0 {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxWarned+1))
	if err != nil {
		res.Body.Close()
		return err
	}
	keep := func() error {
		res.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), res.Body), res.Body}
		return nil
	}
	var m map[string]json.RawMessage
	if len(body) > maxWarned || json.Unmarshal(body, &m) != nil || m == nil {
		return keep()
	}
	var warnings []string
	if raw, ok := m["Warnings"]; ok && json.Unmarshal(raw, &warnings) != nil {
		return keep()
	}
	warnings = append(warnings, w)
	if m["Warnings"], err = json.Marshal(warnings); err != nil {
		return keep()
	}
	out, err := json.Marshal(m)
	if err != nil {
		return keep()
	}
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(append(out, '\n')))
	res.ContentLength = int64(len(out) + 1)
	res.TransferEncoding = nil
	res.Header.Set("Content-Length", strconv.Itoa(len(out)+1))
	return nil
}

// modifyResponse redacts the answers that carry environment values.
func (p *Proxy) modifyResponse(res *http.Response) error {
	if res.Request == nil {
		return errNoExchange
	}
	ex := exchangeOf(res.Request.Context())
	if ex == nil {
		return errNoExchange
	}
	if ex.warn != "" {
		if err := addWarning(res, ex.warn); err != nil {
			return err
		}
	}
	if ex.redact == nil || res.StatusCode != http.StatusOK {
		return nil
	}
	// At most MaxRewritesInFlight answers are held for rewriting, each
	// until the client has it (the body's Close, after the copy).
	timer := time.NewTimer(BodyReadTimeout)
	defer timer.Stop()
	select {
	case p.rewrites <- struct{}{}:
	case <-timer.C:
		res.Body.Close()
		return &redactError{errors.New("the proxy is busy rewriting other answers")}
	case <-res.Request.Context().Done():
		res.Body.Close()
		return res.Request.Context().Err()
	}
	if err := ex.redact.apply(res); err != nil {
		<-p.rewrites
		return err
	}
	res.Body = &releaseOnClose{ReadCloser: res.Body, slot: p.rewrites}
	return nil
}

// releaseOnClose frees a rewrite slot when the answer's body is closed.
type releaseOnClose struct {
	io.ReadCloser
	slot chan struct{}
	once sync.Once
}

func (r *releaseOnClose) Close() error {
	r.once.Do(func() { <-r.slot })
	return r.ReadCloser.Close()
}

// upstreamError answers a denial, or a request the daemon did not answer.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeOf(r.Context())
	var den *denial
	if errors.As(err, &den) {
		// An unread streamed body cannot be skipped safely: close.
		refuse(w, http.StatusForbidden, den.Error(), ex != nil && ex.unread)
		return
	}
	var red *redactError
	if errors.As(err, &red) {
		p.logf("proxy: %s %s: %v", r.Method, r.URL.RequestURI(), err)
		refuse(w, http.StatusBadGateway, "dockguard: "+red.Error()+" (enforce.redactEnv)", true)
		return
	}
	p.logf("proxy: %s %s: %v", r.Method, r.URL.RequestURI(), err)
	if r.Context().Err() != nil {
		w.WriteHeader(http.StatusBadGateway) // the client is gone
		return
	}
	refuse(w, http.StatusBadGateway, "dockguard: the daemon did not answer: "+err.Error(), true)
}

// refuse answers with the Engine API's error body.
func refuse(w http.ResponseWriter, status int, msg string, closeConn bool) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	h := w.Header()
	clear(h)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if closeConn {
		h.Set("Connection", "close")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// proxyWriter tracks the connections the reverse proxy takes over for a
// protocol switch, so that Close ends them, and hands it the bytes the
// server had already read past the request.
type proxyWriter struct {
	http.ResponseWriter
	p *Proxy
}

func (w *proxyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *proxyWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	hc := &hijackedConn{Conn: c, r: brw.Reader, p: w.p}
	w.p.mu.Lock()
	closed := w.p.closed
	if !closed {
		if w.p.hijacked == nil {
			w.p.hijacked = map[*hijackedConn]struct{}{}
		}
		w.p.hijacked[hc] = struct{}{}
	}
	w.p.mu.Unlock()
	if closed {
		c.Close()
		return nil, nil, errors.New("dockguard: the proxy is closing")
	}
	return hc, brw, nil
}

// hijackedConn is a switched client connection.
type hijackedConn struct {
	net.Conn
	r    *bufio.Reader // what the server read ahead, until drained
	p    *Proxy
	once sync.Once
}

func (c *hijackedConn) Read(b []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(b)
		}
		c.r = nil
	}
	return c.Conn.Read(b)
}

// CloseWrite passes the client's half-close on (docker exec -i with its
// input at end).
func (c *hijackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *hijackedConn) Close() error {
	c.once.Do(func() {
		c.p.mu.Lock()
		delete(c.p.hijacked, c)
		c.p.mu.Unlock()
	})
	return c.Conn.Close()
}
