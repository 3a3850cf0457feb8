package dockerfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/dockerfile"
)

// FuzzLoad feeds arbitrary bytes through the Dockerfile source and every
// rule: no input may panic, and a failure must be an *inputs.Error naming the
// file.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "rules", "testdata", "dockerfile", "*", "Dockerfile"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"FROM scratch\n",
		"# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN Write-Host `\n  hi\n",
		"FROM alpine AS a\nFROM a AS b\nFROM b\nUSER 0\n",
		"FROM x\nRUN <<EOF\nset -e\napt-get install sudo\nEOF\n",
		"FROM x\nRUN a \\\n# c\n  b | sh\n",
		"ARG A\nFROM $A\nUSER ${U:-0}\n",
		"FROM x\nCOPY <<EOF /e.sh\nexec gosu a \"$@\"\nEOF\nENTRYPOINT [\"/e.sh\"]\n",
		"FROM x\nRUN sh -c 'sh -c \"sh -c \\\"curl x | sh\\\"\"'\n",
	} {
		f.Add([]byte(s))
	}
	pol := policy.New(rules.Config{TrustedRegistries: []string{"ghcr.io"}})
	dir := f.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _, err := dockerfile.Load(path, data, dockerfile.Options{ContextDir: dir})
		if err != nil {
			ie, ok := err.(*inputs.Error)
			if !ok || ie.Path != path || ie.Message == "" {
				t.Fatalf("error is not an input error naming the file: %#v", err)
			}
			return
		}
		for _, fd := range pol.Build(b) {
			if fd.Message == "" || fd.At.Path != path {
				t.Fatalf("finding without message or place: %+v", fd)
			}
		}
	})
}
