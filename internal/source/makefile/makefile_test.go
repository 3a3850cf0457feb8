package makefile_test

import (
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/makefile"
	"github.com/dockguard/dockguard/internal/source/script"
)

const mk = "IMAGE := app:1\n" + // 1
	"DOCKER ?= docker\n" + // 2
	"FLAGS = --rm \\\n" + // 3
	"\t-it\n" + // 4
	"\n" + // 5
	".PHONY: run\n" + // 6
	"run: build ## start it\n" + // 7
	"\t@echo starting $@\n" + // 8
	"\t-$(DOCKER) run --privileged \\\n" + // 9
	"\t\t--memory $(MEM) $(IMAGE) sh -c 'echo $$HOME'\n" + // 10
	"# a comment between recipe lines\n" + // 11
	"\t+docker run -v /:/host alpine:3\n" + // 12
	"build: ; docker build --build-arg TOKEN=$$TOKEN .\n" + // 13
	"define HELP\n" + // 14
	"\tdocker run --privileged nope\n" + // 15
	"endef\n" + // 16
	"x = 1\n" + // 17
	"\tdocker run --privileged nope\n" // 18

func TestRecipes(t *testing.T) {
	units := makefile.Load("Makefile", []byte(mk))
	if len(units) != 2 {
		t.Fatalf("%d units", len(units))
	}
	if units[0].Subject.Name != "make run" || units[1].Subject.Name != "make build" {
		t.Errorf("subjects %v %v", units[0].Subject, units[1].Subject)
	}
	var srcs []string
	for _, u := range units {
		for _, c := range u.Chunks {
			srcs = append(srcs, c.Text.Src)
		}
	}
	want := []string{
		"echo starting $M",
		"docker run --privileged \\\n\t--memory ${MEM} ${IMAGE} sh -c 'echo $HOME'",
		"docker run -v /:/host alpine:3",
		"docker build --build-arg TOKEN=$TOKEN .",
	}
	if strings.Join(srcs, "|") != strings.Join(want, "|") {
		t.Fatalf("recipes:\n%q\nwant\n%q", srcs, want)
	}
	a := script.Analyze(units[0])
	if len(a.Errors) != 0 || len(a.Containers) != 2 {
		t.Fatalf("errors %v, %d containers", a.Errors, len(a.Containers))
	}
	c := container.Map(a.Containers[0].Spec)
	if c.Privileged.At != (facts.Location{Path: "Makefile", Line: 9, Column: 17}) {
		t.Errorf("--privileged at %+v", c.Privileged.At)
	}
	if !c.Memory.IsUnknown() || c.Memory.At.Line != 10 || c.Memory.At.Column != 3 {
		t.Errorf("--memory %+v", c.Memory)
	}
	if !c.Image.IsUnknown() {
		t.Errorf("image %+v", c.Image)
	}
	if c.Origin != (facts.Location{Path: "Makefile", Line: 9, Column: 3}) {
		t.Errorf("origin %+v", c.Origin)
	}
	c2 := container.Map(a.Containers[1].Spec)
	if len(c2.Mounts) != 1 || c2.Mounts[0].At != (facts.Location{Path: "Makefile", Line: 12, Column: 14}) {
		t.Errorf("mounts %+v", c2.Mounts)
	}
	b := script.Analyze(units[1])
	if len(b.Script.BuildArgs) != 1 || !b.Script.BuildArgs[0].Dynamic || b.Script.BuildArgs[0].At.Line != 13 {
		t.Errorf("build args %+v", b.Script.BuildArgs)
	}
}

func TestOneShell(t *testing.T) {
	units := makefile.Load("GNUmakefile", []byte(".ONESHELL:\nall:\n\t@if true; then\n\t  docker run --privileged alpine:3\n\tfi\n"))
	if len(units) != 1 || len(units[0].Chunks) != 1 {
		t.Fatalf("%+v", units)
	}
	a := script.Analyze(units[0])
	if len(a.Errors) != 0 || len(a.Containers) != 1 {
		t.Fatalf("errors %v, %d containers", a.Errors, len(a.Containers))
	}
	if at := container.Map(a.Containers[0].Spec).Privileged.At; at.Line != 4 || at.Column != 15 {
		t.Errorf("--privileged at %+v", at)
	}
}

func TestPlaceholder(t *testing.T) {
	for n := 2; n < 40; n++ {
		if p := script.Placeholder(n); len(p) != n || !strings.HasPrefix(p, "$") {
			t.Errorf("Placeholder(%d) = %q", n, p)
		}
	}
}

// FuzzLoad: no Makefile may panic, and every recipe byte maps into the file.
func FuzzLoad(f *testing.F) {
	f.Add(mk)
	f.Add(".ONESHELL:\nall:\n\t@if true; then\n\t  docker run x\n\tfi\n")
	f.Add(".RECIPEPREFIX = >\na:\n> docker run $(X) $${Y} $(shell a $(b)) ${c\n")
	f.Fuzz(func(t *testing.T, src string) {
		for _, u := range makefile.Load("Makefile", []byte(src)) {
			for _, c := range u.Chunks {
				for i := 0; i <= len(c.Text.Src); i++ {
					if off := c.Text.FileOffset(i); off < 0 || off > len(src) {
						t.Fatalf("offset %d of %q maps to %d, outside %d bytes", i, c.Text.Src, off, len(src))
					}
				}
			}
			script.Analyze(u)
		}
	})
}

// BenchmarkLoad cuts out and analyzes the recipes of a 700-line Makefile.
func BenchmarkLoad(b *testing.B) {
	src := []byte(strings.Repeat(mk, 40))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		for _, u := range makefile.Load("Makefile", src) {
			script.Analyze(u)
		}
	}
}
