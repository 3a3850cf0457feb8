package inputs

import (
	"path"
	"strings"
)

// Ignore is a set of gitignore patterns (a .dockguardignore file), matched
// against slash-separated paths relative to the folder the file is in.
//
// The rules are gitignore's: blank lines and lines starting with # are
// skipped (\# and \! escape those characters); trailing spaces are dropped
// unless escaped; ! re-includes what an earlier pattern excluded; a
// trailing / matches folders only; a pattern with a / at its start or in
// its middle is anchored to the folder, any other pattern matches a name at
// any depth; * and ? do not cross /, [a-z] and [!a-z] are classes, and **
// as a whole path segment matches any number of folders. The last pattern
// that matches decides. As in git, a file inside an ignored folder cannot
// be re-included: the walk never enters that folder.
type Ignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	segs     []string
	negate   bool
	dirOnly  bool
	anchored bool
}

// ParseIgnore reads patterns; bad lists the lines (1-based) whose pattern
// is malformed (an unclosed [ class), which are left out.
func ParseIgnore(data string) (*Ignore, []int) {
	ig := &Ignore{}
	var bad []int
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = trimTrailingSpaces(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var r ignoreRule
		switch {
		case line[0] == '!':
			r.negate = true
			line = line[1:]
		case strings.HasPrefix(line, `\#`), strings.HasPrefix(line, `\!`):
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimRight(line, "/")
		}
		if line == "" {
			continue
		}
		if strings.Contains(line, "/") {
			r.anchored = true
			line = strings.TrimLeft(line, "/")
		}
		if line == "" {
			continue
		}
		ok := true
		for _, seg := range strings.Split(line, "/") {
			if seg == "" {
				continue // a//b is a/b
			}
			if seg != "**" {
				seg = fnmatchClass(seg)
				if _, err := path.Match(seg, ""); err != nil {
					ok = false
					break
				}
			}
			r.segs = append(r.segs, seg)
		}
		if !ok {
			bad = append(bad, i+1)
			continue
		}
		if !r.anchored && len(r.segs) == 1 && r.segs[0] == "**" {
			r.anchored = true
		}
		ig.rules = append(ig.rules, r)
	}
	return ig, bad
}

// trimTrailingSpaces drops trailing spaces that are not escaped with \.
func trimTrailingSpaces(s string) string {
	for strings.HasSuffix(s, " ") {
		if strings.HasSuffix(s, `\ `) {
			// Keep the escaped space, without its backslash.
			return s[:len(s)-2] + " "
		}
		s = s[:len(s)-1]
	}
	return s
}

// fnmatchClass turns fnmatch's negated class [!…] into path.Match's [^…].
func fnmatchClass(seg string) string {
	if !strings.Contains(seg, "[!") {
		return seg
	}
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		if seg[i] == '\\' && i+1 < len(seg) {
			b.WriteString(seg[i : i+2])
			i++
			continue
		}
		if seg[i] == '[' && i+1 < len(seg) && seg[i+1] == '!' {
			b.WriteString("[^")
			i++
			continue
		}
		b.WriteByte(seg[i])
	}
	return b.String()
}

// Match reports whether rel (slash-separated, relative to the ignore
// file's folder) is ignored; dir says whether it is a folder.
func (ig *Ignore) Match(rel string, dir bool) bool {
	if ig == nil || rel == "" {
		return false
	}
	parts := strings.Split(rel, "/")
	ignored := false
	for _, r := range ig.rules {
		if r.negate != ignored {
			// Only a rule that would change the outcome needs matching.
			continue
		}
		if r.dirOnly && !dir {
			continue
		}
		budget := 10000
		var hit bool
		if r.anchored {
			hit = matchSegs(r.segs, parts, &budget)
		} else {
			hit = matchSegs(r.segs, parts[len(parts)-1:], &budget)
		}
		if hit {
			ignored = !r.negate
		}
	}
	return ignored
}

// matchSegs matches pattern segments against path segments; ** matches
// any number of segments, and budget bounds the backtracking it causes so
// that a hostile pattern cannot make a walk crawl.
func matchSegs(pat, parts []string, budget *int) bool {
	*budget--
	if *budget < 0 {
		return false
	}
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				// A trailing ** matches everything below (a lone ** matches
				// everything).
				return len(parts) > 0
			}
			for i := 0; i <= len(parts); i++ {
				if matchSegs(pat[1:], parts[i:], budget) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}
