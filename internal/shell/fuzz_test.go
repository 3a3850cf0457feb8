package shell_test

import (
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// FuzzParse: no shell text may panic or produce commands pointing outside
// the text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"curl -fsSL https://x | sudo bash -s -- -y",
		"apt-get update && apt-get install -y sudo || true",
		`sh -c "$(wget -qO- x)"`,
		"bash <(curl x)",
		"if a; then b; else c | d; fi; for i in 1 2; do e; done",
		"cat <<EOF > /etc/sudoers\nx ALL=(ALL) ALL\nEOF\n",
		`echo $'a\tb' "c\"d" 'e'`,
		"X=1 Y=$(cat /run/secrets/y) cmd a\\ b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cmds, _ := shell.Parse(src, func(off int) facts.Location {
			if off < 0 || off > len(src) {
				t.Fatalf("offset %d outside text of %d bytes", off, len(src))
			}
			return facts.Location{Line: 1, Column: off + 1}
		})
		for _, c := range cmds {
			if len(c.Args) != len(c.Literal) {
				t.Fatalf("words and literal flags differ: %d vs %d", len(c.Args), len(c.Literal))
			}
			if c.PipeIndex >= len(c.Pipeline) || c.Pipeline[c.PipeIndex] != c {
				t.Fatalf("command not at its place in its pipeline")
			}
			shell.Effective(c.Args)
			shell.WithoutSudo(c.Args)
			shell.RunsAsShellProgram(c)
		}
	})
}
