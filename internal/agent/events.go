package agent

import (
	"fmt"
	"io"
	"net/http"
	"strings"

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
	c, _, err := engine.NewClient(ep, 2, func(base http.RoundTripper) http.RoundTripper {
		return eventCap{base: base, max: MaxEventMessage}
	})
	return c, err
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
