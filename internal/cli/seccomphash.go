package cli

import (
	"fmt"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/spf13/cobra"
)

// newSeccompHashCmd prints what allow.seccompProfiles holds for a profile
// file: the hash of its canonical JSON, which is what the CLI sends inline
// whatever the file's formatting.
func newSeccompHashCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "seccomp-hash FILE...",
		Short: "Print the allow.seccompProfiles entry of seccomp profile files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, p := range args {
				data, err := inputs.Read(p, 4<<20)
				if err != nil {
					return err
				}
				h, err := container.SeccompHash(data)
				if err != nil {
					return fmt.Errorf("%s: not a seccomp profile: %v", p, err)
				}
				fmt.Fprintf(s.Out, "%s  %s\n", h, p)
			}
			return nil
		},
	}
}
