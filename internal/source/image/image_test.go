package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/klauspost/compress/zstd"
)

const ghToken = "ghp_R2d4Xk9mQp7Lw3Zt8Vb6Nc1Hs5Jy0Fg4Ae2D"

// insecureImage has a SUID file, a secret deleted by a later layer, a
// chmod u-s copy-up, whiteouts, an opaque directory, a world-writable
// directory, sudo, a root config and a leaked build argument.
func insecureImage(t testing.TB) v1.Image {
	l0 := layerOf(t, []testFile{
		{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "bin/su", body: "\x7fELFsu", mode: 0o4755},
		{name: "bin/ping", body: "\x7fELFping", mode: 0o4755},
		{name: "usr/bin/passwd", body: "\x7fELFpasswd", mode: 0o4755},
		{name: "usr/bin/sudo", body: "\x7fELFsudo", mode: 0o4755},
		{name: "app/", typ: tar.TypeDir, mode: 0o755},
		{name: "app/.env", body: "GITHUB_TOKEN=" + ghToken + "\n"},
		{name: "app/keep.txt", body: "hello\n"},
		{name: "cache/", typ: tar.TypeDir, mode: 0o755},
		{name: "cache/a/b", body: "x"},
		{name: "data/", typ: tar.TypeDir, mode: 0o777},
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
		{name: "root/.docker/config.json", body: `{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}`},
	})
	l1 := layerOf(t, []testFile{
		{name: "app/.wh..env", body: ""},
		{name: "usr/bin/passwd", body: "\x7fELFpasswd", mode: 0o755},
		{name: "cache/.wh..wh..opq", body: ""},
		{name: "cache/new", body: "y"},
		{name: "root/.wh..docker", body: ""},
	})
	return imageOf(t, v1.Config{ExposedPorts: map[string]struct{}{"22/tcp": {}}, Env: []string{"PATH=/bin", "API_TOKEN=" + ghToken}},
		[]v1.History{
			{CreatedBy: "COPY . /"},
			{CreatedBy: "RUN |1 NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789 /bin/sh -c chmod u-s /usr/bin/passwd && rm /app/.env"},
		}, l0, l1)
}

func findFile(im *facts.Image, p string, layer int) *facts.ImageFile {
	for i := range im.Files {
		if f := &im.Files[i]; f.Path == p && f.Layer == layer && !f.Whiteout {
			return f
		}
	}
	return nil
}

func findings(im *facts.Image, cfg rules.Config) []rules.Finding {
	return policy.New(cfg).Image(im)
}

func has(fs []rules.Finding, slug, substr string) bool {
	for _, f := range fs {
		if f.Rule.Slug == slug && strings.Contains(f.Message+" "+f.At.String(), substr) {
			return true
		}
	}
	return false
}

func checkInsecure(t *testing.T, im *facts.Image) {
	t.Helper()
	if f := findFile(im, "app/.env", 0); f == nil || f.Final || !f.Removed {
		t.Errorf("app/.env: want removed by the whiteout, got %+v", f)
	}
	if f := findFile(im, "app/keep.txt", 0); f == nil || !f.Final {
		t.Errorf("app/keep.txt: want final, got %+v", f)
	}
	if f := findFile(im, "cache/a/b", 0); f == nil || f.Final {
		t.Errorf("cache/a/b: want hidden by the opaque directory, got %+v", f)
	}
	if f := findFile(im, "cache/new", 1); f == nil || !f.Final {
		t.Errorf("cache/new: want final, got %+v", f)
	}
	if f := findFile(im, "root/.docker/config.json", 0); f == nil || f.Final {
		t.Errorf("root/.docker/config.json: want removed with its folder, got %+v", f)
	}
	fs := findings(im, rules.Config{SUIDAllow: []string{"/bin/ping"}})
	for _, w := range []struct{ slug, sub string }{
		{"suid-sgid-file", "SUID /bin/su (mode 4755, owner 0:0)"},
		{"suid-sgid-file", "/usr/bin/passwd (mode 4755, owner 0:0) was removed or replaced by a later layer"},
		{"secret-file-in-image", "dotenv file /app/.env holds GitHub token"},
		{"secret-file-in-image", "(deleted or replaced by a later layer, still in layer 0)"},
		{"secret-file-in-image", "Docker client config /root/.docker/config.json holds credentials for registry.example.com"},
		{"secret-file-in-image", "in build argument NPM_TOKEN in the image history"},
		{"world-writable-dir", "/data is writable by every user (mode 0777)"},
		{"sudo", "sudo is installed (/usr/bin/sudo, mode 4755, set-uid root)"},
		{"root-user", "no user is set, so the container runs as root"},
		{"expose-ssh", ""},
		{"secret-in-env", ""},
		{"no-healthcheck", "declares no health check"},
	} {
		if !has(fs, w.slug, w.sub) {
			t.Errorf("missing %s %q", w.slug, w.sub)
		}
	}
	for _, f := range fs {
		if strings.Contains(f.Message, ghToken) || strings.Contains(f.Message, "npm_abcdef") {
			t.Errorf("a finding prints the secret: %s", f.Message)
		}
		if f.Rule.Slug == "suid-sgid-file" && strings.Contains(f.Message, "/bin/ping") {
			t.Errorf("allowed file reported: %s", f.Message)
		}
		if f.Rule.Slug == "world-writable-dir" && strings.Contains(f.Message, "/tmp") {
			t.Errorf("sticky /tmp reported: %s", f.Message)
		}
		if strings.Contains(f.Rule.Slug, "memory") || f.Rule.Slug == "read-only-rootfs" {
			t.Errorf("run-time rule judged an image config: %s", f.Rule.Slug)
		}
	}
	if t.Failed() {
		for _, f := range fs {
			t.Logf("%s %s  %s", f.Rule.Slug, f.Message, f.At)
		}
	}
}

func TestArchive(t *testing.T) {
	t.Parallel()
	arch := saveArchive(t, insecureImage(t), "example.com/app:1.0")
	res, err := ReadArchive(context.Background(), bytes.NewReader(arch), "docker-archive:app.tar", "", Options{AllEntries: true})
	if err != nil {
		t.Fatal(err)
	}
	checkInsecure(t, res.Image)
	if len(res.Image.Layers) != 2 || len(res.Tags) != 1 {
		t.Errorf("layers %v tags %v", res.Image.Layers, res.Tags)
	}
	// The same through Load and a file (no prefix: an existing file).
	p := filepath.Join(t.TempDir(), "app.tar")
	os.WriteFile(p, arch, 0o644)
	res, err = Load(context.Background(), p, Options{AllEntries: true})
	if err != nil {
		t.Fatal(err)
	}
	checkInsecure(t, res.Image)
}

func TestLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(insecureImage(t), layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.0"})); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"oci:" + dir, "oci:" + dir + ":1.0", dir} {
		res, err := Load(context.Background(), ref, Options{AllEntries: true})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if !strings.HasPrefix(res.Image.Digest, "sha256:") {
			t.Errorf("%s: digest %q", ref, res.Image.Digest)
		}
		checkInsecure(t, res.Image)
	}
	if _, err := Load(context.Background(), "oci:"+dir+":nope", Options{}); err == nil {
		t.Error("unknown tag: no error")
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(registry.New(registry.Logger(nilLogger())))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img := insecureImage(t)
	ref, _ := name.NewTag(host+"/app:1.0", name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	res, err := Load(context.Background(), "registry:"+host+"/app:1.0", Options{AllEntries: true, InsecureRegistries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	checkInsecure(t, res.Image)
	fs := findings(res.Image, rules.Config{})
	if !has(fs, "image-unpinned", "pin it by digest: @"+d.String()) {
		t.Errorf("no pinning finding with %s", d)
	}
	res, err = Load(context.Background(), "registry:"+host+"/app@"+d.String(), Options{InsecureRegistries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	if has(findings(res.Image, rules.Config{}), "image-unpinned", "") {
		t.Error("pinned by digest, still reported")
	}
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := saveArchive(t, insecureImage(t), "example.com/app:1.0")
	read := func(b []byte, opt Options) error {
		_, err := ReadArchive(ctx, bytes.NewReader(b), "x", "", opt)
		return err
	}
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{len(good) / 3, len(good) / 2, len(good) - 2000} {
			if err := read(good[:n], Options{}); err == nil {
				t.Errorf("cut at %d: no error", n)
			}
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		l := gz(t, tarOf(t, []testFile{{name: "a", body: strings.Repeat("x", 100000)}}))
		_, err := scanLayer(bytes.NewReader(l[:len(l)/2]), &Options{MaxLayerSize: 1 << 30, MaxFileRead: 1 << 20}, 0)
		if err == nil || !strings.Contains(err.Error(), "layer 0") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("digest mismatch", func(t *testing.T) {
		// Another layer content under the same config: the diff ID differs.
		var arch bytes.Buffer
		tr := tar.NewReader(bytes.NewReader(good))
		tw := tar.NewWriter(&arch)
		swapped := false
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			body := new(bytes.Buffer)
			body.ReadFrom(tr)
			b := body.Bytes()
			if !swapped && strings.HasSuffix(h.Name, ".tar.gz") {
				b = gz(t, tarOf(t, []testFile{{name: "evil", body: "x"}}))
				h.Size = int64(len(b))
				swapped = true
			}
			tw.WriteHeader(h)
			tw.Write(b)
		}
		tw.Close()
		err := read(arch.Bytes(), Options{})
		if err == nil || !strings.Contains(err.Error(), "digest mismatch") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("bomb", func(t *testing.T) {
		l := gz(t, tarOf(t, []testFile{{name: "zeros", body: strings.Repeat("\x00", 8<<20)}}))
		_, err := scanLayer(bytes.NewReader(l), &Options{MaxLayerSize: 1 << 20, MaxFileRead: 1 << 20}, 0)
		if !errors.Is(err, errTooLarge) {
			t.Errorf("got %v", err)
		}
		img := imageOf(t, v1.Config{}, nil, layerOf(t, []testFile{{name: "zeros", body: strings.Repeat("\x00", 8<<20)}}))
		if err := read(saveArchive(t, img, "a/b:c"), Options{MaxImageSize: 1 << 20}); !errors.Is(err, errTooLarge) {
			t.Errorf("image cap: got %v", err)
		}
	})
	t.Run("escaping entries", func(t *testing.T) {
		for _, f := range []testFile{
			{name: "../etc/passwd", body: "x"},
			{name: "/etc/passwd", body: "x"},
			{name: "a/../../b", body: "x"},
			{name: "hl", typ: tar.TypeLink, link: "../../etc/shadow"},
			{name: "hl", typ: tar.TypeLink, link: "/etc/shadow"},
		} {
			_, err := scanLayer(bytes.NewReader(tarOf(t, []testFile{f})), &Options{MaxFileRead: 1 << 20}, 0)
			if err == nil {
				t.Errorf("%s -> %s: no error", f.name, f.link)
			}
		}
		// A symlink out of the root is kept as data (resolved in the
		// container it stops at /); nothing is followed or written.
		ls, err := scanLayer(bytes.NewReader(tarOf(t, []testFile{{name: "a/l", typ: tar.TypeSymlink, link: "../../../etc"}})), &Options{MaxFileRead: 1 << 20}, 0)
		if err != nil || len(ls.Files) != 1 || len(ls.Notes) != 1 || !strings.Contains(ls.Notes[0], "climbs above the image root") {
			t.Errorf("symlink: %v %+v", err, ls)
		}
	})
	t.Run("not an archive", func(t *testing.T) {
		for _, b := range [][]byte{nil, []byte("hello"), tarOf(t, []testFile{{name: "x", body: "y"}})} {
			if err := read(b, Options{}); err == nil {
				t.Errorf("%q: no error", b[:min(len(b), 10)])
			}
		}
	})
}

// TestCompressions reads the same layer as gzip, zstd and plain tar: same
// entries, same diff ID.
func TestCompressions(t *testing.T) {
	t.Parallel()
	raw := tarOf(t, []testFile{{name: "etc/app.conf", body: "token=" + ghToken + "\n"}, {name: "bin/x", body: "\x7fELF", mode: 0o2755}})
	var zs bytes.Buffer
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(raw)
	zw.Close()
	var want string
	for name, b := range map[string][]byte{"tar": raw, "gzip": gz(t, raw), "zstd": zs.Bytes()} {
		ls, err := scanLayer(bytes.NewReader(b), &Options{MaxLayerSize: 1 << 20, MaxFileRead: 1 << 20}, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want == "" {
			want = ls.DiffID
		}
		if ls.DiffID != want || len(ls.Files) != 2 || ls.Files[0].text == nil || len(ls.Files[0].text.secrets) != 1 || ls.Files[1].mode != 0o2755 {
			t.Errorf("%s: %+v", name, ls)
		}
	}
}

// TestPlatform picks an image of a multi-platform index in a registry and
// in a layout; an index with no image for the platform is a clear error.
func TestPlatform(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "s390x"
	}
	img := insecureImage(t)
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: other}}})
	srv := httptest.NewServer(registry.New(registry.Logger(nilLogger())))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, _ := name.NewTag(host+"/multi:1", name.Insecure)
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	opt := Options{AllEntries: true, InsecureRegistries: []string{host}}
	if _, err := Load(ctx, "registry:"+host+"/multi:1", opt); err == nil {
		t.Error("registry: no image for this platform, no error")
	}
	opt.Platform = "linux/" + other
	res, err := Load(ctx, "registry:"+host+"/multi:1", opt)
	if err != nil {
		t.Fatal(err)
	}
	checkInsecure(t, res.Image)
	opt.Platform = "nonsense"
	if _, err := Load(ctx, "registry:"+host+"/multi:1", opt); err == nil {
		t.Error("bad platform: no error")
	}

	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{other, "ppc64le"} {
		if err := lp.AppendImage(img, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: arch})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(ctx, "oci:"+dir, Options{}); err == nil || !strings.Contains(err.Error(), "--platform") {
		t.Errorf("layout: got %v", err)
	}
	if _, err := Load(ctx, "oci:"+dir, Options{Platform: "linux/" + other}); err != nil {
		t.Errorf("layout with platform: %v", err)
	}
}

// TestPrivilegeDrop: a root image whose entrypoint script drops privileges
// with gosu (present in the image) is a low root-start-drop finding, not
// root-user; without gosu in the image it stays root-user.
func TestPrivilegeDrop(t *testing.T) {
	t.Parallel()
	script := "#!/bin/sh\nset -e\nexec gosu app \"$@\"\n"
	for _, withTool := range []bool{true, false} {
		files := []testFile{{name: "usr/local/bin/docker-entrypoint.sh", body: script, mode: 0o755}}
		if withTool {
			files = append(files, testFile{name: "usr/local/bin/gosu", body: "\x7fELF", mode: 0o755})
		}
		img := imageOf(t, v1.Config{Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"app"}}, nil, layerOf(t, files))
		res, err := ReadArchive(context.Background(), bytes.NewReader(saveArchive(t, img, "a/b:1")), "drop", "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		fs := findings(res.Image, rules.Config{})
		if withTool != has(fs, "root-start-drop", "gosu") || withTool == has(fs, "root-user", "") {
			for _, f := range fs {
				t.Logf("%s %s", f.Rule.Slug, f.Message)
			}
			t.Errorf("gosu in the image %v: drop %v, root-user %v", withTool, has(fs, "root-start-drop", "gosu"), has(fs, "root-user", ""))
		}
	}
}

// TestNotableEntries: by default only the entries the image rules judge
// are kept (set-id files, removed ones too, world-writable folders,
// secrets, PATH folders), with their locations; the findings are the same
// as with every entry kept, and Entries still counts every entry.
func TestNotableEntries(t *testing.T) {
	t.Parallel()
	arch := saveArchive(t, insecureImage(t), "example.com/app:1.0")
	read := func(all bool) *facts.Image {
		res, err := ReadArchive(context.Background(), bytes.NewReader(arch), "docker-archive:app.tar", "", Options{AllEntries: all})
		if err != nil {
			t.Fatal(err)
		}
		return res.Image
	}
	some, all := read(false), read(true)
	if some.Entries != all.Entries || all.Entries != len(all.Files) || len(some.Files) >= len(all.Files) {
		t.Errorf("entries %d/%d, files kept %d of %d", some.Entries, all.Entries, len(some.Files), len(all.Files))
	}
	if f := findFile(some, "app/keep.txt", 0); f != nil {
		t.Errorf("a plain file is kept: %+v", f)
	}
	for _, p := range []string{"bin/su", "usr/bin/passwd", "usr/bin/sudo", "data", "app/.env"} {
		if f := findFile(some, p, 0); f == nil || f.At.File != "/"+p || f.At.Layer == "" {
			t.Errorf("%s: want kept with its location, got %+v", p, f)
		}
	}
	text := func(im *facts.Image) string {
		var b strings.Builder
		for _, f := range findings(im, rules.Config{}) {
			fmt.Fprintf(&b, "%s %s %s\n", f.Rule.Slug, f.Message, f.At)
		}
		return b.String()
	}
	if a, b := text(some), text(all); a != b {
		t.Errorf("findings differ:\nnotable entries:\n%s\nevery entry:\n%s", a, b)
	}
}

// A tag given for an archive is matched as Docker normalizes references:
// the short name, Docker Hub's other names, and no tag for latest.
func TestPickManifestNormalizes(t *testing.T) {
	ms := []saveManifest{{RepoTags: []string{"docker.io/library/ubuntu:latest"}}, {RepoTags: []string{"ghcr.io/acme/app:2"}}}
	for tag, want := range map[string]int{
		"ubuntu": 0, "ubuntu:latest": 0, "library/ubuntu": 0, "index.docker.io/library/ubuntu:latest": 0,
		"ghcr.io/acme/app:2": 1,
	} {
		m, err := pickManifest(ms, tag)
		if err != nil || m.RepoTags[0] != ms[want].RepoTags[0] {
			t.Errorf("%s: got %v, %v; want %s", tag, m.RepoTags, err, ms[want].RepoTags[0])
		}
	}
	for _, tag := range []string{"ubuntu:22.04", "ghcr.io/acme/app", "acme/app:2"} {
		if m, err := pickManifest(ms, tag); err == nil {
			t.Errorf("%s: picked %v, want an error", tag, m.RepoTags)
		}
	}
}
