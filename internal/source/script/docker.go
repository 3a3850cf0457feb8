package script

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// Container tools whose command lines this file reads besides run and
// create (package runcmd reads those).
var tools = map[string]bool{
	"docker": true, "docker.exe": true, "podman": true, "podman-remote": true,
	"nerdctl": true, "buildah": true, "skopeo": true, "docker-compose": true,
	"helm": true, "oras": true,
}

// subcommands returns the effective command, the index in c.Args where it
// starts, and its first non-flag words (at most three): `docker --config x
// login` gives [x login], which is enough to tell login and build apart
// from everything else.
func subcommands(c *facts.Command) ([]string, int, []string) {
	eff := shell.WithoutSudo(c.Args)
	if len(eff) == 0 || !tools[shell.Name(eff)] {
		return nil, 0, nil
	}
	from := len(c.Args) - len(eff)
	if from >= len(c.Literal) || !c.Literal[from] {
		return nil, 0, nil
	}
	var subs []string
	for _, w := range eff[1:] {
		if w == "--" {
			break
		}
		if !strings.HasPrefix(w, "-") {
			subs = append(subs, w)
			if len(subs) == 3 {
				break
			}
		}
	}
	return eff, from, subs
}

func has(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

func literal(c *facts.Command, i int) bool { return i >= 0 && i < len(c.Literal) && c.Literal[i] }

// loginPasswords finds a literal password given to a registry login:
// `docker login -p X`, `--password X`, `--password=X`, `-pX`, and
// `echo X | docker login --password-stdin` (or a here-string).
func loginPasswords(c *facts.Command) []facts.Credential {
	eff, from, subs := subcommands(c)
	if eff == nil || !has(subs, "login") {
		return nil
	}
	tool := shell.Name(eff)
	what := tool + " login"
	var out []facts.Credential
	stdin := false
	for i := from + 1; i < len(c.Args); i++ {
		a := c.Args[i]
		var v, flag string
		vi := -1
		switch {
		case a == "-p" || a == "--password":
			flag, vi = a, i+1
			if vi < len(c.Args) {
				v = c.Args[vi]
			}
			i++
		case strings.HasPrefix(a, "--password="):
			flag, vi, v = "--password", i, strings.TrimPrefix(a, "--password=")
		case strings.HasPrefix(a, "-p") && !strings.HasPrefix(a, "--") && len(a) > 2:
			flag, vi, v = "-p", i, a[2:]
		case a == "--password-stdin":
			stdin = true
		}
		if vi >= 0 && vi < len(c.Args) && literal(c, vi) && v != "" {
			out = append(out, facts.Credential{What: what + " " + flag, Value: v, At: c.WordAt(vi)})
		}
	}
	if stdin {
		for _, r := range c.Redirects {
			if r.Op == "<<<" && r.Target != "" && !strings.ContainsAny(r.Target, "$`") {
				out = append(out, facts.Credential{What: what + " --password-stdin", Value: r.Target, At: c.At})
			}
		}
		if c.PipeIndex > 0 {
			prev := c.Pipeline[c.PipeIndex-1]
			if n := prev.Name(); (n == "echo" || n == "printf") && len(prev.Args) > 1 {
				i := len(prev.Args) - 1
				if literal(prev, i) && !strings.HasPrefix(prev.Args[i], "-") {
					out = append(out, facts.Credential{What: n + " … | " + what + " --password-stdin", Value: prev.Args[i], At: prev.WordAt(i)})
				}
			}
		}
	}
	return out
}

// buildArgs finds the --build-arg values of an image build: docker build,
// docker buildx build, docker image build, docker compose build, podman
// build, buildah bud/build, nerdctl build.
func buildArgs(c *facts.Command) []facts.EnvVar {
	eff, from, subs := subcommands(c)
	if eff == nil || !(has(subs, "build") || (shell.Name(eff) == "buildah" && has(subs, "bud"))) {
		return nil
	}
	var out []facts.EnvVar
	for i := from + 1; i < len(c.Args); i++ {
		a := c.Args[i]
		vi := -1
		switch {
		case a == "--build-arg":
			vi = i + 1
			i++
		case strings.HasPrefix(a, "--build-arg="):
			vi = i
		}
		if vi < 0 || vi >= len(c.Args) {
			continue
		}
		kv := c.Args[vi]
		if vi == i && strings.HasPrefix(kv, "--build-arg=") {
			kv = strings.TrimPrefix(kv, "--build-arg=")
		}
		name, value, hasValue := strings.Cut(kv, "=")
		if name == "" {
			continue
		}
		dynamic := !hasValue || !literal(c, vi)
		if strings.ContainsAny(name, "$`") {
			continue
		}
		out = append(out, facts.EnvVar{Name: name, Value: value, Dynamic: dynamic, At: c.WordAt(vi)})
	}
	return out
}
