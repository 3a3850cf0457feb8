package image

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/imagesig"
	"github.com/dockguard/dockguard/internal/imagesig/sigtest"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/source/image/imagetest"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestDaemonSignature: the private daemon pulls a cosign-signed image from
// a registry served on the same loopback port inside its network namespace
// and outside, so the repository digest it records names a registry this
// process reaches too; daemon:REF is then verified there by that digest.
// An image the daemon built has no repository digest: a finding, not a
// pass.
func TestDaemonSignature(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	reg := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0)))
	outside, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inside := d.Listen(t, outside.Addr().String())
	for _, ln := range []net.Listener{outside, inside} {
		srv := &http.Server{Handler: reg}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	host := outside.Addr().String()

	img := imagetest.Image(t, v1.Config{User: "app"}, imagetest.File{Name: "etc/app", Body: "signed"})
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	digest := sigtest.Push(t, host+"/app:1", img)
	dir := t.TempDir()
	priv, pub := sigtest.KeyPair(t, dir)
	sigtest.Sign(t, digest.String(), priv, false)

	d.Pull(t, host+"/app:1")

	keyV, err := imagesig.New(imagesig.Policy{KeyFile: pub})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Load(ctx, "daemon:"+host+"/app:1", Options{Engine: engine.Endpoint{Host: d.Host}, Verify: keyV})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Image.Signature; s == nil || s.Status != facts.SignatureVerified || s.Digest != digest.DigestStr() {
		t.Errorf("pulled image: %+v, want verified for %s", s, digest.DigestStr())
	}

	d.BuildImage(t, "dg-local:1", "FROM scratch\nCOPY busybox /bin/busybox\n", testenv.Files{"busybox": testenv.Busybox(t)})
	res, err = Load(ctx, "daemon:dg-local:1", Options{Engine: engine.Endpoint{Host: d.Host}, Verify: keyV})
	if err != nil {
		t.Fatal(err)
	}
	if !has(findings(res.Image, rules.Config{}), "image-signature", "no registry digest") {
		t.Errorf("built image: %+v, want an image-signature finding", res.Image.Signature)
	}
	if strings.Contains(fmt.Sprint(res.Image.Notes), "signature verified") {
		t.Error("a verified note for an image with no signature")
	}
}
