package dockerfile

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// detectWindows decides whether RUN bodies are PowerShell or cmd rather than
// POSIX shell: the backtick escape, a Windows SHELL, or a Windows base image.
func (l *loader) detectWindows() {
	b := l.build
	switch {
	case l.esc == '`':
		b.Windows, b.WindowsWhy = true, "the escape character is a backtick"
	default:
		for _, s := range b.Stages {
			for _, st := range s.Steps {
				if st.Instruction == "SHELL" && len(st.Exec) > 0 {
					n := strings.ToLower(path.Base(strings.ReplaceAll(st.Exec[0], `\`, "/")))
					if strings.HasPrefix(n, "powershell") || strings.HasPrefix(n, "pwsh") || strings.HasPrefix(n, "cmd") {
						b.Windows, b.WindowsWhy = true, "SHELL is "+st.Exec[0]
						break
					}
				}
			}
			if b.Windows {
				break
			}
			if s.Base.IsSet() && isWindowsImage(s.Base.V) {
				b.Windows, b.WindowsWhy = true, "the base image "+s.Base.V.Raw+" is a Windows image"
				break
			}
		}
	}
	if b.Windows {
		l.notes = append(l.notes, Note{At: facts.Location{Path: l.path}, Message: "Windows image (" + b.WindowsWhy + "): RUN bodies are not POSIX shell, so only instruction-level rules were applied"})
	}
}

func isWindowsImage(r facts.ImageRef) bool {
	s := strings.ToLower(r.Repo + ":" + r.Tag)
	for _, w := range []string{"windows/servercore", "windows/nanoserver", "windows/server", "windowsservercore", "nanoserver", "dotnet/framework"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// loadIgnore reads the ignore file BuildKit would use: <Dockerfile>.dockerignore
// beside the Dockerfile first, else .dockerignore at the context root.
func (l *loader) loadIgnore() {
	candidates := []string{l.path + ".dockerignore"}
	if l.build.ContextDir != "" {
		candidates = append(candidates, filepath.Join(l.build.ContextDir, ".dockerignore"))
	}
	for _, p := range candidates {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			l.notes = append(l.notes, Note{At: facts.Location{Path: p}, Message: "cannot read ignore file: " + err.Error()})
			return
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			l.notes = append(l.notes, Note{At: facts.Location{Path: p}, Message: "invalid ignore pattern: " + err.Error()})
			return
		}
		l.build.Ignore = &facts.IgnoreFile{Path: p, Excludes: func(rel string) bool {
			ok, err := pm.MatchesOrParentMatches(rel)
			return err == nil && ok
		}}
		return
	}
}

// container computes the image configuration of the target stage, following
// FROM <stage> inheritance, as `docker run <image>` would start it.
func (l *loader) container(t *facts.Stage) *facts.Container {
	c := &facts.Container{Subject: t.Subject, Origin: t.From, Engine: "docker"}
	chain := t.Chain()
	root := chain[len(chain)-1]
	switch {
	case root.Base.IsUnknown():
		c.User = facts.UnknownBecause[string](root.From, root.Base.Why)
	case root.Base.V.Scratch:
		c.User.Why = "root: a scratch image has no user"
	default:
		c.User.Why = "the base image's user (" + root.Base.V.Raw + "): root unless that image sets USER"
	}
	var stepsInOrder []*facts.Step
	for i := len(chain) - 1; i >= 0; i-- {
		stepsInOrder = append(stepsInOrder, chain[i].Steps...)
	}
	for _, st := range stepsInOrder {
		switch st.Instruction {
		case "USER":
			if len(st.Args) == 2 {
				c.User = facts.UnknownBecause[string](st.At, "USER "+st.Args[0]+" depends on a build argument with no value")
			} else if len(st.Args) == 1 {
				c.User = facts.SetAt(st.Args[0], st.At)
			}
		case "ENTRYPOINT":
			c.Entrypoint = facts.SetAt(commandOf(st), st.At)
			// Docker resets an inherited CMD when ENTRYPOINT changes.
			c.Cmd = facts.Value[[]string]{}
		case "CMD":
			c.Cmd = facts.SetAt(commandOf(st), st.At)
		case "HEALTHCHECK":
			on := !(len(st.Args) > 0 && strings.EqualFold(st.Args[0], "NONE"))
			c.Healthcheck = facts.SetAt(on, st.At)
		case "EXPOSE":
			for _, a := range st.Args {
				if p, ok := parseExpose(a, st.At); ok {
					c.ExposedPorts = append(c.ExposedPorts, p)
				}
			}
		case "ENV":
			for _, kv := range st.KVs {
				c.Env = append(c.Env, facts.EnvVar{Name: kv.Key, Value: kv.Value, At: kv.At})
			}
		}
	}
	c.PrivilegeDrop = l.privilegeDrop(c, stepsInOrder)
	return c
}

func commandOf(st *facts.Step) []string {
	if st.Exec != nil {
		return st.Exec
	}
	return []string{"/bin/sh", "-c", st.Shell}
}

func parseExpose(s string, at facts.Location) (facts.ExposedPort, bool) {
	p := facts.ExposedPort{Proto: "tcp", At: at}
	num, proto, ok := strings.Cut(s, "/")
	if ok {
		p.Proto = strings.ToLower(proto)
	}
	lo, hi, isRange := strings.Cut(num, "-")
	var err error
	if p.Port, err = strconv.Atoi(lo); err != nil {
		return p, false
	}
	p.EndPort = p.Port
	if isRange {
		if p.EndPort, err = strconv.Atoi(hi); err != nil {
			return p, false
		}
	}
	return p, true
}

// initWrappers start the real entrypoint as their child.
var initWrappers = map[string]bool{"tini": true, "tini-static": true, "dumb-init": true, "catatonit": true, "docker-init": true}

// privilegeDrop finds a root start that drops privileges: in ENTRYPOINT/CMD
// itself, in a `sh -c` body, or in an entrypoint script copied into the image
// from the build context (or written inline with a heredoc).
func (l *loader) privilegeDrop(c *facts.Container, steps []*facts.Step) *facts.PrivilegeDrop {
	var argv []string
	var at facts.Location
	if c.Entrypoint.IsSet() {
		argv = append(argv, c.Entrypoint.V...)
		at = c.Entrypoint.At
	}
	if c.Cmd.IsSet() {
		argv = append(argv, c.Cmd.V...)
		if !c.Entrypoint.IsSet() {
			at = c.Cmd.At
		}
	}
	for len(argv) > 0 && initWrappers[shell.Name(argv)] {
		argv = argv[1:]
		for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
			argv = argv[1:]
		}
	}
	if len(argv) == 0 {
		return nil
	}
	if t := shell.DropIn(argv); t != "" {
		return &facts.PrivilegeDrop{Tool: t, At: at}
	}
	if shell.IsShell(shell.Name(argv)) {
		if len(argv) > 2 && argv[1] == "-c" {
			return l.dropInScript(argv[2], "", at, steps, 0)
		}
		if len(argv) > 1 && !strings.HasPrefix(argv[1], "-") {
			argv = argv[1:]
		}
	}
	return l.dropInFile(argv[0], at, steps, 0)
}

func (l *loader) dropInScript(text, file string, at facts.Location, steps []*facts.Step, depth int) *facts.PrivilegeDrop {
	cmds, _ := shell.Parse(text, func(int) facts.Location { return at })
	for _, cmd := range cmds {
		if t := shell.DropIn(cmd.Args); t != "" {
			return &facts.PrivilegeDrop{Tool: t, Script: file, At: at}
		}
	}
	if depth == 0 {
		// `exec /usr/local/bin/real-entrypoint.sh "$@"` hands over to another script.
		for _, cmd := range cmds {
			args := shell.Effective(cmd.Args)
			if len(args) > 0 && cmd.Literal[len(cmd.Args)-len(args)] && (strings.HasSuffix(args[0], ".sh") || strings.Contains(args[0], "entrypoint")) {
				if d := l.dropInFile(args[0], at, steps, depth+1); d != nil {
					return d
				}
			}
		}
	}
	return nil
}

// dropInFile finds the COPY/ADD that put the program into the image and
// reads it from the build context.
func (l *loader) dropInFile(prog string, at facts.Location, steps []*facts.Step, depth int) *facts.PrivilegeDrop {
	workdir := "/"
	type cand struct{ src, inline string }
	var found *cand
	for _, st := range steps {
		switch st.Instruction {
		case "WORKDIR":
			if len(st.Args) == 1 {
				workdir = path.Join(workdir, st.Args[0])
				if strings.HasPrefix(st.Args[0], "/") {
					workdir = path.Clean(st.Args[0])
				}
			}
		case "COPY", "ADD":
			if st.From != "" {
				continue
			}
			dest := st.Dest
			if !strings.HasPrefix(dest, "/") {
				dest = path.Join(workdir, dest)
			}
			dirDest := strings.HasSuffix(st.Dest, "/") || len(st.Sources) > 1 || st.Dest == "."
			for _, src := range st.Sources {
				if inl, ok := st.Inline[src]; ok {
					target := dest
					if dirDest {
						target = path.Join(dest, path.Base(src))
					}
					if matchesProg(prog, target, workdir) {
						found = &cand{inline: inl, src: src}
					}
					continue
				}
				if strings.Contains(src, "://") {
					continue
				}
				target := dest
				if dirDest {
					target = path.Join(dest, path.Base(src))
				}
				if matchesProg(prog, target, workdir) {
					found = &cand{src: src}
					continue
				}
				// A directory copied whole: COPY . /app with /app/entrypoint.sh.
				if abs := absProg(prog, workdir); strings.HasPrefix(abs, path.Clean(dest)+"/") {
					rel := strings.TrimPrefix(abs, path.Clean(dest)+"/")
					if fi, err := os.Stat(filepath.Join(l.build.ContextDir, filepath.FromSlash(src))); err == nil && fi.IsDir() {
						found = &cand{src: path.Join(src, rel)}
					}
				}
			}
		}
	}
	if found == nil {
		return nil
	}
	text := found.inline
	if text == "" {
		var ok bool
		if text, ok = l.readContext(found.src); !ok {
			return nil
		}
	}
	if strings.HasPrefix(text, "#!") && !isShellShebang(text) {
		return nil
	}
	return l.dropInScript(text, found.src, at, steps, depth)
}

func absProg(prog, workdir string) string {
	if strings.HasPrefix(prog, "/") {
		return path.Clean(prog)
	}
	return path.Join(workdir, prog)
}

// matchesProg tells whether the program named in ENTRYPOINT is the file
// copied to target: by absolute path, or by name when it is found on PATH.
func matchesProg(prog, target, workdir string) bool {
	if !strings.Contains(prog, "/") {
		return path.Base(target) == prog
	}
	return absProg(prog, workdir) == path.Clean(target)
}

// sensitiveNames are files that must not reach an image; matched at the top
// of the build context, where `COPY . .` picks them up.
var sensitiveNames = []string{".env", ".git", ".npmrc", ".pypirc", ".netrc", ".aws", ".ssh", ".docker", ".gnupg", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials.json", "service-account.json"}

var sensitiveExts = []string{".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"}

// scanContext lists the sensitive files at the top of the build context that
// the ignore file does not keep out.
func (l *loader) scanContext() {
	if l.build.ContextDir == "" {
		return
	}
	entries, err := os.ReadDir(l.build.ContextDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !isSensitive(name) {
			continue
		}
		if l.build.Ignore != nil && l.build.Ignore.Excludes(name) {
			continue
		}
		l.build.ExposedInContext = append(l.build.ExposedInContext, name)
	}
}

func isSensitive(name string) bool {
	for _, s := range sensitiveNames {
		if name == s {
			return true
		}
	}
	if strings.HasPrefix(name, ".env.") {
		switch strings.TrimPrefix(name, ".env.") {
		case "example", "sample", "template", "dist", "defaults", "tpl":
			return false
		}
		return true
	}
	ext := strings.ToLower(path.Ext(name))
	for _, s := range sensitiveExts {
		if ext == s {
			return true
		}
	}
	return false
}
