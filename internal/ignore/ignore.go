// Package ignore applies the inline ignores users write in their own files:
//
//	# dockguard:ignore=<rule|control>[,…] <reason>
//	# dockguard:ignore-file=<rule|control>[,…] <reason>
//
// An ignore stands on its own line (a comment) before the Dockerfile
// instruction, compose key or script line it applies to, or trails that line
// in YAML and shell; `//` comments work the same in JSON with comments. A
// file-wide ignore anywhere in a file applies to the whole file. Ignored
// findings are not dropped: they are returned with the reason so reports can
// count and list them.
package ignore

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/rules"
)

// Ignored is a finding silenced by a directive.
type Ignored struct {
	Finding rules.Finding
	Reason  string
	// At is the directive that silenced it.
	At facts.Location
}

type directive struct {
	names    []string
	reason   string
	line     int
	fileWide bool
}

var reDirective = regexp.MustCompile(`(?:#|//)\s*dockguard:(ignore|ignore-file)=([^\s]+)\s*(.*)$`)

// maxRead caps the files read for directives (inputs are capped already).
const maxRead = 8 << 20

type file struct {
	lines      []string
	directives map[int][]directive // by line
	fileWide   []directive
	dockerfile bool
}

// Apply splits findings into those that stand and those an ignore silences,
// and returns findings about faulty directives (no reason, unknown rule) in
// the files it read. Findings outside files (--run lines) are never ignored.
func Apply(findings []rules.Finding) (kept []rules.Finding, ignored []Ignored, meta []rules.Finding) {
	files := map[string]*file{}
	load := func(path string) *file {
		if f, ok := files[path]; ok {
			return f
		}
		f := parse(path)
		files[path] = f
		if f != nil {
			meta = append(meta, check(path, f)...)
		}
		return f
	}
	for _, fd := range findings {
		if fd.At.Path == "" || fd.At.Path == facts.RunPath || fd.At.Line < 1 {
			kept = append(kept, fd)
			continue
		}
		f := load(fd.At.Path)
		if f == nil {
			kept = append(kept, fd)
			continue
		}
		if d, ok := f.match(fd); ok {
			ignored = append(ignored, Ignored{Finding: fd, Reason: d.reason, At: facts.Location{Path: fd.At.Path, Line: d.line}})
			continue
		}
		kept = append(kept, fd)
	}
	return kept, ignored, meta
}

func parse(path string) *file {
	data, err := inputs.Read(path, maxRead)
	if err != nil {
		return nil
	}
	base := filepath.Base(path)
	f := &file{
		lines:      strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"),
		directives: map[int][]directive{},
		dockerfile: strings.Contains(base, "Dockerfile") || strings.Contains(base, "Containerfile") || strings.HasSuffix(base, ".dockerfile"),
	}
	for i, l := range f.lines {
		if !strings.Contains(l, "dockguard:ignore") {
			continue
		}
		m := reDirective.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		d := directive{line: i + 1, reason: strings.TrimSpace(m[3]), fileWide: m[1] == "ignore-file"}
		for _, n := range strings.Split(m[2], ",") {
			if n = strings.TrimSpace(n); n != "" {
				d.names = append(d.names, n)
			}
		}
		if d.fileWide {
			f.fileWide = append(f.fileWide, d)
		} else {
			f.directives[i+1] = append(f.directives[i+1], d)
		}
	}
	return f
}

// isComment reports whether a line holds only a comment.
func isComment(l string) bool {
	t := strings.TrimSpace(l)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//")
}

func (d directive) covers(r *rules.Rule) bool {
	for _, n := range d.names {
		if r.Matches(n) {
			return true
		}
	}
	return false
}

// match finds the directive that applies to a finding: file-wide, trailing
// on its line (not in Dockerfiles, where `#` inside an instruction is not a
// comment), or in the comment lines right above the start of its logical
// line (a RUN or shell command continued with backslashes starts earlier).
func (f *file) match(fd rules.Finding) (directive, bool) {
	for _, d := range f.fileWide {
		if d.covers(fd.Rule) {
			return d, true
		}
	}
	line := fd.At.Line
	if line > len(f.lines) {
		return directive{}, false
	}
	if !f.dockerfile && !isComment(f.lines[line-1]) {
		for _, d := range f.directives[line] {
			if d.covers(fd.Rule) {
				return d, true
			}
		}
	}
	start := line
	for start > 1 && strings.HasSuffix(strings.TrimRight(f.lines[start-2], " \t"), `\`) {
		start--
	}
	for k := start - 1; k >= 1 && isComment(f.lines[k-1]); k-- {
		for _, d := range f.directives[k] {
			if d.covers(fd.Rule) {
				return d, true
			}
		}
	}
	return directive{}, false
}

// check reports directives without a reason or naming no rule.
func check(path string, f *file) []rules.Finding {
	rs := rules.Lookup("ignore-directive")
	if len(rs) == 0 {
		return nil
	}
	rep := rules.NewReporter(rs[0], nil)
	subject := facts.Subject{Kind: facts.SubjectFile, Name: path}
	all := append([]directive{}, f.fileWide...)
	for _, ds := range f.directives {
		all = append(all, ds...)
	}
	for _, d := range all {
		at := facts.Location{Path: path, Line: d.line}
		for _, n := range d.names {
			if len(rules.Lookup(n)) == 0 {
				rep.Report(subject, at, "dockguard:ignore names %q, which is no rule, slug or control", n)
			}
		}
		if d.reason == "" {
			rep.Report(subject, at, "dockguard:ignore=%s gives no reason", strings.Join(d.names, ","))
		}
	}
	return rep.Findings()
}
