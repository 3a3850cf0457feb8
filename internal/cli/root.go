// Package cli parses dockguard's command line and wires the packages that do
// the work; each command lives in its own file.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes, as the README documents them.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitError    = 2
)

// Streams are the standard streams, injected so commands can be tested.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs dockguard with args and returns the process exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	root := NewRoot(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(s.Err, "dockguard: %v\n", err)
	return ExitError
}

// NewRoot builds the command tree.
func NewRoot(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "dockguard",
		Short:         "Find, block and fix insecure Docker setups",
		Long:          "dockguard audits Dockerfiles for the controls of the Docker threat model: non-root users, SUID/SGID bits, sudo, pinned and trusted images, verified downloads, secrets, exposed ports.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(newAuditCmd(s), newRulesCmd(s), newExplainCmd(s), newVersionCmd(s), newInitCmd(s), newEnforceCmd(s), newHardenCmd(s))
	root.AddCommand(newAgentCmd(s), newWatchCmd(s))
	return root
}

// isTerminal reports whether w is a character device, for colors; NO_COLOR
// turns them off whatever the device.
func isTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
