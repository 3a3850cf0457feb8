package script_test

import (
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/script"
)

func TestShebang(t *testing.T) {
	for head, want := range map[string]string{
		"#!/bin/sh\n":                      "sh",
		"#!/bin/bash -e\n":                 "bash",
		"#! /usr/bin/env bash\n":           "bash",
		"#!/usr/bin/env -S bash -eu\n":     "bash",
		"#!/usr/bin/env LANG=C zsh":        "zsh",
		"\uFEFF#!/bin/dash\n":              "dash",
		"#!/bin/busybox ash\n":             "ash",
		"#!/usr/bin/python3\n":             "",
		"#!/usr/bin/env node\n":            "",
		"# not a shebang\n":                "",
		"#!":                               "",
		"echo hi\n":                        "",
		"#!/usr/local/bin/ksh93\necho x\n": "ksh93",
	} {
		if got := script.Shebang([]byte(head)); got != want {
			t.Errorf("Shebang(%q) = %q, want %q", head, got, want)
		}
	}
}

const deploy = `#!/bin/bash
set -e
start() {
  sudo docker run -d \
    --privileged \
    "$IMAGE"
}
docker login -u ci -p ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d ghcr.io
echo "s3cr3t-Zq4xN8vR2mT7kP1wY5cH" | docker login --password-stdin ghcr.io
docker build --build-arg NPM_TOKEN=$NPM_TOKEN --build-arg=VERSION=1 --build-arg TOKEN .
ID=$(docker create --cap-add SYS_ADMIN alpine:3)
sh -c 'podman run --pid=host alpine:3'
`

func TestAnalyze(t *testing.T) {
	a := script.Analyze(script.Load("deploy.sh", []byte(deploy)))
	if len(a.Errors) != 0 {
		t.Fatal(a.Errors)
	}
	if len(a.Containers) != 3 {
		t.Fatalf("%d containers", len(a.Containers))
	}
	c := container.Map(a.Containers[0].Spec)
	if c.Origin != (facts.Location{Path: "deploy.sh", Line: 4, Column: 3}) || c.Privileged.At != (facts.Location{Path: "deploy.sh", Line: 5, Column: 5}) || !c.Image.IsUnknown() {
		t.Errorf("origin %+v privileged %+v image %+v", c.Origin, c.Privileged.At, c.Image)
	}
	if c := container.Map(a.Containers[1].Spec); c.CapAdd.At.Line != 11 {
		t.Errorf("docker create in $(…): %+v", c.CapAdd)
	}
	if c := container.Map(a.Containers[2].Spec); c.Engine != "podman" || c.Origin.Line != 12 {
		t.Errorf("sh -c body: %+v %+v", c.Engine, c.Origin)
	}
	s := a.Script
	if s.Subject != (facts.Subject{Kind: "script", Name: "deploy.sh"}) {
		t.Errorf("subject %+v", s.Subject)
	}
	var creds []string
	for _, cr := range s.Credentials {
		creds = append(creds, cr.What+"@"+cr.At.String())
	}
	if want := "docker login -p@deploy.sh:8:23|echo … | docker login --password-stdin@deploy.sh:9:6"; strings.Join(creds, "|") != want {
		t.Errorf("credentials %q, want %q", strings.Join(creds, "|"), want)
	}
	var args []string
	for _, b := range s.BuildArgs {
		args = append(args, b.Name+"="+b.Value)
		if (b.Name == "VERSION") == b.Dynamic {
			t.Errorf("%s dynamic %v", b.Name, b.Dynamic)
		}
	}
	if strings.Join(args, " ") != "NPM_TOKEN=$NPM_TOKEN VERSION=1 TOKEN=" {
		t.Errorf("build args %q", args)
	}
}

func TestBadScripts(t *testing.T) {
	a := script.Analyze(script.Load("bad.sh", []byte("echo ok\nif then fi (\n")))
	if len(a.Errors) != 1 || a.Errors[0].Path != "bad.sh" || a.Errors[0].Line != 2 || !strings.Contains(a.Errors[0].Message, "cannot parse shell script") {
		t.Errorf("errors %v", a.Errors)
	}
	// zsh syntax the parser cannot read is a note, not an error.
	a = script.Analyze(script.Load("z", []byte("#!/bin/zsh\nfor f (*.txt) echo $f\n")))
	if len(a.Errors) != 0 || len(a.Notes) != 1 || !strings.Contains(a.Notes[0].Message, "zsh") {
		t.Errorf("zsh: errors %v notes %v", a.Errors, a.Notes)
	}
	// A run line Docker refuses is an error at its line.
	a = script.Analyze(script.Load("r.sh", []byte("true\ndocker run --bogus alpine\n")))
	if len(a.Errors) != 1 || a.Errors[0].Line != 2 {
		t.Errorf("errors %v", a.Errors)
	}
}

func TestText(t *testing.T) {
	b := script.NewBuilder(10)
	b.Copy("ab", 10)
	b.Put("$", 12)
	b.Copy("c", 14)
	tx := b.Text()
	for i, want := range []int{10, 11, 12, 14, 14} {
		if got := tx.FileOffset(i); got != want {
			t.Errorf("FileOffset(%d) = %d, want %d", i, got, want)
		}
	}
	l := script.NewLines("f", "a\nbc\r\n\nd")
	if l.Count() != 4 || l.Line(2) != "bc" || l.At(3) != (facts.Location{Path: "f", Line: 2, Column: 2}) || l.At(100).Line != 4 {
		t.Errorf("lines: %d %q %+v", l.Count(), l.Line(2), l.At(3))
	}
}

// FuzzLoad: no script may panic the analysis, and positions stay in the
// file.
func FuzzLoad(f *testing.F) {
	f.Add(deploy)
	f.Add("#!/bin/zsh\ndocker run $(docker create x) <<< pw\n")
	f.Add("echo pw | podman login -p x --password-stdin r && buildah bud --build-arg=A .")
	f.Fuzz(func(t *testing.T, src string) {
		lines := script.NewLines("f", src)
		a := script.Analyze(script.Load("f", []byte(src)))
		for _, c := range a.Script.Commands {
			if c.At.Line < 1 || c.At.Line > lines.Count()+1 {
				t.Fatalf("command at line %d of %d", c.At.Line, lines.Count())
			}
		}
		for _, r := range a.Containers {
			container.Map(r.Spec)
		}
	})
}

// BenchmarkAnalyze parses and analyzes a 500-line deploy script.
func BenchmarkAnalyze(b *testing.B) {
	src := []byte(strings.Repeat(deploy, 40))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		script.Analyze(script.Load("deploy.sh", src))
	}
}
