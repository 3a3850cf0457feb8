package image

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"
)

// benchImage writes a generated docker save archive of about mb MiB
// uncompressed in 5 gzip layers (88% of the bytes small random binary
// files of 1–16 KiB, text files of 1–8 KiB some with a secret, 256 KiB
// files, 50 MiB blobs from 512 MiB up, whiteouts in the upper layers) and
// returns its path and its layer files.
func benchImage(tb testing.TB, dir string, mb int) (string, []string) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	const layers = 5
	type gen struct {
		f    *os.File
		gz   *gzip.Writer
		tw   *tar.Writer
		diff hash.Hash
		raw  hash.Hash
	}
	gs := make([]*gen, layers)
	var paths []string
	for i := range gs {
		p := filepath.Join(dir, fmt.Sprintf("layer%d.tar.gz", i))
		f, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		g := &gen{f: f, diff: sha256.New(), raw: sha256.New()}
		g.gz, _ = gzip.NewWriterLevel(io.MultiWriter(f, g.raw), gzip.BestSpeed)
		g.tw = tar.NewWriter(io.MultiWriter(g.gz, g.diff))
		gs[i], paths = g, append(paths, p)
	}
	buf := make([]byte, 50<<20)
	add := func(l int, name string, size int, text bool) {
		b := buf[:size]
		if text {
			for i := range b {
				b[i] = "abcdefghij klmnopqrstuvwxyz=\n"[rng.IntN(29)]
			}
			if rng.IntN(50) == 0 && size > 100 {
				copy(b[10:], "TOKEN="+ghToken+"\n")
			}
		} else {
			for i := 0; i+8 <= len(b); i += 8 {
				v := rng.Uint64()
				for k := range 8 {
					b[i+k] = byte(v >> (8 * k))
				}
			}
		}
		gs[l].tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
		gs[l].tw.Write(b)
	}
	budget := int64(mb) << 20
	var n int
	for budget > 0 {
		l := n % layers
		switch {
		case mb >= 512 && n%20000 == 19999:
			add(l, fmt.Sprintf("blob/%d.bin", n), 50<<20, false)
			budget -= 50 << 20
		case n%100 == 99:
			add(l, fmt.Sprintf("med/%d/%d.bin", n%97, n), 256<<10, false)
			budget -= 256 << 10
		case n%10 == 9:
			s := 1024 + rng.IntN(7*1024)
			add(l, fmt.Sprintf("etc/conf%d/%d.conf", n%53, n), s, true)
			budget -= int64(s)
		default:
			s := 1024 + rng.IntN(15*1024)
			add(l, fmt.Sprintf("usr/lib/d%d/%d.so", n%211, n), s, false)
			budget -= int64(s)
		}
		if l > 0 && n%1000 == 0 {
			// Delete a file of the layer below.
			gs[l].tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/lib/d%d/.wh.%d.so", (n-1)%211, n-1), Typeflag: tar.TypeReg})
		}
		n++
	}
	var diffIDs, names []string
	for i, g := range gs {
		g.tw.Close()
		g.gz.Close()
		g.f.Close()
		diffIDs = append(diffIDs, sum(g.diff))
		names = append(names, "layer"+strconv.Itoa(i)+".tar.gz")
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{"User": "app"},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}})
	cs := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(cs[:]) + ".json"
	man, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"bench:1"}, "Layers": names}})
	arch := filepath.Join(dir, "bench.tar")
	f, err := os.Create(arch)
	if err != nil {
		tb.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for i, p := range paths {
		st, _ := os.Stat(p)
		tw.WriteHeader(&tar.Header{Name: names[i], Mode: 0o644, Size: st.Size(), Typeflag: tar.TypeReg})
		lf, _ := os.Open(p)
		io.Copy(tw, lf)
		lf.Close()
	}
	for _, m := range []struct {
		name string
		b    []byte
	}{{cfgName, cfg}, {"manifest.json", man}} {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.b)), Typeflag: tar.TypeReg})
		tw.Write(m.b)
	}
	tw.Close()
	f.Close()
	return arch, paths
}

// benchLayout writes the benchmark image's layers (the same gzip files) as
// an OCI image layout with go-containerregistry and returns its folder.
func benchLayout(tb testing.TB, dir string, layers []string) string {
	tb.Helper()
	var ls []v1.Layer
	for _, p := range layers {
		l, err := tarball.LayerFromFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		tb.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{User: "app"})
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "bench-oci")
	os.RemoveAll(out)
	lp, err := layout.Write(out, empty.Index)
	if err != nil {
		tb.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		tb.Fatal(err)
	}
	return out
}

// decompressLayers times decompressing every layer file in turn, with
// klauspost's gzip and with gzip -dc (when installed).
func decompressLayers(tb testing.TB, layers []string) (decomp, gzipCLI time.Duration) {
	for _, p := range layers {
		t0 := time.Now()
		f, _ := os.Open(p)
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(io.Discard, zr)
		f.Close()
		decomp += time.Since(t0)
		if _, err := exec.LookPath("gzip"); err == nil {
			t0 = time.Now()
			exec.Command("sh", "-c", "gzip -dc <'"+p+"' >/dev/null").Run()
			gzipCLI += time.Since(t0)
		}
	}
	return decomp, gzipCLI
}

// BenchmarkScan compares reading a generated image (the whole image
// source: layers, whiteouts, secret scan) with decompressing its layers
// alone, one after the other, in the same run: as a docker save archive
// (read as one stream, layer after layer) and as an OCI layout (layers read
// in parallel). DOCKGUARD_BENCH_IMAGE_MB sets the uncompressed size
// (default 128; the figure is 1024). Peak RSS of the process is
// reported as maxrss-MB (it includes the generator's 50 MiB buffer; measure
// the CLI on the kept archive and layout, DOCKGUARD_BENCH_DIR, for the scan
// alone).
func BenchmarkScan(b *testing.B) {
	mb := 128
	if s := os.Getenv("DOCKGUARD_BENCH_IMAGE_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	if d := os.Getenv("DOCKGUARD_BENCH_DIR"); d != "" {
		dir = d // keep the archive and the layout, to measure the CLI's RSS on them
	}
	arch, layers := benchImage(b, dir, mb)
	oci := benchLayout(b, dir, layers)
	for _, c := range []struct {
		name string
		read func() (*Result, error)
	}{
		{"docker-archive", func() (*Result, error) {
			f, err := os.Open(arch)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return ReadArchive(context.Background(), f, "bench", "", Options{})
		}},
		{"oci-layout", func() (*Result, error) { return Load(context.Background(), "oci:"+oci, Options{}) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			decomp, gzipCLI := decompressLayers(b, layers)
			b.ResetTimer()
			t0 := time.Now()
			for b.Loop() {
				res, err := c.read()
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Image.Files) == 0 {
					b.Fatal("no files")
				}
			}
			scan := time.Since(t0) / time.Duration(b.N)
			b.ReportMetric(float64(mb), "image-MB")
			b.ReportMetric(decomp.Seconds(), "decompress-s")
			b.ReportMetric(gzipCLI.Seconds(), "gzip-dc-s")
			b.ReportMetric(scan.Seconds()/decomp.Seconds(), "x-decompress")
			if gzipCLI > 0 {
				b.ReportMetric(scan.Seconds()/gzipCLI.Seconds(), "x-gzip-dc")
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
		})
	}
}
