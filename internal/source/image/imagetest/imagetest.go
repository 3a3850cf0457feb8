// Package imagetest builds small images for tests of the image source and
// its callers, with go-containerregistry.
package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one tar entry of a test layer.
type File struct {
	Name, Body string
	Mode       int64
}

// Archive writes a one-layer image (Image) as a docker save archive tagged
// tag.
func Archive(t testing.TB, tag string, cfg v1.Config, files ...File) []byte {
	t.Helper()
	img := Image(t, cfg, files...)
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tarball.Write(ref, img, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Image is a one-layer image with config cfg holding files.
func Image(t testing.TB, cfg v1.Config, files ...File) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		tw.WriteHeader(&tar.Header{Name: f.Name, Mode: mode, Size: int64(len(f.Body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.Body))
	}
	tw.Close()
	raw := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
