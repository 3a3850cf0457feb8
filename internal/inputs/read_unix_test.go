//go:build unix

package inputs

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A fifo named like an input must be refused without opening it: opening a
// fifo for reading blocks until a writer appears, which would hang the audit.
func TestReadFifo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := Read(p, 0)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		checkReadResult(t, p, r.data, r.err, "", "not a regular file")
	case <-time.After(5 * time.Second):
		t.Fatal("Read blocked on a fifo")
	}
}

func TestReadDevice(t *testing.T) {
	got, err := Read("/dev/zero", 0)
	checkReadResult(t, "/dev/zero", got, err, "", "not a regular file")
}

// Discovery lists a fifo with a matching name, so the user hears about it
// from Read rather than never.
func TestDiscoverFifo(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "Dockerfile"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, errs := discover(t, []string{dir}, "")
	if len(files) != 1 || files[0].Path != filepath.Join(dir, "Dockerfile") || len(errs) != 0 {
		t.Errorf("Discover = %v, %q; want the fifo and no errors", files, errorStrings(errs))
	}
}
