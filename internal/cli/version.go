package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version and Commit are stamped at build time (build/release.sh does):
//
//	go build -ldflags "-X github.com/dockguard/dockguard/internal/cli.Version=v1.2.3 -X github.com/dockguard/dockguard/internal/cli.Commit=$(git rev-parse HEAD)"
//
// Unstamped, the version is the module version from the build info and
// the commit its vcs.revision, when the build recorded them.
var (
	Version = ""
	Commit  = ""
)

func newVersionCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dockguard's version and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(s.Out, "dockguard %s\n", version())
			return err
		},
	}
}

// version is "VERSION (commit COMMIT)", or VERSION alone when no commit is
// known; it also names dockguard in SARIF reports and the agent's.
func version() string {
	v, c := buildVersion(Version, Commit, readBuildInfo())
	if c != "" {
		return v + " (commit " + c + ")"
	}
	return v
}

func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// buildVersion picks the version and commit: the stamped values first,
// then the build info's module version and vcs.revision (with "-dirty"
// when the work tree had changes), else "(devel)" and no commit.
func buildVersion(stampedVersion, stampedCommit string, bi *debug.BuildInfo) (version, commit string) {
	version, commit = stampedVersion, stampedCommit
	if bi != nil {
		if version == "" {
			version = bi.Main.Version
		}
		if commit == "" {
			var modified bool
			for _, kv := range bi.Settings {
				switch kv.Key {
				case "vcs.revision":
					commit = kv.Value
				case "vcs.modified":
					modified = kv.Value == "true"
				}
			}
			if commit != "" && modified {
				commit += "-dirty"
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, commit
}
