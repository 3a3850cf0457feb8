package cli

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/dockguard/dockguard", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		wantV, wantC    string
	}{
		{"stamped", "v1.2.3", "abc123", info("(devel)", "vcs.revision", rev), "v1.2.3", "abc123"},
		{"stamped version, commit from vcs", "v1.2.3", "", info("(devel)", "vcs.revision", rev), "v1.2.3", rev},
		{"dirty tree", "", "", info("v0.9.0", "vcs.revision", rev, "vcs.modified", "true"), "v0.9.0", rev + "-dirty"},
		{"clean tree", "", "", info("v0.9.0", "vcs.revision", rev, "vcs.modified", "false"), "v0.9.0", rev},
		{"no vcs (-buildvcs=false)", "", "", info("(devel)"), "(devel)", ""},
		{"no build info", "", "", nil, "(devel)", ""},
		{"empty module version", "", "", info(""), "(devel)", ""},
	} {
		v, cm := buildVersion(c.version, c.commit, c.bi)
		if v != c.wantV || cm != c.wantC {
			t.Errorf("%s: got %q, %q; want %q, %q", c.name, v, cm, c.wantV, c.wantC)
		}
	}
}

func TestVersionLine(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	if got, want := version(), "v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567)"; got != want {
		t.Errorf("version() = %q, want %q", got, want)
	}
}
