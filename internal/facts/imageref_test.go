package facts

import (
	"regexp"
	"strings"
	"testing"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestParseImageRef pins how references are read, Docker's tricky cases
// first. was records, where it differs, what the hand-written splitters
// that ParseImageRef replaced gave: "parse" the former ParseImageRef,
// "short" harden's former splitImage (repository and tag for per-image
// tables, now Familiar and Tag).
func TestParseImageRef(t *testing.T) {
	tests := []struct {
		ref                         string
		registry, repo, tag, digest string
		scratch                     bool
		familiar                    string
		was                         string
	}{
		// Docker Hub, in all its spellings.
		{ref: "ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "ubuntu:22.04", registry: "docker.io", repo: "library/ubuntu", tag: "22.04", familiar: "ubuntu"},
		{ref: "ubuntu:latest", registry: "docker.io", repo: "library/ubuntu", tag: "latest", familiar: "ubuntu"},
		{ref: "library/ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "docker.io/ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "docker.io/library/ubuntu:1", registry: "docker.io", repo: "library/ubuntu", tag: "1", familiar: "ubuntu"},
		{ref: "index.docker.io/library/ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "index.docker.io/ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "registry-1.docker.io/ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "registry.hub.docker.com/library/ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu",
			was: `short "registry.hub.docker.com/library/ubuntu"`},
		{ref: "bitnami/redis:7", registry: "docker.io", repo: "bitnami/redis", tag: "7", familiar: "bitnami/redis"},
		{ref: "docker.io/bitnami/redis", registry: "docker.io", repo: "bitnami/redis", familiar: "bitnami/redis"},
		// Docker's familiar form keeps library/ when more path follows.
		{ref: "library/a/b", registry: "docker.io", repo: "library/a/b", familiar: "library/a/b", was: `short "a/b"`},
		// A Docker Hub namespace that looks like a host keeps docker.io/, so
		// that the familiar name does not read as another registry.
		{ref: "docker.io/localhost/x", registry: "docker.io", repo: "localhost/x", familiar: "docker.io/localhost/x", was: `short "localhost/x"`},

		// Registries, ports, tags and digests.
		{ref: "localhost:5000/x", registry: "localhost:5000", repo: "x", familiar: "localhost:5000/x"},
		{ref: "localhost/x", registry: "localhost", repo: "x", familiar: "localhost/x"},
		{ref: "myreg.io:5000/app", registry: "myreg.io:5000", repo: "app", familiar: "myreg.io:5000/app"},
		{ref: "[::1]:5000/app:1", registry: "[::1]:5000", repo: "app", tag: "1", familiar: "[::1]:5000/app"},
		// A port with no path after it is a tag: localhost on Docker Hub.
		{ref: "localhost:5000", registry: "docker.io", repo: "library/localhost", tag: "5000", familiar: "localhost"},
		{ref: "registry:5000/ns/x:tag@" + testDigest, registry: "registry:5000", repo: "ns/x", tag: "tag", digest: testDigest, familiar: "registry:5000/ns/x"},
		{ref: "x@" + testDigest, registry: "docker.io", repo: "library/x", digest: testDigest, familiar: "x"},
		{ref: "x:1@" + testDigest, registry: "docker.io", repo: "library/x", tag: "1", digest: testDigest, familiar: "x"},
		{ref: "quay.io/org/app:v1", registry: "quay.io", repo: "org/app", tag: "v1", familiar: "quay.io/org/app"},
		{ref: "ghcr.io/o/r/s:1", registry: "ghcr.io", repo: "o/r/s", tag: "1", familiar: "ghcr.io/o/r/s"},
		{ref: "ubuntu:Latest", registry: "docker.io", repo: "library/ubuntu", tag: "Latest", familiar: "ubuntu"},
		// Host names are not case sensitive.
		{ref: "Quay.IO/org/app", registry: "quay.io", repo: "org/app", familiar: "quay.io/org/app", was: `short "Quay.IO/org/app"`},
		// Docker reads a first component with capitals as a registry host.
		{ref: "Corp/app", registry: "corp", repo: "app", familiar: "corp/app",
			was: `parse docker.io corp/app; short "Corp/app"`},
		{ref: "Corp/app:1@" + testDigest, registry: "corp", repo: "app", tag: "1", digest: testDigest, familiar: "corp/app",
			was: `parse docker.io corp/app; short "Corp/app"`},
		{ref: "Corp/reg.io/app", registry: "corp", repo: "reg.io/app", familiar: "corp/reg.io/app",
			was: `parse docker.io corp/reg.io/app; short "Corp/reg.io/app"`},

		{ref: "scratch", scratch: true, familiar: "scratch"},
		{ref: "SCRATCH", scratch: true, familiar: "scratch", was: `short "SCRATCH"`},

		// Strings Docker refuses: split by the delimiters, lower-cased.
		{ref: "Ubuntu", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu", was: `short "Ubuntu"`},
		{ref: "CORP/App", registry: "docker.io", repo: "corp/app", familiar: "corp/app", was: `short "CORP/App"`},
		{ref: "x@sha256:abc", registry: "docker.io", repo: "library/x", digest: "sha256:abc", familiar: "x"},
		{ref: "ubuntu:", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "ubuntu@", registry: "docker.io", repo: "library/ubuntu", familiar: "ubuntu"},
		{ref: "a:b:c", registry: "docker.io", repo: "library/a:b", tag: "c", familiar: "a:b"},
		{ref: "", registry: "docker.io", repo: "library/", familiar: ""},
		{ref: "a//b", registry: "docker.io", repo: "a//b", familiar: "a//b"},
		// Build variables left unexpanded.
		{ref: "${IMAGE}", registry: "docker.io", repo: "library/${image}", familiar: "${image}", was: `short "${IMAGE}"`},
		{ref: "$BASE:tag", registry: "docker.io", repo: "library/$base", tag: "tag", familiar: "$base", was: `short "$BASE"`},
		{ref: "${REGISTRY}/app:${TAG}", registry: "docker.io", repo: "${registry}/app", tag: "${TAG}", familiar: "${registry}/app",
			was: `short "${REGISTRY}/app"`},
		{ref: "$reg/app", registry: "docker.io", repo: "$reg/app", familiar: "$reg/app"},
		{ref: "registry.example.com/${NAME}:1", registry: "registry.example.com", repo: "${name}", tag: "1", familiar: "registry.example.com/${name}",
			was: `short "registry.example.com/${NAME}"`},
	}
	for _, tt := range tests {
		r := ParseImageRef(tt.ref)
		want := ImageRef{Raw: tt.ref, Registry: tt.registry, Repo: tt.repo, Tag: tt.tag, Digest: tt.digest, Scratch: tt.scratch}
		if r != want {
			t.Errorf("ParseImageRef(%q) = %+v, want %+v", tt.ref, r, want)
		}
		if got := r.Familiar(); got != tt.familiar {
			t.Errorf("ParseImageRef(%q).Familiar() = %q, want %q", tt.ref, got, tt.familiar)
		}
	}
}

// FuzzParseImageRef: no string panics, Raw is kept, and a per-image table
// keyed by Familiar finds the same repository again.
func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"ubuntu", "docker.io/library/ubuntu:1", "localhost:5000/x", "x@" + testDigest,
		"registry:5000/ns/x:tag@" + testDigest, "Corp/app", "${IMAGE}", "$BASE:tag", "@", ":", "/", "a/@b:c", "Scratch"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseImageRef(s)
		if r.Raw != s {
			t.Fatalf("Raw %q, want %q", r.Raw, s)
		}
		if r.Scratch || hubOnlyByCase(r) || !dockerPath(r.Repo) {
			return
		}
		again := ParseImageRef(r.Familiar())
		if again.Registry != r.Registry || again.Repo != r.Repo {
			t.Fatalf("%q: Familiar %q reads back as %s/%s, not %s/%s", s, r.Familiar(), again.Registry, again.Repo, r.Registry, r.Repo)
		}
	})
}

// hubOnlyByCase reports a registry named only by its capitals (Corp/app):
// in lower case its familiar name is a Docker Hub repository.
func hubOnlyByCase(r ImageRef) bool {
	return r.Registry != "docker.io" && r.Registry != "localhost" && !strings.ContainsAny(r.Registry, ".:")
}

// pathComponent is a repository path component as Docker's reference
// grammar allows it. go-containerregistry is laxer (.x, a..b), and for
// such paths, which Docker refuses, the familiar name need not read back.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

func dockerPath(repo string) bool {
	for _, c := range strings.Split(repo, "/") {
		if !pathComponent.MatchString(c) {
			return false
		}
	}
	return true
}
