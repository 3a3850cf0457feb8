// Command dockguard finds, blocks and fixes insecure Docker setups.
package main

import (
	"context"
	"os"

	"github.com/dockguard/dockguard/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
