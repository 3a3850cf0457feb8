package devcontainer_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/source/devcontainer"
)

const cfg = `// comment
{
  "name": "dev", /* inline */
  "image": "mcr.microsoft.com/devcontainers/base:ubuntu",
  "runArgs": ["--cap-add=SYS_PTRACE", "--security-opt", "seccomp=unconfined",],
  "privileged": true,
  "capAdd": ["NET_ADMIN"],
  "mounts": [
    "source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind",
    {"type": "bind", "source": "${localEnv:HOME}/.ssh", "target": "/root/.ssh"},
  ],
  "containerUser": "root",
  "containerEnv": {"TOKEN": "x\u00e9\"y"},
}
`

func TestLoad(t *testing.T) {
	c, err := devcontainer.Load(".devcontainer/devcontainer.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	fc := container.Map(c.Container.Spec)
	at := func(line, col int) facts.Location {
		return facts.Location{Path: ".devcontainer/devcontainer.json", Line: line, Column: col}
	}
	if fc.Subject.Name != "dev" || fc.Image.V != "mcr.microsoft.com/devcontainers/base:ubuntu" || fc.Image.At != at(4, 12) {
		t.Errorf("subject %v image %+v", fc.Subject, fc.Image)
	}
	if !fc.Privileged.V || fc.Privileged.At != at(6, 17) {
		t.Errorf("privileged %+v", fc.Privileged)
	}
	if !reflect.DeepEqual(fc.CapAdd.V, []string{"SYS_PTRACE", "NET_ADMIN"}) {
		t.Errorf("caps %+v", fc.CapAdd)
	}
	if fc.SecurityOpt.SeccompProfile.V != "unconfined" || fc.SecurityOpt.SeccompProfile.At != at(5, 39) {
		t.Errorf("seccomp %+v", fc.SecurityOpt.SeccompProfile)
	}
	if len(fc.Mounts) != 1 || fc.Mounts[0].Source != "/var/run/docker.sock" || fc.Mounts[0].At != at(9, 5) {
		t.Errorf("mounts %+v", fc.Mounts)
	}
	if fc.User.V != "root" || len(fc.Env) != 1 || fc.Env[0].Value != "xé\"y" {
		t.Errorf("user %+v env %+v", fc.User, fc.Env)
	}
}

func TestBuild(t *testing.T) {
	c, err := devcontainer.Load(filepath.Join("a", ".devcontainer", "devcontainer.json"), []byte(`{"build": {"dockerfile": "Dockerfile", "context": "..", "target": "dev", "args": {"NPM_TOKEN": "${localEnv:NPM_TOKEN}"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dockerfile != filepath.Join("a", ".devcontainer", "Dockerfile") || c.BuildContext != "a" || c.BuildTarget != "dev" || len(c.BuildArgs) != 1 || !c.BuildArgs[0].Dynamic {
		t.Errorf("%+v", c)
	}
	c, err = devcontainer.Load("x/devcontainer.json", []byte(`{"dockerComposeFile": "compose.yaml", "service": "app"}`))
	if err != nil || c.Container != nil || len(c.Notes) != 1 {
		t.Errorf("compose-based: %+v %v", c, err)
	}
}

func TestErrors(t *testing.T) {
	for src, line := range map[string]int{
		"{\n  \"image\": \"x\"\n  \"runArgs\": []\n}": 3,
		"{\n  /* open": 2,
		"[]":           1,
		"{}":           1,
		"{\"image\": \"x\", \"runArgs\": [\"--bogus\"]}": 1,
		"\x00": 1,
	} {
		_, err := devcontainer.Load("d.json", []byte(src))
		e, ok := err.(*inputs.Error)
		if !ok || e.Path != "d.json" || e.Line != line {
			t.Errorf("%q: %v, want an error at line %d", src, err, line)
		}
	}
}

// The parser agrees with encoding/json on plain JSON.
func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, src := range []string{`{"a": [1, 2.5e3, true, null, "x\ny\u0041\ud83d\ude00"], "b": {"c": "\/"}}`, `"s"`, `-0.5`} {
		v, err := devcontainer.ParseJSONC(src)
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal([]byte(src), &want); err != nil {
			t.Fatal(err)
		}
		if got := toAny(v); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %#v, want %#v", src, got, want)
		}
	}
}

func toAny(v *devcontainer.Value) any {
	switch v.Kind {
	case devcontainer.Object:
		m := map[string]any{}
		for _, mb := range v.Members {
			m[mb.Key] = toAny(mb.Value)
		}
		return m
	case devcontainer.Array:
		out := []any{}
		for _, it := range v.Items {
			out = append(out, toAny(it))
		}
		return out
	case devcontainer.String:
		return v.Str
	case devcontainer.Bool:
		return v.Str == "true"
	case devcontainer.Number:
		var f float64
		json.Unmarshal([]byte(v.Str), &f)
		return f
	}
	return nil
}

// FuzzLoad: no configuration may panic; what encoding/json accepts, the
// JSONC parser accepts too.
func FuzzLoad(f *testing.F) {
	f.Add(cfg)
	f.Add(`{"build": {"dockerfile": "D"}, "features": {"ghcr.io/devcontainers/features/docker-in-docker:2": {}}, "workspaceMount": "source=${localWorkspaceFolder},target=/w,type=bind"}`)
	f.Fuzz(func(t *testing.T, src string) {
		devcontainer.Load("d.json", []byte(src))
		if json.Valid([]byte(src)) && !strings.HasPrefix(src, "\uFEFF") {
			if _, err := devcontainer.ParseJSONC(src); err != nil {
				t.Fatalf("valid JSON refused: %v", err)
			}
		}
	})
}

// BenchmarkLoad reads a dev container configuration.
func BenchmarkLoad(b *testing.B) {
	src := []byte(cfg)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := devcontainer.Load("devcontainer.json", src); err != nil {
			b.Fatal(err)
		}
	}
}
