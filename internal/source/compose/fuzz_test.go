package compose

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/inputs"
)

// TestMain bounds how long the fuzzer minimizes a new input (60s by
// default): a Load costs milliseconds, so minimizing an input of a few
// hundred bytes takes the workers off fuzzing for most of a short
// `-fuzztime 30s` run. An explicit -fuzzminimizetime still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.fuzzminimizetime" })
	if f := flag.Lookup("test.fuzzminimizetime"); f != nil && !given {
		_ = f.Value.Set("100x")
	}
	os.Exit(m.Run())
}

// FuzzLoad writes arbitrary bytes to a compose.yaml and loads it: no input
// may panic, and a failure must be an *inputs.Error naming the file (or a
// file it includes or extends, which the input then names).
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.y*ml"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"services:\n  a:\n    image: x\n    privileged: ${P}\n",
		"services:\n  a:\n    image: ${I:?required}\n    ports: [\"${P}:80\", \"${H}:${Q}:81/udp\"]\n    volumes: [\"${D}:/d:ro\"]\n",
		"services:\n  a:\n    <<: *x\n",
		"x: &x {image: y}\nservices:\n  a:\n    <<: *x\n    extends: a\n",
		"web:\n  image: x\n  net: host\n",
		"include:\n  - compose.yaml\nservices: {}\n",
		"services:\n  a:\n    extends:\n      file: compose.yaml\n      service: a\n",
		"services:\n  a:\n    image: x\n    ports: !reset []\n    environment: !override {A: b}\n",
		"services:\n  a:\n    deploy:\n      resources:\n        limits: {memory: ${M}, cpus: ${C}, pids: ${N}}\n",
		"---\n---\nservices:\n  a: {image: x}\n---\nservices:\n  b: {image: y}\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), Options{Files: []string{path}})
		if err != nil {
			var ie *inputs.Error
			if !errors.As(err, &ie) || ie.Message == "" {
				t.Fatalf("error is not an input error: %#v", err)
			}
			// An include or extends may name the project folder itself
			// (`include: .`), which resolves to dir.
			if ie.Path != path && ie.Path != dir && !strings.Contains(string(data), filepath.Base(ie.Path)) {
				t.Fatalf("error names %s, neither the file nor one it names: %v", ie.Path, ie)
			}
			return
		}
		for _, s := range p.Services {
			c := container.Map(s.Spec)
			if c.Origin.Path == "" {
				t.Fatalf("service %s without origin", s.Name)
			}
		}
	})
}
