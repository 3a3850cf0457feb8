package config

import (
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/inputs"
)

func TestParseHarden(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
harden:
  memory: 256m
  cpus: 0.5
  pids: 128
  nofile: 4096
  nproc: 256:512
  restartRetries: 3
  tmpfs: [/var/cache/app]
  services:
    web: {memory: 1g, public: true, tmpfs: [/srv/tmp]}
    worker:
  images:
    nginx: {memory: 128m}
    "postgres:17": {pids: 512}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := c.Harden
	d := h.Defaults
	if d.Memory != 256<<20 || d.CPUs != "0.5" || d.Pids != 128 || d.NoFile != "4096:4096" || d.NProc != "256:512" ||
		d.RestartRetries != 3 || d.Public != nil || len(d.Tmpfs) != 1 || d.Tmpfs[0] != "/var/cache/app" {
		t.Errorf("defaults %+v", d)
	}
	web := h.Services["web"]
	if web.Memory != 1<<30 || web.Public == nil || !*web.Public || web.Tmpfs[0] != "/srv/tmp" {
		t.Errorf("web %+v", web)
	}
	if _, ok := h.Services["worker"]; !ok {
		t.Errorf("an empty entry is kept: %+v", h.Services)
	}
	if h.Images["nginx"].Memory != 128<<20 || h.Images["postgres:17"].Pids != 512 {
		t.Errorf("images %+v", h.Images)
	}
}

// TestTemplateHardenBlock uncomments the harden block of the template: it
// parses, and gives the built-in defaults it documents.
func TestTemplateHardenBlock(t *testing.T) {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(Template, "\n") {
		switch {
		case l == "# harden:":
			in = true
		case in && !strings.HasPrefix(l, "#   "):
			in = false
		}
		if in {
			l = strings.TrimPrefix(l, "# ")
			if i := strings.Index(l, "  #"); i >= 0 {
				l = l[:i]
			}
			b.WriteString(l + "\n")
		}
	}
	c, err := Parse("t.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	d := c.Harden.Defaults
	if d.Memory != 512<<20 || d.CPUs != "1" || d.Pids != 256 || d.NoFile != "1024:2048" || d.NProc != "512:512" ||
		d.RestartRetries != 5 || d.Public == nil || *d.Public {
		t.Errorf("template harden block: %+v\n%s", d, b.String())
	}
}

func TestHardenErrorsHaveLines(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
		msg  string
	}{
		{"harden: 3\n", 1, "map"},
		{"harden:\n  memroy: 1g\n", 2, "unknown key \"memroy\""},
		{"harden:\n  memory: lots\n", 2, "harden.memory"},
		{"harden:\n  memory: [1g]\n", 2, "single value"},
		{"harden:\n  cpus: -1\n", 2, "harden.cpus"},
		{"harden:\n  pids: 0\n", 2, "harden.pids"},
		{"harden:\n  nofile: 2048:1024\n", 2, "soft at most hard"},
		{"harden:\n  restartRetries: 0\n", 2, "restartRetries"},
		{"harden:\n  public: maybe\n", 2, "true or false"},
		{"harden:\n  tmpfs: [tmp]\n", 2, "absolute"},
		{"harden:\n  tmpfs: /tmp\n", 2, "list"},
		{"harden:\n  services: [web]\n", 2, "map of names"},
		{"harden:\n  services:\n    web:\n      memory: 1g\n      publc: true\n", 5, "harden.services.web: unknown key \"publc\""},
		{"harden:\n  services:\n    web: {memory: 1x}\n", 3, "harden.services.web.memory"},
		{"harden:\n  images:\n    nginx: {pids: [1]}\n", 3, "single value"},
		{"harden:\n  images:\n    nginx: 3\n", 3, "must be a map"},
		{"harden:\n  images:\n    nginx@sha256:abc: {pids: 5}\n", 3, "repository or repository:tag"},
	} {
		_, err := Parse("c.yaml", []byte(tc.src))
		ie, ok := err.(*inputs.Error)
		if !ok {
			t.Errorf("%q: want *inputs.Error, got %v", tc.src, err)
			continue
		}
		if ie.Path != "c.yaml" || ie.Line != tc.line || !strings.Contains(ie.Message, tc.msg) {
			t.Errorf("%q: got %v, want line %d containing %q", tc.src, ie, tc.line, tc.msg)
		}
	}
}
