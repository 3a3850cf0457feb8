package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/cli"
	"github.com/dockguard/dockguard/internal/source/image/imagetest"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestImageProgressNotOnFiles: the --image progress bar is for terminals
// only; standard error redirected to a file gets nothing from it.
func TestImageProgressNotOnFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	arch := imagetest.Archive(t, "example.com/app:1.0", v1.Config{User: "app"},
		imagetest.File{Name: "etc/app.conf", Body: "a = 1\n"})
	p := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(p, arch, 0o644); err != nil {
		t.Fatal(err)
	}
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	var out bytes.Buffer
	code := cli.Main(context.Background(), []string{"audit", "--fail-on", "none", "--image", "docker-archive:" + p},
		cli.Streams{In: strings.NewReader(""), Out: &out, Err: errFile})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	b, err := os.ReadFile(errFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 0 {
		t.Errorf("standard error (a file) got %q", b)
	}
}
