package image

import (
	"archive/tar"
	"bytes"
	"context"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestProgress: the progress callback hears of every layer (announced and
// read) and of exactly the stored bytes of the layers, for a docker save
// archive (layers announced one by one) and an OCI layout (all at once,
// read in parallel).
func TestProgress(t *testing.T) {
	t.Parallel()
	l0 := layerOf(t, []testFile{{name: "etc/", typ: tar.TypeDir, mode: 0o755}, {name: "etc/a.conf", body: "a = 1\n"}})
	l1 := layerOf(t, []testFile{{name: "bin/x", body: string(bytes.Repeat([]byte("\x7fELF"), 5000))}})
	l2 := layerOf(t, []testFile{{name: "etc/.wh.a.conf"}})
	img := imageOf(t, v1.Config{User: "app"}, nil, l0, l1, l2)
	var stored int64
	for _, l := range []v1.Layer{l0, l1, l2} {
		n, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		stored += n
	}
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	arch := saveArchive(t, img, "example.com/app:1.0")
	for name, read := range map[string]func(Options) (*Result, error){
		"archive": func(o Options) (*Result, error) {
			return ReadArchive(context.Background(), bytes.NewReader(arch), "docker-archive:app.tar", "", o)
		},
		"layout": func(o Options) (*Result, error) { return Load(context.Background(), "oci:"+dir, o) },
	} {
		var (
			mu                  sync.Mutex
			announced, finished int
			got                 int64
		)
		o := Options{Workers: 3, Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			announced += p.Layers
			if p.LayerDone {
				finished++
			}
			got += p.Bytes
		}}
		if _, err := read(o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if announced != 3 || finished != 3 || got != stored {
			t.Errorf("%s: layers announced %d, read %d, bytes %d; want 3, 3, %d", name, announced, finished, got, stored)
		}
	}
}
