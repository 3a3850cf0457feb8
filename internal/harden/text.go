package harden

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// text is a file's bytes with its line starts, for splicing at the
// line/column positions YAML nodes carry.
type text struct {
	src   string
	start []int // offset of each line (index 0 = line 1)
	edits []edit
	// comments are trailing comments to add, by line.
	comments map[int]string
}

func newText(src string) *text {
	t := &text{src: src, start: []int{0}, comments: map[int]string{}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			t.start = append(t.start, i+1)
		}
	}
	return t
}

func (t *text) lines() int { return len(t.start) }

// line returns line n (1-based) without its newline.
func (t *text) line(n int) string {
	if n < 1 || n > len(t.start) {
		return ""
	}
	return t.src[t.start[n-1]:t.lineEnd(n)]
}

// lineEnd is the offset of line n's newline (or the end of the file).
func (t *text) lineEnd(n int) int {
	if n < len(t.start) {
		e := t.start[n] - 1
		if e > 0 && t.src[e-1] == '\r' {
			e--
		}
		return e
	}
	return len(t.src)
}

// offset converts a 1-based line and (rune) column to a byte offset.
func (t *text) offset(line, col int) int {
	off := t.start[line-1]
	for c := 1; c < col && off < len(t.src); c++ {
		_, n := utf8.DecodeRuneInString(t.src[off:])
		off += n
	}
	return off
}

// indent is the number of leading spaces of line n.
func (t *text) indent(n int) int {
	l := t.line(n)
	return len(l) - len(strings.TrimLeft(l, " "))
}

// blankOrComment reports whether line n holds nothing but a comment.
func (t *text) blankOrComment(n int) bool {
	s := strings.TrimSpace(t.line(n))
	return s == "" || strings.HasPrefix(s, "#")
}

// blockEnd is the last line of a block that starts on line first and whose
// content is indented more than indent (dash: also "- " items at indent).
func (t *text) blockEnd(first, indent int, dash bool) int {
	last := first
	for n := first + 1; n <= t.lines(); n++ {
		if t.blankOrComment(n) {
			continue
		}
		in := t.indent(n)
		rest := strings.TrimLeft(t.line(n), " ")
		if in > indent || (dash && in == indent && (rest == "-" || strings.HasPrefix(rest, "- "))) {
			last = n
			continue
		}
		break
	}
	return last
}

// hasComment reports whether line n ends with a comment.
func (t *text) hasComment(n int) bool {
	l := t.line(n)
	var q byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			} else if c == '\\' && q == '"' {
				i++
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return true
		}
	}
	return false
}

// scalarEnd is the end offset of the scalar token that starts at off.
func (t *text) scalarEnd(off int, flow bool) int {
	s := t.src
	if off >= len(s) {
		return off
	}
	switch s[off] {
	case '"':
		for i := off + 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				return i + 1
			}
		}
		return len(s)
	case '\'':
		for i := off + 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return len(s)
	}
	end := off
	for i := off; i < len(s) && s[i] != '\n' && s[i] != '\r'; i++ {
		if s[i] == '#' && i > off && (s[i-1] == ' ' || s[i-1] == '\t') {
			break
		}
		if flow && (s[i] == ',' || s[i] == ']' || s[i] == '}') {
			break
		}
		end = i + 1
	}
	for end > off && (s[end-1] == ' ' || s[end-1] == '\t') {
		end--
	}
	return end
}

func (t *text) replace(start, end int, s string) {
	t.edits = append(t.edits, edit{start, end, s})
}

// insertLines inserts whole lines after line n.
func (t *text) insertLines(after int, lines []string) {
	off := t.lineEnd(after)
	s := ""
	for _, l := range lines {
		s += t.newline() + l
	}
	t.edits = append(t.edits, edit{off, off, s})
}

func (t *text) newline() string {
	if strings.Contains(t.src, "\r\n") {
		return "\r\n"
	}
	return "\n"
}

func (t *text) comment(line int, c string) {
	if c == "" || t.hasComment(line) {
		return
	}
	if _, ok := t.comments[line]; !ok {
		t.comments[line] = c
	}
}

// result applies the edits; comments go at the end of their (original)
// line, after whatever an edit put there.
func (t *text) result() string {
	var edits []edit
	lines := make([]int, 0, len(t.comments))
	for line := range t.comments {
		lines = append(lines, line)
	}
	sort.Ints(lines)
	for _, line := range lines {
		off := t.lineEnd(line)
		edits = append(edits, edit{off, off, "  " + t.comments[line]})
	}
	edits = append(edits, t.edits...)
	// Stable: at one offset, edits apply in the order they were made.
	idx := make([]int, len(edits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return edits[idx[a]].start < edits[idx[b]].start })
	var b strings.Builder
	pos := 0
	for _, i := range idx {
		e := edits[i]
		if e.start < pos {
			continue // overlapping: keep the first
		}
		b.WriteString(t.src[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.WriteString(t.src[pos:])
	return b.String()
}
