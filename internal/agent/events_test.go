package agent

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestLineCapped: the cap is on each message, not on the stream: any
// number of messages of up to max bytes pass, one byte more fails, and the
// failure sticks.
func TestLineCapped(t *testing.T) {
	const max = 16
	line := strings.Repeat("x", max) + "\n"
	b := &lineCapped{rc: io.NopCloser(iotest.OneByteReader(strings.NewReader(strings.Repeat(line, 100)))), max: max}
	got, err := io.ReadAll(b)
	if err != nil || len(got) != 100*len(line) {
		t.Fatalf("messages of max bytes: read %d, %v", len(got), err)
	}

	over := line + strings.Repeat("y", max+1) + "\n" + line
	b = &lineCapped{rc: io.NopCloser(strings.NewReader(over)), max: max}
	got, err = io.ReadAll(b)
	if !errors.Is(err, errEventTooLarge) {
		t.Fatalf("a message of max+1 bytes: %v, want errEventTooLarge", err)
	}
	if !bytes.Equal(got, []byte(line+strings.Repeat("y", max))) {
		t.Errorf("read %q before the error, want the bytes up to the cap", got)
	}
	if n, err := b.Read(make([]byte, 8)); n != 0 || !errors.Is(err, errEventTooLarge) {
		t.Errorf("read after the error: %d, %v", n, err)
	}
}
