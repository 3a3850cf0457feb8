package image

import (
	"bytes"
	"context"
	"testing"

	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
)

// FuzzArchive feeds arbitrary bytes to the archive reader (and the rules
// when it reads an image): errors are fine, panics and unbounded memory are
// not. Nothing is ever written.
func FuzzArchive(f *testing.F) {
	good := saveArchive(f, insecureImage(f), "example.com/app:1.0")
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add(gz(f, tarOf(f, []testFile{{name: "../x", body: "y"}})))
	f.Add(tarOf(f, []testFile{{name: "manifest.json", body: `[{"Config":"c.json","Layers":["l.tar"]}]`}, {name: "c.json", body: `{"rootfs":{"diff_ids":["sha256:00"]}}`}, {name: "l.tar", body: "\x1f\x8b\x08"}}))
	pol := policy.New(rules.Config{})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadArchive(context.Background(), bytes.NewReader(data), "fuzz", "", Options{MaxLayerSize: 4 << 20, MaxImageSize: 8 << 20, MaxFileRead: 64 << 10})
		if err == nil {
			pol.Image(res.Image)
		}
	})
}
