package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/dockguard/dockguard/internal/atomicfile"
	"github.com/dockguard/dockguard/internal/config"
	"github.com/spf13/cobra"
)

func newInitCmd(s Streams) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented .dockguard.yaml with every setting at its default",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := config.Names[0]
			if len(args) == 1 {
				path = args[0]
			}
			write := atomicfile.Create
			if force {
				write = atomicfile.Write
			}
			err := write(path, []byte(config.Template), 0o644)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists; use --force to replace it", path)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.Out, "wrote %s\n", path)
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return cmd
}
