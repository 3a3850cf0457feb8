package inputs

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestIgnore(t *testing.T) {
	ig, bad := ParseIgnore("# comment\n\n/build\nnode_modules/\n*.log\n!keep.log\ndocs/**/*.sh\n\\#hash\nlib/**\n[abc\n**/deep/x\nsp\\ \ntrail   \nfoo/*/bar\n[!a]z\n")
	if !slices.Equal(bad, []int{10}) {
		t.Errorf("bad lines = %v, want [10]", bad)
	}
	for _, c := range []struct {
		path string
		dir  bool
		want bool
	}{
		{"build", true, true},
		{"build", false, true},
		{"sub/build", true, false}, // anchored by its leading /
		{"node_modules", true, true},
		{"a/node_modules", true, true},
		{"node_modules", false, false}, // folders only
		{"x.log", false, true},
		{"a/b/x.log", false, true},
		{"keep.log", false, false},
		{"a/keep.log", false, false},
		{"docs/a.sh", false, true},
		{"docs/a/b/c.sh", false, true},
		{"x/docs/a.sh", false, false},
		{"#hash", false, true},
		{"lib", true, false},
		{"lib/a", false, true},
		{"lib/a/b", true, true},
		{"deep/x", false, true},
		{"a/b/deep/x", false, true},
		{"sp ", false, true},
		{"trail", false, true},
		{"foo/a/bar", false, true},
		{"foo/a/b/bar", false, false},
		{"bz", false, true},
		{"az", false, false},
		{"Dockerfile", false, false},
	} {
		if got := ig.Match(c.path, c.dir); got != c.want {
			t.Errorf("Match(%q, dir=%v) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}

func FuzzIgnore(f *testing.F) {
	f.Add("/build\n*.log\n!keep.log\n**/a/**/b\n[!x]y", "a/b/c.log")
	f.Add("**/**/**/**/**/**/**/**/x", "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/y")
	f.Fuzz(func(t *testing.T, patterns, path string) {
		ig, _ := ParseIgnore(patterns)
		ig.Match(path, false)
		ig.Match(path, true)
	})
}

func TestWalkSkips(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		"Dockerfile", "node_modules/pkg/Dockerfile", "vendor/x/Dockerfile", "sub/vendor/Dockerfile",
		"gen/Dockerfile", "app/Dockerfile", "app/Dockerfile.tmp", "docs/Dockerfile",
	} {
		writeFile(t, filepath.Join(dir, p), "FROM scratch\n")
	}
	writeFile(t, filepath.Join(dir, ".dockguardignore"), "gen/\n*.tmp\n/docs\n")
	files, skipped, errs := Walk(context.Background(), []string{dir}, Options{
		Match:      func(p string) Kind { return matchDocker(filepath.Base(p)) },
		SkipDirs:   map[string]bool{"node_modules": true, "vendor": true},
		IgnoreFile: ".dockguardignore",
	})
	if len(errs) != 0 {
		t.Fatal(errorStrings(errs))
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f.Path)
		got = append(got, rel)
	}
	if want := []string{"Dockerfile", "app/Dockerfile"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	var skips []string
	for _, s := range skipped {
		rel, _ := filepath.Rel(dir, s.Path)
		skips = append(skips, rel+": "+s.Reason)
	}
	want := []string{
		"app/Dockerfile.tmp: ignored by .dockguardignore",
		"docs: ignored by .dockguardignore",
		"gen: ignored by .dockguardignore",
		"node_modules: dependency folder",
		"sub/vendor: dependency folder",
		"vendor: dependency folder",
	}
	if !slices.Equal(skips, want) {
		t.Errorf("skipped = %q\nwant %q", skips, want)
	}
	// A skipped folder named as a root is walked.
	files, _, _ = Walk(context.Background(), []string{filepath.Join(dir, "vendor")}, Options{
		Match:    func(p string) Kind { return matchDocker(filepath.Base(p)) },
		SkipDirs: map[string]bool{"vendor": true},
	})
	if len(files) != 1 {
		t.Errorf("vendor as a root: %v", files)
	}
}
