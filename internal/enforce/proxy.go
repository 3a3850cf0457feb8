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
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxHead caps a request's line and headers.
const maxHead = 64 << 10

// Proxy is an Engine API socket proxy: it reads each HTTP/1.1 request,
// decides it on its exact bytes with the same Decider as the plugin,
// forwards those bytes unchanged to the daemon, and streams the answer
// back. Hijacked streams (attach, exec) become a raw two-way copy once the
// daemon has switched the connection. HTTP/2 (h2c, gRPC) is refused.
type Proxy struct {
	// Plugin holds the current decider (reloaded like the plugin's) and
	// logs decisions.
	Plugin *Plugin
	// Dial connects to the daemon.
	Dial func(ctx context.Context) (net.Conn, error)
	// Log receives connection errors.
	Log *slog.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Serve accepts connections until l is closed.
func (p *Proxy) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go p.handle(c)
	}
}

// Close ends every connection in flight.
func (p *Proxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *Proxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns = map[net.Conn]struct{}{}
	}
	if on {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) logf(format string, args ...any) {
	if p.Log != nil {
		p.Log.Debug(fmt.Sprintf(format, args...))
	}
}

// readHead reads a request line and headers, byte for byte.
func readHead(br *bufio.Reader) ([]byte, error) {
	var head []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if len(head) == 0 && len(line) == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("request head: %w", err)
		}
		head = append(head, line...)
		if len(head) > maxHead {
			return nil, errors.New("request head too large")
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(head) == len(line) && strings.HasPrefix(string(line), "PRI * HTTP/2") {
			return head, errHTTP2
		}
		if string(line) == "\r\n" || string(line) == "\n" {
			if len(head) == len(line) {
				head = head[:0] // blank lines between requests
				continue
			}
			return head, nil
		}
	}
}

var errHTTP2 = errors.New("HTTP/2 is not served: dockguard's proxy speaks HTTP/1.1 only")

// judgedBody reports whether a route's body is read before deciding.
func judgedBody(t *target) bool {
	if t == nil || t.route == nil {
		return false
	}
	switch t.route.kind {
	case kindCreate, kindUpdate, kindExec, kindVolume, kindService, kindJSONAllowed, kindPlugin:
		return true
	}
	return t.route.pattern == "/containers/{id}/start"
}

func hijackRoute(t *target) bool {
	if t == nil || t.route == nil {
		return false
	}
	switch t.route.pattern {
	case "/containers/{id}/attach", "/exec/{id}/start", "/containers/{id}/attach/ws", "/session", "/grpc":
		return true
	}
	return false
}

func deny(w io.Writer, status int, msg string, close bool) error {
	b, _ := json.Marshal(map[string]string{"message": msg})
	conn := ""
	if close {
		conn = "Connection: close\r\n"
	}
	_, err := fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s", status, http.StatusText(status), len(b), conn, b)
	return err
}

func (p *Proxy) handle(c net.Conn) {
	p.track(c, true)
	defer p.track(c, false)
	defer c.Close()
	// Over TLS with client certificates, the client's identity is the
	// certificate's common name, as dockerd gives it to plugins.
	var user, authn string
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			p.logf("TLS handshake: %v", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			user, authn = certs[0].Subject.CommonName, "TLS"
		}
	}
	br := bufio.NewReaderSize(c, 32<<10)
	var up net.Conn
	var upr *bufio.Reader
	defer func() {
		if up != nil {
			up.Close()
		}
	}()
	for {
		head, err := readHead(br)
		if err != nil {
			if errors.Is(err, errHTTP2) {
				_ = deny(c, http.StatusHTTPVersionNotSupported, err.Error(), true)
			} else if !errors.Is(err, io.EOF) {
				_ = deny(c, http.StatusBadRequest, "dockguard: "+err.Error(), true)
			}
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			_ = deny(c, http.StatusBadRequest, "dockguard: malformed request: "+err.Error(), true)
			return
		}
		if req.ProtoMajor != 1 || req.ProtoMinor != 1 {
			_ = deny(c, http.StatusHTTPVersionNotSupported, "dockguard: only HTTP/1.1 is served", true)
			return
		}
		if up := strings.ToLower(req.Header.Get("Upgrade")); strings.Contains(up, "h2c") || strings.Contains(up, "h2") && !strings.Contains(up, "tcp") {
			_ = deny(c, http.StatusHTTPVersionNotSupported, "dockguard: HTTP/2 upgrades (h2c) are refused", true)
			return
		}
		if ct := req.Header.Get("Content-Type"); ct != "" {
			if mt, _, _ := mime.ParseMediaType(ct); strings.HasPrefix(mt, "application/grpc") {
				_ = deny(c, http.StatusForbidden, "dockguard: gRPC requests are refused", true)
				return
			}
		}
		chunked := len(req.TransferEncoding) > 0
		if chunked && rawHeader(head, "content-length") {
			_ = deny(c, http.StatusBadRequest, "dockguard: ambiguous body framing (Transfer-Encoding with Content-Length)", true)
			return
		}
		d := p.Plugin.Decider()
		t, terr := parseTarget(req.Method, req.RequestURI)
		if terr != nil {
			t = nil
		}
		var body []byte
		readBody := judgedBody(t)
		if readBody {
			switch {
			case chunked:
				// The Engine API clients send JSON with a length; a body
				// whose end is not known up front is not judged.
				dec := Decision{Method: req.Method, Route: req.URL.Path, Msg: "body-chunked: a chunked body is not judged on this route; send it with Content-Length"}
				LogDecision(p.Plugin.log, d, &dec)
				_ = deny(c, http.StatusForbidden, "authorization denied by dockguard: "+dec.Msg, true)
				return
			case req.ContentLength > d.maxBody:
				dec := Decision{Method: req.Method, Route: req.URL.Path, Msg: fmt.Sprintf("body-too-large: a body of %d bytes is over the %d-byte cap", req.ContentLength, d.maxBody)}
				LogDecision(p.Plugin.log, d, &dec)
				_ = deny(c, http.StatusRequestEntityTooLarge, "authorization denied by dockguard: "+dec.Msg, true)
				return
			case req.ContentLength > 0:
				body = make([]byte, req.ContentLength)
				if _, err := io.ReadFull(br, body); err != nil {
					return
				}
			}
		}
		ar := &Request{User: user, UserAuthNMethod: authn, RequestMethod: req.Method, RequestURI: req.RequestURI, RequestBody: body, RequestHeaders: map[string]string{}}
		for k, v := range req.Header {
			ar.RequestHeaders[k] = v[len(v)-1]
		}
		if !readBody {
			// The daemon judges only what it reads; these routes' bodies
			// are streamed (build contexts, archives, image loads).
			delete(ar.RequestHeaders, "Content-Length")
		}
		ctx, cancel := context.WithTimeout(context.Background(), decideTimeout)
		dec := d.Decide(ctx, ar)
		cancel()
		LogDecision(p.Plugin.log, d, &dec)
		if p.Plugin.Observe != nil {
			p.Plugin.Observe(&dec)
		}
		if !dec.Allow {
			// An unread streamed body cannot be skipped safely: close.
			closeAfter := !readBody && (chunked || req.ContentLength > 0)
			if err := deny(c, http.StatusForbidden, "authorization denied by dockguard: "+dec.Msg, closeAfter); err != nil || closeAfter {
				return
			}
			continue
		}
		if up == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			up, err = p.Dial(ctx)
			cancel()
			if err != nil {
				_ = deny(c, http.StatusBadGateway, "dockguard: the daemon cannot be reached: "+err.Error(), true)
				return
			}
			upr = bufio.NewReaderSize(up, 32<<10)
		}
		// The exact bytes that were judged: head, then body.
		if _, err := up.Write(head); err != nil {
			return
		}
		switch {
		case body != nil:
			if _, err := up.Write(body); err != nil {
				return
			}
		case chunked:
			if err := copyChunked(up, br); err != nil {
				return
			}
		case req.ContentLength > 0:
			if _, err := io.CopyN(up, br, req.ContentLength); err != nil {
				return
			}
		}
		resp, err := http.ReadResponse(upr, req)
		if err != nil {
			return
		}
		if resp.StatusCode == http.StatusSwitchingProtocols || (hijackRoute(t) && resp.StatusCode == http.StatusOK && rawStream(resp)) {
			// The daemon hijacked the connection: raw both ways.
			if err := writeHead(c, resp); err != nil {
				return
			}
			pipe(c, br, up, upr)
			return
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil || resp.Close || req.Close {
			return
		}
	}
}

// rawHeader reports whether the head as sent names a header (Go's parser
// drops Content-Length beside chunked).
func rawHeader(head []byte, name string) bool {
	for _, line := range bytes.Split(head, []byte("\n"))[1:] {
		k, _, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(strings.TrimSpace(string(k)), name) {
			return true
		}
	}
	return false
}

func rawStream(resp *http.Response) bool {
	ct := resp.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/vnd.docker.raw-stream") || strings.HasPrefix(ct, "application/vnd.docker.multiplexed-stream")
}

func writeHead(w io.Writer, resp *http.Response) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/%d.%d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
	if err := resp.Header.Write(&b); err != nil {
		return err
	}
	b.WriteString("\r\n")
	_, err := w.Write(b.Bytes())
	return err
}

type closeWriter interface{ CloseWrite() error }

// pipe copies both ways until both directions end.
func pipe(c net.Conn, cr *bufio.Reader, up net.Conn, upr *bufio.Reader) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(up, cr)
		if cw, ok := up.(closeWriter); ok {
			_ = cw.CloseWrite()
		}
	}()
	_, _ = io.Copy(c, upr)
	if cw, ok := c.(closeWriter); ok {
		_ = cw.CloseWrite()
	}
	c.Close()
	up.Close()
	wg.Wait()
}

// copyChunked copies a chunked body byte for byte, framing included.
func copyChunked(w io.Writer, r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		sz := strings.TrimSpace(string(line))
		if i := strings.IndexByte(sz, ';'); i >= 0 {
			sz = sz[:i]
		}
		n, err := strconv.ParseInt(strings.TrimSpace(sz), 16, 64)
		if err != nil || n < 0 {
			return errors.New("bad chunk size")
		}
		if n == 0 {
			// Trailers, then the blank line.
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if _, err := w.Write(line); err != nil {
					return err
				}
				if string(line) == "\r\n" || string(line) == "\n" {
					return nil
				}
			}
		}
		if _, err := io.CopyN(w, r, n+2); err != nil {
			return err
		}
	}
}
