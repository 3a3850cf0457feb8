package audit

import (
	"path/filepath"
	"testing"

	"github.com/dockguard/dockguard/internal/inputs"
)

func TestClassify(t *testing.T) {
	for p, want := range map[string]inputs.Kind{
		"Dockerfile":                          KindDockerfile,
		"app/compose.yaml":                    KindCompose,
		"deploy.sh":                           KindShell,
		"x/run.BASH":                          KindShell,
		"Makefile":                            KindMakefile,
		"GNUmakefile":                         KindMakefile,
		"build/docker.mk":                     KindMakefile,
		".github/workflows/ci.yml":            KindGitHub,
		"repo/.github/workflows/release.yaml": KindGitHub,
		".github/workflows/sub/ci.yml":        kindMaybeYAML,
		".github/ci.yml":                      kindMaybeYAML,
		".gitlab-ci.yml":                      KindGitLab,
		".devcontainer/devcontainer.json":     KindDevcontainer,
		".devcontainer/py/devcontainer.json":  KindDevcontainer,
		".devcontainer.json":                  KindDevcontainer,
		"devcontainer.json":                   "",
		"k8s/deploy.yaml":                     kindMaybeYAML,
		"scripts/release":                     kindMaybeShell,
		".bashrc":                             kindMaybeShell,
		"README.md":                           "",
		"main.go":                             "",
		"Dockerfile.dockerignore":             "",
	} {
		if got := classify(filepath.FromSlash(p)); got != want {
			t.Errorf("classify(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestByContent(t *testing.T) {
	for _, c := range []struct {
		path, data string
		kind       inputs.Kind
		skip       string
	}{
		{"x", "#!/bin/sh\necho\n", KindShell, ""},
		{"x", "# comment\nFROM alpine\n", KindDockerfile, ""},
		{"x", "arg V=1\nfrom alpine\n", KindDockerfile, ""},
		{"x", "all:\n\techo hi\n", KindMakefile, ""},
		{"x", "docker run alpine\n", KindShell, ""},
		{"c.yml", "on: push\njobs:\n  a: {}\n", KindGitHub, ""},
		{"c.yml", "apiVersion: v1\nkind: Pod\n", "", SkipKubernetes},
		{"c.yml", "services:\n  a: {}\n", KindCompose, ""},
		{"c.yml", "stages: [a]\nb:\n  script: x\n", KindGitLab, ""},
		{"c.yml", "build:\n  script:\n    - x\n", KindGitLab, ""},
		{"c.yaml", "x: 1\n", KindCompose, ""},
		{"d.json", "{}", KindDevcontainer, ""},
	} {
		k, skip := byContent(c.path, []byte(c.data))
		if k != c.kind || skip != c.skip {
			t.Errorf("byContent(%q, %q) = %q %q, want %q %q", c.path, c.data, k, skip, c.kind, c.skip)
		}
	}
}
