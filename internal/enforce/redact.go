package enforce

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Redacted replaces an environment value in a redacted answer; the name
// stays, so a reader still sees which variables are set.
const Redacted = "<redacted>"

// maxRedacted caps an answer read whole to be redacted: a service list of
// a large swarm is a few MiB (MaxRewritesInFlight bounds how many are
// held at once). A larger answer is refused, never passed on
// unredacted.
const maxRedacted = 16 << 20

// envRedaction is where the environment sits in one route's answer.
type envRedaction struct {
	list  bool       // the answer is an array of such objects
	paths [][]string // object keys down to an Env array of NAME=value
	// drop are top-level keys removed from the answer: an image's
	// Parent and ContainerConfig rebuild its history (build commands,
	// ARG values) step by step, which the read-only API refuses.
	drop []string
}

// answerRewrite returns how the proxy rewrites a route's answer: env
// values hidden (enforce.redactEnv), and under the read-only API the
// build history an image inspect carries; nil when neither applies.
func answerRewrite(method string, t *target, redactEnv, readOnly bool) *envRedaction {
	var r *envRedaction
	if redactEnv {
		r = envRedactionFor(method, t)
	}
	if readOnly && method == http.MethodGet && t != nil && t.route != nil && t.route.pattern == "/images/{*}" && readOnlyImage(t.params["*"]) {
		if r == nil {
			r = &envRedaction{}
		}
		r.drop = []string{"Parent", "ContainerConfig"}
	}
	return r
}

var (
	serviceEnv = [][]string{{"Spec", "TaskTemplate", "ContainerSpec", "Env"}, {"PreviousSpec", "TaskTemplate", "ContainerSpec", "Env"}}
	taskEnv    = [][]string{{"Spec", "ContainerSpec", "Env"}}
)

// envRedactionFor returns where a route's answer holds environment values
// (enforce.redactEnv), nil for an answer that holds none. Container
// lists, events and system df carry no environment.
func envRedactionFor(method string, t *target) *envRedaction {
	if method != http.MethodGet || t == nil || t.route == nil || t.route.method != http.MethodGet {
		return nil
	}
	switch t.route.pattern {
	case "/containers/{id}/json":
		return &envRedaction{paths: [][]string{{"Config", "Env"}}}
	case "/images/{*}":
		if readOnlyImage(t.params["*"]) {
			// An image's ENV is set at build time and ends up in every
			// container; ContainerConfig is the build container's, in
			// older API versions.
			return &envRedaction{paths: [][]string{{"Config", "Env"}, {"ContainerConfig", "Env"}}}
		}
	case "/services":
		return &envRedaction{list: true, paths: serviceEnv}
	case "/services/{id}":
		return &envRedaction{paths: serviceEnv}
	case "/tasks":
		return &envRedaction{list: true, paths: taskEnv}
	case "/tasks/{id}":
		return &envRedaction{paths: taskEnv}
	}
	return nil
}

// redactError is an answer that could not be redacted: it is refused.
type redactError struct{ err error }

func (e *redactError) Error() string { return "the answer could not be redacted: " + e.err.Error() }

// apply rewrites a successful answer in place: read whole (the transport
// has undone chunking; gzip is undone here), redacted, and sent with its
// new length and no encoding.
func (r *envRedaction) apply(res *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(res.Body, maxRedacted+1))
	res.Body.Close()
	if err != nil {
		return &redactError{err}
	}
	if len(body) > maxRedacted {
		return &redactError{fmt.Errorf("it is over %d bytes", maxRedacted)}
	}
	encs := res.Header.Values("Content-Encoding")
	if len(encs) > 1 {
		return &redactError{fmt.Errorf("it has %d Content-Encoding headers", len(encs))}
	}
	switch enc := strings.ToLower(strings.TrimSpace(strings.Join(encs, ""))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return &redactError{err}
		}
		if body, err = io.ReadAll(io.LimitReader(zr, maxRedacted+1)); err != nil {
			return &redactError{err}
		}
		if len(body) > maxRedacted {
			return &redactError{fmt.Errorf("it is over %d bytes uncompressed", maxRedacted)}
		}
	default:
		return &redactError{fmt.Errorf("its Content-Encoding %q is not read", enc)}
	}
	out, err := r.rewrite(body)
	if err != nil {
		return &redactError{err}
	}
	res.Body = io.NopCloser(bytes.NewReader(out))
	res.ContentLength = int64(len(out))
	res.TransferEncoding = nil
	res.Uncompressed = false
	res.Header.Del("Content-Encoding")
	res.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

// rewrite redacts a JSON answer; keys and values it does not touch keep
// their meaning (numbers and strings are copied as they were written).
func (r *envRedaction) rewrite(body []byte) ([]byte, error) {
	if !r.list {
		out, err := r.redactObject(body)
		if err != nil {
			return nil, err
		}
		return append(out, '\n'), nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, err
	}
	for i, it := range items {
		out, err := r.redactObject(it)
		if err != nil {
			return nil, err
		}
		items[i] = out
	}
	out, err := marshal(items)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func (r *envRedaction) redactObject(raw json.RawMessage) (json.RawMessage, error) {
	if len(r.drop) > 0 && !isNull(raw) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		for _, k := range r.drop {
			delete(m, k)
		}
		var err error
		if raw, err = marshal(m); err != nil {
			return nil, err
		}
	}
	return redactObject(raw, r.paths)
}

func redactObject(raw json.RawMessage, paths [][]string) (json.RawMessage, error) {
	for _, p := range paths {
		var err error
		if raw, err = redactAt(raw, p); err != nil {
			return nil, fmt.Errorf("%s: %w", strings.Join(p, "."), err)
		}
	}
	return raw, nil
}

// redactAt redacts the Env array at path below raw; a missing or null
// object on the way means there is nothing to redact. Anything else that
// is not the shape the Engine API gives is an error, so an answer is
// never passed on half-read.
func redactAt(raw json.RawMessage, path []string) (json.RawMessage, error) {
	if isNull(raw) {
		return raw, nil
	}
	if len(path) == 0 {
		var env []string
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, err
		}
		for i, kv := range env {
			if name, value, ok := strings.Cut(kv, "="); ok && value != "" {
				env[i] = name + "=" + Redacted
			}
		}
		return marshal(env)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	v, ok := m[path[0]]
	if !ok {
		return raw, nil
	}
	nv, err := redactAt(v, path[1:])
	if err != nil {
		return nil, err
	}
	m[path[0]] = nv
	return marshal(m)
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// marshal encodes without HTML escaping, so the placeholder reads as
// written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// errNoExchange: an answer the proxy cannot tie to its request.
var errNoExchange = errors.New("dockguard: an answer reached the proxy without its request")
