package testenv

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
)

// Files in a build context: path → content. Every file is written with
// mode 0755, so binaries run.
type Files map[string][]byte

var (
	appOnce sync.Once
	appBin  []byte
	appErr  error
)

// App returns the static test program (internal/testenv/testapp), built
// once per test process with CGO_ENABLED=0 so it runs FROM scratch.
func App(t testing.TB) []byte {
	t.Helper()
	appOnce.Do(func() { appBin, appErr = buildApp() })
	if appErr != nil {
		t.Fatalf("testenv: building the test program: %v", appErr)
	}
	return appBin
}

func buildApp() ([]byte, error) {
	goBin, err := lookPath("go")
	if err != nil {
		if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
			goBin = p
		} else {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "dgapp")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "app")
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "github.com/dockguard/dockguard/internal/testenv/testapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, b)
	}
	return os.ReadFile(out)
}

// Busybox returns Debian's static busybox (package busybox-static), for
// images that need a shell.
func Busybox(t testing.TB) []byte {
	t.Helper()
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		b, err := os.ReadFile(p)
		if err == nil && isStatic(b) {
			return b
		}
	}
	unavailable(t, "no static busybox (Debian: apt-get install busybox-static)")
	return nil
}

// isStatic reports whether an ELF binary has no program interpreter, so it
// runs without a libc in the image.
func isStatic(b []byte) bool {
	return len(b) > 4 && string(b[:4]) == "\x7fELF" && !bytes.Contains(b[:min(len(b), 4096)], []byte("/lib64/ld-linux")) && !bytes.Contains(b[:min(len(b), 4096)], []byte("/lib/ld-"))
}

// BuildImage builds an image named name on the daemon from a Dockerfile
// and the files of its context, through the Engine API's build endpoint
// (legacy builder, no registry: start FROM scratch). It returns the image
// ID.
func (d *Daemon) BuildImage(t testing.TB, name, dockerfile string, files Files) string {
	t.Helper()
	id, err := d.buildImage(context.Background(), name, dockerfile, files)
	if err != nil {
		// Seen once under heavy load with the legacy builder: say what
		// happened and try again before failing.
		t.Logf("testenv: build %s failed, trying again: %v", name, err)
		id, err = d.buildImage(context.Background(), name, dockerfile, files)
	}
	if err != nil {
		t.Fatalf("testenv: build %s: %v", name, err)
	}
	return id
}

func (d *Daemon) buildImage(ctx context.Context, name, dockerfile string, files Files) (string, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	all := Files{"Dockerfile": []byte(dockerfile)}
	for k, v := range files {
		all[k] = v
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	now := time.Now()
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(all[n])), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return "", err
		}
		if _, err := tw.Write(all[n]); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	res, err := d.Client.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{name},
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	// The build's outcome is in the stream: {"stream": …} lines, then
	// {"error": …} on failure.
	dec := json.NewDecoder(res.Body)
	var log strings.Builder
	for {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", err
		}
		log.WriteString(m.Stream)
		if m.Error != "" {
			return "", fmt.Errorf("%s\n%s", m.Error, log.String())
		}
	}
	img, err := d.Client.ImageInspect(ctx, name)
	if err != nil {
		return "", err
	}
	return img.ID, nil
}
