package enforce

import (
	"bytes"
	"errors"
	"mime"
	"strings"
)

// How a request is framed: headers, the body and its media type, the
// protocol switch of streams. What the daemon would read differently is
// denied fail-closed here, before any rule.

func header(h map[string]string, name string) (string, bool) {
	if v, ok := h[name]; ok {
		return v, true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// body checks that a request carries a JSON body to judge: not empty,
// and sent as JSON (the daemon refuses other types on JSON routes).
func (j *judgement) body(r *Request) bool {
	if len(bytes.TrimSpace(r.RequestBody)) == 0 {
		j.failClosed("body-missing", "the request has no body to judge (empty, chunked or not forwarded by the daemon)")
		return false
	}
	if ct, ok := header(r.RequestHeaders, "Content-Type"); ok {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			j.failClosed("body-not-json", "Content-Type %q is not application/json", truncate(ct, 60))
			return false
		}
	}
	return true
}

// decode reads a body as the daemon does (encoding/json into the
// daemon's type) and denies what the daemon would read differently or
// what dockguard would not judge: empty bodies, bodies not sent as JSON,
// trailing data, wrong types, and keys no field takes whose value is not
// empty.
func (j *judgement) decode(r *Request, v any) bool {
	if !j.body(r) {
		return false
	}
	if err := decodeStrict(r.RequestBody, v); err != nil {
		var uf *unknownFieldError
		if errors.As(err, &uf) {
			j.failClosed("unknown-field", "%s", truncate(err.Error(), 300))
		} else {
			j.failClosed("body-undecodable", "the body does not decode as the daemon reads it: %v", truncate(err.Error(), 160))
		}
		return false
	}
	return true
}

// upgrade denies a stream request that does not ask for a protocol
// switch: without Upgrade the daemon still takes the connection over,
// behind a plain 200.
func (j *judgement) upgrade(t *target, r *Request) {
	up, _ := header(r.RequestHeaders, "Upgrade")
	conn, _ := header(r.RequestHeaders, "Connection")
	if strings.TrimSpace(up) == "" || !headerHasToken(conn, "upgrade") {
		j.failClosed("upgrade-required", "%s is a stream: it must carry Upgrade and Connection: Upgrade headers (without them the daemon takes the connection over behind a plain 200)", t.route.pattern)
	}
}

func headerHasToken(v, token string) bool {
	for _, p := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(p), token) {
			return true
		}
	}
	return false
}
