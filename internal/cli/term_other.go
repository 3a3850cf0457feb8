//go:build !unix

package cli

import (
	"io"
	"os"
	"strconv"
)

// terminalWidth is COLUMNS when set, else 100.
func terminalWidth(io.Writer) int {
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		return c
	}
	return 100
}
