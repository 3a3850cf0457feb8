package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnforcePluginAndCheck(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "dg.sock")
	cfg := filepath.Join(dir, ".dockguard.yaml")
	if err := os.WriteFile(cfg, []byte("enforce:\n  mode: enforce\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var perr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"enforce", "plugin", "--socket", sock, "--config", cfg, "-H", "unix://" + filepath.Join(dir, "nodaemon.sock")}, Streams{Out: &bytes.Buffer{}, Err: &perr})
	}()
	var out, errb bytes.Buffer
	code := 1
	for i := 0; i < 100 && code != 0; i++ {
		time.Sleep(20 * time.Millisecond)
		out.Reset()
		errb.Reset()
		code = Main(context.Background(), []string{"enforce", "check", "--socket", sock}, Streams{Out: &out, Err: &errb})
	}
	if code != 0 || !strings.Contains(out.String(), "sample privileged create denied") {
		t.Errorf("check: exit %d: %s%s", code, out.String(), errb.String())
	}
	// A second plugin on the same socket is refused.
	if code := Main(context.Background(), []string{"enforce", "plugin", "--socket", sock}, Streams{Out: &out, Err: &errb}); code == 0 || !strings.Contains(errb.String(), "already served") {
		t.Errorf("second plugin: exit %d: %s", code, errb.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("plugin exit %d: %s", code, perr.String())
	}
	if !strings.Contains(perr.String(), `"msg":"serving"`) {
		t.Errorf("plugin log: %s", perr.String())
	}
	// Nothing answers any more.
	errb.Reset()
	if code := Main(context.Background(), []string{"enforce", "check", "--socket", sock, "--timeout", "1s"}, Streams{Out: &out, Err: &errb}); code == 0 {
		t.Errorf("check without a plugin: exit 0")
	}
	if code := Main(context.Background(), []string{"enforce", "plugin", "--socket", sock, "--mode", "loud"}, Streams{Out: &out, Err: &errb}); code == 0 {
		t.Errorf("--mode loud accepted")
	}
}
