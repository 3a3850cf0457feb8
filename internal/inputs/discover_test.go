package inputs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const dockerfile Kind = "dockerfile"

// matchDocker accepts the names Docker and Podman users give build files.
func matchDocker(base string) Kind {
	switch {
	case base == "Dockerfile", base == "Containerfile":
		return dockerfile
	case strings.HasSuffix(base, ".dockerignore"):
		// Dockerfile.dockerignore is the per-Dockerfile ignore file.
		return ""
	case strings.HasPrefix(base, "Dockerfile."), strings.HasSuffix(base, ".Dockerfile"):
		return dockerfile
	}
	return ""
}

func TestMatchDocker(t *testing.T) {
	for base, want := range map[string]Kind{
		"Dockerfile":              dockerfile,
		"Dockerfile.prod":         dockerfile,
		"api.Dockerfile":          dockerfile,
		"Containerfile":           dockerfile,
		"Dockerfile.dockerignore": "",
		".dockerignore":           "",
		"README.md":               "",
		"dockerfile":              "",
	} {
		if got := matchDocker(base); got != want {
			t.Errorf("matchDocker(%q) = %q, want %q", base, got, want)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// discover runs Discover but fails the test instead of hanging forever if a
// loop is not caught.
func discover(t testing.TB, roots []string, fallback Kind) ([]File, []*Error) {
	t.Helper()
	type result struct {
		files []File
		errs  []*Error
	}
	done := make(chan result, 1)
	go func() {
		files, errs := Discover(context.Background(), roots, matchDocker, fallback)
		done <- result{files, errs}
	}()
	select {
	case r := <-done:
		return r.files, r.errs
	case <-time.After(10 * time.Second):
		t.Fatal("Discover did not finish in 10s")
		return nil, nil
	}
}

func errorStrings(errs []*Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		roots    []string // relative to the test directory, the working directory
		abs      bool     // make roots (and so the expected paths) absolute
		fallback Kind
		failDir  string // readDir fails with permission denied for this path
		want     []File
		wantErrs []string
	}{
		{
			name: "nested tree",
			setup: func(t *testing.T, dir string) {
				for _, p := range []string{
					"Dockerfile",
					"README.md",
					"app/Dockerfile.prod",
					"app/Dockerfile.dockerignore",
					"app/Containerfile",
					"app/web/api.Dockerfile",
					"app/web/deep/er/Dockerfile",
					".github/Dockerfile", // hidden, but not VCS metadata
					".git/Dockerfile",
					".git/objects/Dockerfile",
					".hg/Dockerfile",
					"sub/.svn/Dockerfile",
				} {
					writeFile(t, filepath.Join(dir, p), "FROM scratch\n")
				}
			},
			roots: []string{"."},
			want: []File{
				{".github/Dockerfile", dockerfile},
				{"Dockerfile", dockerfile},
				{"app/Containerfile", dockerfile},
				{"app/Dockerfile.prod", dockerfile},
				{"app/web/api.Dockerfile", dockerfile},
				{"app/web/deep/er/Dockerfile", dockerfile},
			},
		},
		{
			name: "root spelled untidily is cleaned",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "app/Dockerfile"), "")
			},
			roots: []string{"./app/"},
			want:  []File{{"app/Dockerfile", dockerfile}},
		},
		{
			name: "absolute root gives absolute paths",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "app/Dockerfile"), "")
			},
			roots: []string{"app"},
			abs:   true,
			want:  []File{{"app/Dockerfile", dockerfile}},
		},
		{
			name: "symlink to file followed and matched by link name",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "shared/base.txt"), "FROM scratch\n")
				symlink(t, "shared/base.txt", filepath.Join(dir, "Dockerfile"))
				symlink(t, "../shared/base.txt", filepath.Join(dir, "app/notes.txt"))
			},
			roots: []string{"."},
			want:  []File{{"Dockerfile", dockerfile}},
		},
		{
			name: "symlinked directories walked once, under the real path",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "root/real/Dockerfile"), "")
				// Sorts before "real", yet must not claim its files.
				symlink(t, "real", filepath.Join(dir, "root/alias"))
				symlink(t, "real", filepath.Join(dir, "root/zalias"))
				symlink(t, "../real", filepath.Join(dir, "root/other/alias"))
				// Outside the root: only reachable through the link.
				writeFile(t, filepath.Join(dir, "outside/Dockerfile.ci"), "")
				symlink(t, "../outside", filepath.Join(dir, "root/ext"))
				symlink(t, "../outside", filepath.Join(dir, "root/ext2"))
			},
			roots: []string{"root"},
			want: []File{
				{"root/ext/Dockerfile.ci", dockerfile},
				{"root/real/Dockerfile", dockerfile},
			},
		},
		{
			name: "symlink loop reported once",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "a/b/Dockerfile"), "")
				symlink(t, "..", filepath.Join(dir, "a/b/loop"))
			},
			roots:    []string{"."},
			want:     []File{{"a/b/Dockerfile", dockerfile}},
			wantErrs: []string{"a/b/loop: symbolic link loop to .., not followed"},
		},
		{
			name: "loops through the root and through a link outside it",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "root/Dockerfile"), "")
				symlink(t, ".", filepath.Join(dir, "root/self"))
				writeFile(t, filepath.Join(dir, "outside/Containerfile"), "")
				symlink(t, "../outside", filepath.Join(dir, "root/out"))
				symlink(t, "../root", filepath.Join(dir, "outside/back"))
			},
			roots: []string{"root"},
			want: []File{
				{"root/Dockerfile", dockerfile},
				{"root/out/Containerfile", dockerfile},
			},
			wantErrs: []string{
				"root/out/back: symbolic link loop to ../root, not followed",
				"root/self: symbolic link loop to ., not followed",
			},
		},
		{
			name: "dangling links",
			setup: func(t *testing.T, dir string) {
				symlink(t, "missing", filepath.Join(dir, "Dockerfile.dev"))
				symlink(t, "missing", filepath.Join(dir, "notes.txt"))
				// Links that point at each other are as broken.
				symlink(t, "Dockerfile.b", filepath.Join(dir, "Dockerfile.a"))
				symlink(t, "Dockerfile.a", filepath.Join(dir, "Dockerfile.b"))
				symlink(t, "x.b", filepath.Join(dir, "x.a"))
				symlink(t, "x.a", filepath.Join(dir, "x.b"))
			},
			roots: []string{"."},
			wantErrs: []string{
				"Dockerfile.a: symbolic link loop to Dockerfile.b, not followed",
				"Dockerfile.b: symbolic link loop to Dockerfile.a, not followed",
				"Dockerfile.dev: broken symbolic link",
			},
		},
		{
			name: "explicit file roots",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "build.txt"), "")
				writeFile(t, filepath.Join(dir, "ci/Dockerfile.ci"), "")
				symlink(t, "gone", filepath.Join(dir, "Dockerfile"))
			},
			roots:    []string{"build.txt", "ci/Dockerfile.ci", "missing", "Dockerfile"},
			fallback: "forced",
			want: []File{
				{"build.txt", "forced"},
				{"ci/Dockerfile.ci", dockerfile},
			},
			wantErrs: []string{
				"Dockerfile: broken symbolic link",
				"missing: no such file or directory",
			},
		},
		{
			name: "overlapping roots give each file once, sorted",
			setup: func(t *testing.T, dir string) {
				for _, p := range []string{"b/Dockerfile", "a/Dockerfile", "a/z/Dockerfile", "Dockerfile"} {
					writeFile(t, filepath.Join(dir, p), "")
				}
			},
			roots: []string{"b", "a/z", "a/Dockerfile", ".", "a"},
			want: []File{
				{"Dockerfile", dockerfile},
				{"a/Dockerfile", dockerfile},
				{"a/z/Dockerfile", dockerfile},
				{"b/Dockerfile", dockerfile},
			},
		},
		{
			name: "unreadable directory reported, walk goes on",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "a/Dockerfile"), "")
				writeFile(t, filepath.Join(dir, "secret/Dockerfile"), "")
				writeFile(t, filepath.Join(dir, "z/Dockerfile"), "")
			},
			roots:    []string{"."},
			failDir:  "secret",
			want:     []File{{"a/Dockerfile", dockerfile}, {"z/Dockerfile", dockerfile}},
			wantErrs: []string{"secret: cannot read directory: permission denied"},
		},
		{
			name:     "empty root",
			setup:    func(*testing.T, string) {},
			roots:    []string{""},
			wantErrs: []string{"empty path given as input"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			t.Chdir(dir)
			roots, want, wantErrs := tt.roots, tt.want, tt.wantErrs
			if tt.abs {
				roots, want, wantErrs = nil, nil, nil
				for _, r := range tt.roots {
					roots = append(roots, filepath.Join(dir, r))
				}
				for _, f := range tt.want {
					want = append(want, File{filepath.Join(dir, f.Path), f.Kind})
				}
				for _, e := range tt.wantErrs {
					wantErrs = append(wantErrs, filepath.Join(dir, e))
				}
			}
			if tt.failDir != "" {
				failReadDir(t, tt.failDir)
			}
			files, errs := discover(t, roots, tt.fallback)
			if !slices.Equal(files, want) {
				t.Errorf("files:\n got %v\nwant %v", files, want)
			}
			if got := errorStrings(errs); !slices.Equal(got, wantErrs) {
				t.Errorf("errors:\n got %q\nwant %q", got, wantErrs)
			}
		})
	}
}

// failReadDir makes readDir fail the way an unreadable directory does, which
// chmod cannot arrange when the tests run as root.
func failReadDir(t *testing.T, dir string) {
	t.Helper()
	orig := readDir
	t.Cleanup(func() { readDir = orig })
	readDir = func(name string) ([]os.DirEntry, error) {
		if filepath.Clean(name) == filepath.Clean(dir) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}
		return orig(name)
	}
}

func TestDiscoverPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which reads mode 0 directories anyway; TestDiscover covers the error through an injected readDir")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "")
	writeFile(t, filepath.Join(dir, "locked/Dockerfile"), "")
	locked := filepath.Join(dir, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) }) // so TempDir can remove it

	files, errs := discover(t, []string{dir}, "")
	if want := []File{{filepath.Join(dir, "Dockerfile"), dockerfile}}; !slices.Equal(files, want) {
		t.Errorf("files = %v, want %v", files, want)
	}
	want := []string{locked + ": cannot read directory: permission denied"}
	if got := errorStrings(errs); !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q", got, want)
	}
}

func TestDiscoverCanceled(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	files, errs := Discover(ctx, []string{dir}, matchDocker, "")
	if len(files) != 0 {
		t.Errorf("files = %v, want none", files)
	}
	want := []string{dir + ": discovery stopped: context canceled"}
	if got := errorStrings(errs); !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q", got, want)
	}
}

func TestDiscoverCanceledMidWalk(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("d%02d/Dockerfile", i)), "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	orig := readDir
	t.Cleanup(func() { readDir = orig })
	calls := 0
	readDir = func(name string) ([]os.DirEntry, error) {
		if calls++; calls == 5 {
			cancel()
		}
		return orig(name)
	}
	files, errs := Discover(ctx, []string{dir}, matchDocker, "")
	if len(files) == 0 || len(files) >= 20 {
		t.Errorf("got %d files, want some but not all", len(files))
	}
	if len(errs) != 1 || !strings.HasSuffix(errs[0].Message, "discovery stopped: context canceled") {
		t.Errorf("errors = %q, want one saying the walk stopped", errorStrings(errs))
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Path: "Dockerfile", Line: 3, Message: "bad"}, "Dockerfile:3: bad"},
		{Error{Path: "Dockerfile", Message: "bad"}, "Dockerfile: bad"},
		{Error{Message: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// BenchmarkDiscover walks a tree shaped like a monorepo: 2000 files in 100
// directories three levels deep, one in ten a Dockerfile.
func BenchmarkDiscover(b *testing.B) {
	dir := b.TempDir()
	for i := range 2000 {
		name := fmt.Sprintf("file%d.go", i)
		if i%10 == 0 {
			name = fmt.Sprintf("svc%d.Dockerfile", i)
		}
		p := filepath.Join(dir, fmt.Sprintf("g%d/s%d/d%d", i%5, i%20, i%100), name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	for b.Loop() {
		files, errs := Discover(ctx, []string{dir}, matchDocker, "")
		if len(files) != 200 || len(errs) != 0 {
			b.Fatalf("got %d files, %d errors", len(files), len(errs))
		}
	}
}
