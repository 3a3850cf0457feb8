package workflow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/source/script"
	"github.com/dockguard/dockguard/internal/source/workflow"
)

const gh = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    container:
      image: node:20
      options: --cpus 1 --privileged
    steps:
      - run: docker run --memory ${{ inputs.mem }} --pid=host alpine:3
      - run: |
          echo "unicode é"
          docker run \
            --cap-add=NET_ADMIN alpine:3
      - run: "docker run -v /:/host alpine:3"
      - run: >
          docker run --privileged
          alpine:3
`

func TestGitHubPositions(t *testing.T) {
	res, err := workflow.GitHub("ci.yml", []byte(gh))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Containers) != 1 || len(res.Units) != 1 {
		t.Fatalf("%d containers, %d units", len(res.Containers), len(res.Units))
	}
	job := container.Map(res.Containers[0].Spec)
	if job.Subject != (facts.Subject{Kind: "container", Name: "job build"}) || !job.Privileged.V || job.Privileged.At != (facts.Location{Path: "ci.yml", Line: 7, Column: 25}) {
		t.Errorf("job container %+v privileged %+v", job.Subject, job.Privileged)
	}
	a := script.Analyze(res.Units[0])
	if len(a.Errors) != 0 || len(a.Containers) != 4 {
		t.Fatalf("errors %v, %d containers", a.Errors, len(a.Containers))
	}
	c0 := container.Map(a.Containers[0].Spec)
	if !c0.Memory.IsUnknown() || !strings.Contains(c0.Memory.Why, "inputs_mem") {
		t.Errorf("memory %+v", c0.Memory)
	}
	// The column after the expression is right: --pid is at column 52.
	if at := c0.Namespaces[facts.NSPid].At; at != (facts.Location{Path: "ci.yml", Line: 9, Column: 52}) {
		t.Errorf("--pid at %+v", at)
	}
	c1 := container.Map(a.Containers[1].Spec)
	if c1.Origin != (facts.Location{Path: "ci.yml", Line: 12, Column: 11}) || c1.CapAdd.At != (facts.Location{Path: "ci.yml", Line: 13, Column: 13}) {
		t.Errorf("block scalar: origin %+v cap-add %+v", c1.Origin, c1.CapAdd.At)
	}
	c2 := container.Map(a.Containers[2].Spec)
	if len(c2.Mounts) != 1 || c2.Mounts[0].At != (facts.Location{Path: "ci.yml", Line: 14, Column: 26}) {
		t.Errorf("quoted scalar: mounts %+v", c2.Mounts)
	}
	// A folded scalar maps line by line, folding spaces included.
	c3 := container.Map(a.Containers[3].Spec)
	if c3.Privileged.At != (facts.Location{Path: "ci.yml", Line: 16, Column: 22}) || c3.Image.At != (facts.Location{Path: "ci.yml", Line: 17, Column: 11}) {
		t.Errorf("folded scalar: privileged at %+v, image at %+v", c3.Privileged.At, c3.Image.At)
	}
}

func TestGitHubShells(t *testing.T) {
	src := "on: push\ndefaults:\n  run:\n    shell: pwsh\njobs:\n  a:\n    steps:\n      - run: docker run --privileged x\n      - run: docker run --privileged y\n        shell: bash -e {0}\n  w:\n    runs-on: [self-hosted, windows]\n    defaults:\n      run:\n        shell: sh\n    steps:\n      - run: docker run z\n"
	res, err := workflow.GitHub("w.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 1 || res.Notes[0].At.Line != 8 || !strings.Contains(res.Notes[0].Message, "pwsh") {
		t.Errorf("notes %+v", res.Notes)
	}
	var n int
	for _, u := range res.Units {
		n += len(u.Chunks)
	}
	if n != 2 {
		t.Errorf("%d chunks, want the bash step and the sh job's step", n)
	}
}

func TestGitLab(t *testing.T) {
	src := `variables:
  DOCKER_CONTENT_TRUST: "0"
default:
  image: node:20
.tmpl: &tmpl
  - docker run --privileged alpine:3
build:
  image:
    name: alpine:3
    docker:
      user: root
  services:
    - postgres:16
    - name: docker:dind
      alias: dind,docker
      variables:
        TOKEN: abc
  before_script: *tmpl
  script:
    - echo hi
    - - nested
      - docker run --pid=host alpine:3
    - !reference [.tmpl]
  after_script: docker ps
`
	res, err := workflow.GitLab(".gitlab-ci.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range res.Containers {
		names = append(names, c.Spec.Subject.Kind+" "+c.Spec.Subject.Name)
		if c.DecidedBy == "" {
			t.Errorf("%v: runtime not marked as the runner's", c.Spec.Subject)
		}
	}
	if strings.Join(names, ",") != "container default,container job build,service postgres:16,service dind" {
		t.Errorf("containers %q", names)
	}
	user := container.Map(res.Containers[1].Spec).User
	if !user.IsSet() || user.V != "root" || user.At.Line != 11 {
		t.Errorf("user %+v", user)
	}
	var chunks []string
	for _, u := range res.Units {
		for _, c := range u.Chunks {
			chunks = append(chunks, u.Subject.Name+": "+c.Text.Src)
		}
	}
	want := "job build: docker run --privileged alpine:3|job build: echo hi|job build: nested|job build: docker run --pid=host alpine:3|job build: docker ps"
	if strings.Join(chunks, "|") != want {
		t.Errorf("chunks\n%q\nwant\n%q", strings.Join(chunks, "|"), want)
	}
	if res.Units[0].Subject.Name != "pipeline" || len(res.Units[0].Env) != 1 {
		t.Errorf("pipeline unit %+v", res.Units[0])
	}
}

func TestBadYAML(t *testing.T) {
	for _, src := range []string{"jobs: [\n", "on: push\njobs:\n  a:\n\tsteps: []\n", "- a\n- b\n", ""} {
		_, err := workflow.GitHub("ci.yml", []byte(src))
		e, ok := err.(*inputs.Error)
		if !ok || e.Path != "ci.yml" {
			t.Errorf("%q: error %v", src, err)
		}
	}
	_, err := workflow.GitLab(".gitlab-ci.yml", []byte("a:\n  script:\n    - x\n  b: [\n"))
	if e, ok := err.(*inputs.Error); !ok || e.Line == 0 || !strings.Contains(e.Message, "invalid YAML") {
		t.Errorf("error %v", err)
	}
}

func checkOffsets(t *testing.T, src string, res *workflow.Result) {
	for _, u := range res.Units {
		for _, c := range u.Chunks {
			for i := 0; i <= len(c.Text.Src); i++ {
				if off := c.Text.FileOffset(i); off < 0 || off > len(src) {
					t.Fatalf("offset %d maps to %d, outside %d bytes", i, off, len(src))
				}
			}
		}
		script.Analyze(u)
	}
}

// FuzzGitHub and FuzzGitLab: no CI file may panic, and every byte of the
// shell code cut out maps into the file.
func FuzzGitHub(f *testing.F) {
	f.Add(gh)
	f.Add("on: push\njobs:\n  a:\n    container: ${{ x }}\n    services:\n      s: {image: a, ports: [1], volumes: [b], env: {A: ${{ b }}}, options: '--cpus $((1))'}\n    steps:\n      - run: |2\n           docker run x\n")
	f.Fuzz(func(t *testing.T, src string) {
		if res, err := workflow.GitHub("ci.yml", []byte(src)); err == nil {
			checkOffsets(t, src, res)
		}
	})
}

func FuzzGitLab(f *testing.F) {
	f.Add("a: &a\n  script: [x]\nb:\n  <<: *a\n  image: {name: x, entrypoint: [y]}\n  services: [z, {name: w, alias: v}]\n  script:\n    - |\n      docker run q\n")
	f.Fuzz(func(t *testing.T, src string) {
		if res, err := workflow.GitLab(".gitlab-ci.yml", []byte(src)); err == nil {
			checkOffsets(t, src, res)
		}
	})
}

// Scalars YAML folds over several lines still map to their lines.
func TestFoldedPositions(t *testing.T) {
	src := "on: push\njobs:\n  a:\n    steps:\n      - run: docker run\n          --privileged\n          alpine:3\n      - run: \"docker run\n          --pid=host alpine:3\"\n"
	res, err := workflow.GitHub("f.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := script.Analyze(res.Units[0])
	if len(a.Containers) != 2 {
		t.Fatalf("%d containers, errors %v", len(a.Containers), a.Errors)
	}
	if at := container.Map(a.Containers[0].Spec).Privileged.At; at != (facts.Location{Path: "f.yml", Line: 6, Column: 11}) {
		t.Errorf("plain: --privileged at %+v", at)
	}
	if at := container.Map(a.Containers[1].Spec).Namespaces[facts.NSPid].At; at != (facts.Location{Path: "f.yml", Line: 9, Column: 11}) {
		t.Errorf("quoted: --pid at %+v", at)
	}
}

// BenchmarkGitHub reads and analyzes a workflow of 40 jobs.
func BenchmarkGitHub(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("on: push\njobs:\n")
	job := gh[strings.Index(gh, "  build:\n")+len("  build:\n"):]
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&sb, "  build%d:\n%s", i, job)
	}
	src := []byte(sb.String())
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		res, err := workflow.GitHub("ci.yml", src)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range res.Units {
			script.Analyze(u)
		}
	}
}

// BenchmarkGitLab reads and analyzes a pipeline of 40 jobs.
func BenchmarkGitLab(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("variables:\n  A: b\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&sb, "job%d:\n  image: alpine:3.19\n  services: [postgres:16]\n  script:\n    - docker run --privileged -v /:/host alpine:3.19\n    - |\n      docker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n      curl -fsSL https://x | sh\n", i)
	}
	src := []byte(sb.String())
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		res, err := workflow.GitLab(".gitlab-ci.yml", src)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range res.Units {
			script.Analyze(u)
		}
	}
}
