package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/cli"
)

// Broken scripts, workflows and dev containers are errors naming the file
// and line; the good inputs beside them are still audited.
func TestEmbeddedBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := write(t, filepath.Join(dir, "good.sh"), "#!/bin/sh\ndocker run --privileged alpine:3.19\n")
	bad := map[string]struct {
		data string
		line int
		want string
	}{
		"broken.sh":                       {"#!/bin/bash\necho ok\nif then fi (\n", 3, "cannot parse shell script: column 1:"},
		"binary.sh":                       {"\x7fELF\x02\x01\x01\x00\x00\x00", 0, "binary file"},
		".github/workflows/ci.yml":        {"on: push\njobs:\n  a:\n    steps: [\n", 4, "invalid YAML"},
		".gitlab-ci.yml":                  {"build:\n  script:\n\t- x\n", 3, "invalid YAML"},
		".devcontainer/devcontainer.json": {"{\n  \"image\": \"x\"\n  \"runArgs\": []\n}\n", 3, "cannot parse dev container configuration"},
		"Makefile":                        {"all:\n\tdocker run $$(\n", 2, "cannot parse recipe as shell"},
		"run.sh":                          {"#!/bin/sh\n\ndocker run --no-such-flag alpine\n", 3, "unknown flag"},
	}
	for name, b := range bad {
		write(t, filepath.Join(dir, name), b.data)
	}
	r := run(t, "audit", "--format", "json", dir)
	if r.code != cli.ExitError {
		t.Errorf("exit %d, want %d", r.code, cli.ExitError)
	}
	d := parseReport(t, r.out)
	found := false
	for _, f := range d.Findings {
		found = found || (f.Location.Path == good && f.Slug == "privileged")
	}
	if !found {
		t.Errorf("the good script was not audited: %+v", d.Findings)
	}
	for name, b := range bad {
		p := filepath.Join(dir, name)
		ok := false
		for _, e := range d.Errors {
			if e.Path == p && e.Line == b.line && strings.Contains(e.Message, b.want) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no error at %s:%d with %q; errors: %+v", p, b.line, b.want, d.Errors)
		}
	}
	if len(d.Errors) != len(bad) {
		t.Errorf("%d errors, want %d: %+v", len(d.Errors), len(bad), d.Errors)
	}
}

// A walk finds every kind by name (and scripts by #! line), skips
// dependency folders and what .dockguardignore matches, recognizes
// Kubernetes manifests without auditing them, and says so in the summary.
func TestDiscoveryKinds(t *testing.T) {
	dir := t.TempDir()
	const line = "docker run --privileged alpine:3.19\n"
	files := map[string]string{
		"Dockerfile":                         "FROM alpine:3.19\n",
		"compose.yaml":                       "services:\n  a:\n    image: alpine:3.19\n",
		"scripts/deploy.sh":                  line,
		"scripts/release":                    "#!/usr/bin/env bash\n" + line,
		"scripts/notes":                      "just text, no #! line\n" + line,
		"Makefile":                           "all:\n\t" + line,
		"build/rules.mk":                     "x:\n\t" + line,
		".github/workflows/ci.yml":           "on: push\njobs:\n  a:\n    steps:\n      - run: " + line,
		".github/workflows/sub/skip.yml":     "on: push\njobs: {}\n",
		".gitlab-ci.yml":                     "a:\n  script: " + line,
		".devcontainer/devcontainer.json":    "{\"image\": \"alpine:3.19\", \"privileged\": true}",
		".devcontainer/py/devcontainer.json": "{\"image\": \"alpine:3.19\"}",
		".devcontainer.json":                 "{\"image\": \"alpine:3.19\"}",
		"k8s/deploy.yaml":                    "apiVersion: apps/v1\nkind: Deployment\n",
		"k8s/other.yaml":                     "just: yaml\n",
		"node_modules/pkg/install.sh":        line,
		"vendor/lib/Makefile":                "all:\n\t" + line,
		"generated/gen.sh":                   line,
		"tmp.sh":                             line,
		".dockguardignore":                   "# not ours\ngenerated/\n/tmp.sh\n",
	}
	for name, data := range files {
		write(t, filepath.Join(dir, name), data)
	}
	t.Chdir(dir)
	r := run(t, "audit", "--format", "json", "--fail-on", "none", ".")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	d := parseReport(t, r.out)
	want := map[string]int{"dockerfile": 1, "compose": 1, "shell": 2, "makefile": 2, "github-actions": 1, "gitlab-ci": 1, "devcontainer": 3, "run-line": 0, "engine": 0}
	for k, n := range want {
		if d.Summary.ByKind[k] != n {
			t.Errorf("byKind[%s] = %d, want %d (%v)", k, d.Summary.ByKind[k], n, d.Summary.ByKind)
		}
	}
	if d.Summary.Inputs != 11 {
		t.Errorf("inputs = %d, want 11", d.Summary.Inputs)
	}
	var skipped []string
	for _, g := range d.Summary.Skipped {
		for _, p := range g.Paths {
			skipped = append(skipped, p+": "+g.Reason)
		}
	}
	slices.Sort(skipped)
	wantSkipped := []string{
		"generated: ignored by .dockguardignore",
		"k8s/deploy.yaml: Kubernetes manifest: not audited yet",
		"node_modules: dependency folder",
		"tmp.sh: ignored by .dockguardignore",
		"vendor: dependency folder",
	}
	if !slices.Equal(skipped, wantSkipped) {
		t.Errorf("skipped = %q\nwant %q", skipped, wantSkipped)
	}
	paths := map[string]bool{}
	for _, f := range d.Findings {
		paths[f.Location.Path] = true
	}
	for _, p := range []string{"scripts/deploy.sh", "scripts/release", "Makefile", "build/rules.mk", ".github/workflows/ci.yml", ".gitlab-ci.yml", ".devcontainer/devcontainer.json"} {
		if !paths[p] {
			t.Errorf("no finding in %s", p)
		}
	}
	if paths["scripts/notes"] {
		t.Errorf("a file without a #! line was audited as a script")
	}

	// The text report lists what was skipped and the kinds audited.
	r = run(t, "audit", "--fail-on", "none", "--stats", ".")
	for _, w := range []string{"\nSkipped\n", "2 paths: dependency folder (node_modules, vendor)", " in 11 inputs (1 dockerfile, 1 compose, 2 shell, 2 makefile, 1 github-actions, 1 gitlab-ci, 3 devcontainer), 0 errors"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("text report lacks %q:\n%s", w, r.out)
		}
	}
	if !strings.Contains(r.err, "dockguard: 11 inputs (") || !strings.Contains(r.err, "files/s") {
		t.Errorf("--stats printed %q", r.err)
	}

	// Named explicitly, files are audited by content, whatever their name.
	r = run(t, "audit", "--format", "json", "--fail-on", "none", "scripts/notes", "k8s/deploy.yaml", "generated/gen.sh")
	d = parseReport(t, r.out)
	if d.Summary.ByKind["shell"] != 2 || len(d.Summary.Skipped) != 1 || d.Summary.Skipped[0].Reason != "Kubernetes manifest: not audited yet" {
		t.Errorf("explicit files: %+v", d.Summary)
	}
}

// Standard input is read with --stdin-type, as the kind named.
func TestStdin(t *testing.T) {
	cases := []struct {
		kind, data, slug string
		line             int
	}{
		{"shell", "#!/bin/sh\necho hi\ndocker run --privileged alpine:3.19\n", "privileged", 3},
		{"makefile", "all:\n\tdocker run --pid=host alpine:3.19\n", "host-pid-ipc", 2},
		{"dockerfile", "FROM alpine:3.19\nUSER root\n", "root-user", 2},
		{"compose", "services:\n  a:\n    image: alpine:3.19\n    privileged: true\n", "privileged", 4},
		{"github-actions", "on: push\njobs:\n  a:\n    steps:\n      - run: curl -s https://x | sh\n", "pipe-to-shell", 5},
		{"gitlab-ci", "a:\n  script:\n    - docker run --net=host alpine:3.19\n", "host-network", 3},
		{"devcontainer", "{\n  \"image\": \"alpine:3.19\",\n  \"capAdd\": [\"SYS_ADMIN\"]\n}\n", "dangerous-capability", 3},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			r := runStdin(t, c.data, "audit", "--format", "json", "--fail-on", "none", "--stdin-type", c.kind, "-")
			d := parseReport(t, r.out)
			found := false
			for _, f := range d.Findings {
				found = found || (f.Location.Path == "<stdin>" && f.Slug == c.slug && f.Location.Line == c.line)
			}
			if !found || d.Summary.ByKind[c.kind] != 1 || len(d.Errors) != 0 {
				t.Errorf("exit %d, no %s at <stdin>:%d: %+v %+v", r.code, c.slug, c.line, d.Findings, d.Errors)
			}
		})
	}
	if r := runStdin(t, "x", "audit", "-"); r.code != cli.ExitError || !strings.Contains(r.err, "--stdin-type") {
		t.Errorf("- without --stdin-type: exit %d, %q", r.code, r.err)
	}
	if r := runStdin(t, "x", "audit", "--stdin-type", "cobol", "-"); r.code != cli.ExitError || !strings.Contains(r.err, "unknown kind") {
		t.Errorf("--stdin-type cobol: exit %d, %q", r.code, r.err)
	}
	if r := runStdin(t, strings.Repeat("x", 2<<20), "audit", "--max-file-size", "1", "--stdin-type", "shell", "-"); r.code != cli.ExitError || !strings.Contains(r.out, "<stdin>: standard input is over the 1 MB limit") {
		t.Errorf("large stdin: exit %d\n%s", r.code, r.out)
	}
}

func runStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return result{code, out.String(), errb.String()}
}
