package audit

import (
	"bytes"
	"path/filepath"
	"strings"

	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/source/script"
)

// Kinds of input besides Dockerfiles and compose files.
const (
	KindShell        inputs.Kind = "shell"
	KindMakefile     inputs.Kind = "makefile"
	KindGitHub       inputs.Kind = "github-actions"
	KindGitLab       inputs.Kind = "gitlab-ci"
	KindDevcontainer inputs.Kind = "devcontainer"
	KindRunLine      inputs.Kind = "run-line"
)

// Kinds lists every kind of input in report order.
var Kinds = []inputs.Kind{KindDockerfile, KindCompose, KindShell, KindMakefile, KindGitHub, KindGitLab, KindDevcontainer, KindRunLine, KindEngine, KindImage}

// Kinds a walk hands over for a look at the content.
const (
	// kindMaybeShell is a file without an extension: a shell script when
	// its #! line names a shell.
	kindMaybeShell inputs.Kind = "?shell"
	// kindMaybeYAML is YAML no name says anything about: a Kubernetes
	// manifest is recognized (and reported as not audited yet).
	kindMaybeYAML inputs.Kind = "?yaml"
	// kindByContent is a file named explicitly whose name says nothing.
	kindByContent inputs.Kind = "?content"
)

// Reasons a recognized file is not audited.
const (
	SkipKubernetes = "Kubernetes manifest: not audited yet"
)

// skipDirs are dependency folders a walk does not enter: they hold other
// projects' files, audited (if at all) where those projects live.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true, "bower_components": true}

// IgnoreFile is the gitignore-syntax file read in each folder named for an
// audit.
const IgnoreFile = ".dockguardignore"

// MatchShell recognizes shell scripts by name: *.sh, *.bash.
func MatchShell(base string) inputs.Kind {
	switch strings.ToLower(filepath.Ext(base)) {
	case ".sh", ".bash":
		return KindShell
	}
	return ""
}

// MatchMakefile recognizes Makefile, makefile, GNUmakefile and *.mk.
func MatchMakefile(base string) inputs.Kind {
	switch {
	case base == "Makefile", base == "makefile", base == "GNUmakefile", strings.HasSuffix(base, ".mk"):
		return KindMakefile
	}
	return ""
}

func isYAML(base string) bool {
	ext := strings.ToLower(filepath.Ext(base))
	return ext == ".yml" || ext == ".yaml"
}

// classify names the kind of a file from its path: its name, and for CI
// and dev container files the folder it is in.
func classify(p string) inputs.Kind {
	base := filepath.Base(p)
	if k := match(base); k != "" {
		return k
	}
	if k := MatchMakefile(base); k != "" {
		return k
	}
	if k := MatchShell(base); k != "" {
		return k
	}
	dir := filepath.Base(filepath.Dir(p))
	switch {
	case base == ".gitlab-ci.yml" || base == ".gitlab-ci.yaml":
		return KindGitLab
	case isYAML(base) && dir == "workflows" && filepath.Base(filepath.Dir(filepath.Dir(p))) == ".github":
		return KindGitHub
	case base == ".devcontainer.json":
		return KindDevcontainer
	case base == "devcontainer.json" && (dir == ".devcontainer" || filepath.Base(filepath.Dir(filepath.Dir(p))) == ".devcontainer"):
		return KindDevcontainer
	case isYAML(base):
		return kindMaybeYAML
	case filepath.Ext(strings.TrimPrefix(base, ".")) == "":
		return kindMaybeShell
	}
	return ""
}

// looksKubernetes reports a YAML document with top-level apiVersion and
// kind keys, the mark of a Kubernetes manifest.
func looksKubernetes(head []byte) bool {
	return topKey(head, "apiVersion") && topKey(head, "kind")
}

// topKey reports whether a line of data starts with key: (a top-level YAML
// key).
func topKey(data []byte, key string) bool {
	k := []byte(key + ":")
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if bytes.HasPrefix(line, k) {
			return true
		}
	}
	return false
}

// byContent decides what a file named explicitly is when its name says
// nothing: a #! line naming a shell, YAML by its top-level keys, JSON as a
// dev container, a Dockerfile when its first instruction is FROM or ARG, a
// Makefile when it has a rule with a recipe, and otherwise a shell script.
func byContent(p string, data []byte) (inputs.Kind, string) {
	if script.Shebang(data) != "" {
		return KindShell, ""
	}
	ext := strings.ToLower(filepath.Ext(p))
	switch {
	case ext == ".json" || ext == ".jsonc":
		return KindDevcontainer, ""
	case ext == ".yml" || ext == ".yaml":
		switch {
		case topKey(data, "jobs") && (topKey(data, "on") || topKey(data, `"on"`) || topKey(data, "'on'")):
			return KindGitHub, ""
		case looksKubernetes(data):
			return "", SkipKubernetes
		case topKey(data, "services") || topKey(data, "version") && !topKey(data, "stages"):
			return KindCompose, ""
		case topKey(data, "stages") || bytes.Contains(data, []byte("\n  script:")):
			return KindGitLab, ""
		}
		return KindCompose, ""
	}
	if firstInstruction(data) {
		return KindDockerfile, ""
	}
	if looksMakefile(data) {
		return KindMakefile, ""
	}
	return KindShell, ""
}

// firstInstruction reports whether the first line that is not blank or a
// comment starts with FROM or ARG, as a Dockerfile must.
func firstInstruction(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		w, _, _ := strings.Cut(l, " ")
		w = strings.ToUpper(w)
		return w == "FROM" || w == "ARG"
	}
	return false
}

// looksMakefile reports a rule line followed by a tab-indented recipe line.
func looksMakefile(data []byte) bool {
	lines := strings.Split(string(data), "\n")
	for i := 0; i+1 < len(lines); i++ {
		l := lines[i]
		if l == "" || l[0] == '\t' || l[0] == '#' || l[0] == ' ' {
			continue
		}
		if c := strings.IndexByte(l, ':'); c > 0 && !strings.Contains(l[:c], "=") && !strings.HasPrefix(l[c:], ":=") && strings.HasPrefix(lines[i+1], "\t") {
			return true
		}
	}
	return false
}
