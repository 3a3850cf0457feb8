package image

import (
	"path"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/dockerfile"
)

// maxScript is the largest script whose text is kept to look for a
// privilege drop; maxScripts bounds the scripts' text kept per layer.
const (
	maxScript  = 16 << 10
	maxScripts = 4 << 20
)

// privilegeDrop finds a root start that drops privileges: in the
// entrypoint itself, in a `sh -c` body, or in the entrypoint script read
// from the final filesystem (one `exec other-script` deep). The drop tool
// must exist in the image.
func privilegeDrop(im *facts.Image, workdir string) *facts.PrivilegeDrop {
	c := im.Config
	var argv []string
	at := c.Entrypoint.At
	if c.Entrypoint.IsSet() {
		argv = append(argv, c.Entrypoint.V...)
	}
	if c.Cmd.IsSet() {
		argv = append(argv, c.Cmd.V...)
		if !c.Entrypoint.IsSet() {
			at = c.Cmd.At
		}
	}
	for len(argv) > 0 && dockerfile.InitWrapper(shell.Name(argv)) {
		argv = argv[1:]
		for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
			argv = argv[1:]
		}
	}
	if len(argv) == 0 {
		return nil
	}
	final := map[string]*facts.ImageFile{}
	for i := range im.Files {
		if f := &im.Files[i]; f.Final && !f.Whiteout {
			final[f.Path] = f
		}
	}
	check := func(tool, script string) *facts.PrivilegeDrop {
		bin := strings.Fields(tool)[0]
		for _, dir := range binDirs {
			if _, ok := final[dir+"/"+bin]; ok {
				return &facts.PrivilegeDrop{Tool: tool, Script: script, At: at}
			}
		}
		return nil
	}
	if t := shell.DropIn(argv); t != "" {
		return check(t, "")
	}
	var inScript func(text, file string, depth int) *facts.PrivilegeDrop
	var inFile func(prog string, depth int) *facts.PrivilegeDrop
	inScript = func(text, file string, depth int) *facts.PrivilegeDrop {
		cmds, _ := shell.Parse(text, func(int) facts.Location { return at })
		for _, cmd := range cmds {
			if t := shell.DropIn(cmd.Args); t != "" {
				return check(t, file)
			}
		}
		if depth == 0 {
			for _, cmd := range cmds {
				args := shell.Effective(cmd.Args)
				if len(args) > 0 && (strings.HasSuffix(args[0], ".sh") || strings.Contains(args[0], "entrypoint")) {
					if d := inFile(args[0], depth+1); d != nil {
						return d
					}
				}
			}
		}
		return nil
	}
	inFile = func(prog string, depth int) *facts.PrivilegeDrop {
		var cands []string
		switch {
		case strings.HasPrefix(prog, "/"):
			cands = []string{strings.TrimPrefix(path.Clean(prog), "/")}
		case strings.Contains(prog, "/"):
			cands = []string{strings.TrimPrefix(path.Join("/", workdir, prog), "/")}
		default:
			for _, dir := range binDirs {
				cands = append(cands, dir+"/"+prog)
			}
		}
		for _, p := range cands {
			if f, ok := final[p]; ok && f.Script != "" {
				return inScript(f.Script, "/"+p, depth)
			}
		}
		return nil
	}
	if shell.IsShell(shell.Name(argv)) {
		if len(argv) > 2 && argv[1] == "-c" {
			return inScript(argv[2], "", 0)
		}
		if len(argv) > 1 && !strings.HasPrefix(argv[1], "-") {
			argv = argv[1:]
		}
	}
	return inFile(argv[0], 0)
}
