package config

import (
	"testing"

	"github.com/dockguard/dockguard/internal/inputs"
)

// FuzzParse: any bytes give a configuration or an *inputs.Error naming the
// file, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Template))
	f.Add([]byte("harden:\n  memory: 1g\n  services:\n    web: {public: true, tmpfs: [/x]}\n  images:\n    nginx: {pids: 5}\n"))
	f.Add([]byte("harden:\n  services:\n    ? [a]\n    : {}\n"))
	f.Add([]byte("enforce:\n  exempt: {images: [x]}\nmaxMemory: 1g\n"))
	f.Add([]byte("harden: &a {services: {w: *a}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("c.yaml", data)
		if err != nil {
			if ie, ok := err.(*inputs.Error); !ok || ie.Path != "c.yaml" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if c == nil {
			t.Fatal("nil config without an error")
		}
	})
}
