package script

import (
	"sort"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// Lines maps byte offsets of a file to lines and byte columns, both 1-based.
type Lines struct {
	Path   string
	data   string
	starts []int
}

// NewLines indexes the line starts of data.
func NewLines(path string, data string) *Lines {
	l := &Lines{Path: path, data: data, starts: []int{0}}
	for i := 0; i < len(data); i++ {
		if data[i] == '\n' {
			l.starts = append(l.starts, i+1)
		}
	}
	return l
}

// Count is the number of lines (a final newline does not start a line).
func (l *Lines) Count() int {
	n := len(l.starts)
	if n > 1 && l.starts[n-1] == len(l.data) {
		n--
	}
	return n
}

// Line returns line n (1-based) without its newline (and carriage return).
func (l *Lines) Line(n int) string {
	if n < 1 || n > len(l.starts) {
		return ""
	}
	start := l.starts[n-1]
	end := len(l.data)
	if n < len(l.starts) {
		end = l.starts[n] - 1
	}
	if end > start && l.data[end-1] == '\r' {
		end--
	}
	return l.data[start:end]
}

// Start is the offset of line n's first byte.
func (l *Lines) Start(n int) int {
	if n < 1 {
		return 0
	}
	if n > len(l.starts) {
		return len(l.data)
	}
	return l.starts[n-1]
}

// At is the location of a byte offset. Offsets outside the file are
// clamped to it.
func (l *Lines) At(off int) facts.Location {
	off = max(0, min(off, len(l.data)))
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
	return facts.Location{Path: l.Path, Line: i + 1, Column: off - l.starts[i] + 1}
}

// Text is shell code cut out of a file (a recipe line, a YAML scalar),
// with the file offset of each of its bytes so that positions found in the
// code point back into the file.
type Text struct {
	Src string
	// off[i] is the file offset of Src[i]; nil means Src is the file's
	// own bytes from offset base on.
	off  []int32
	base int
}

// Whole is a Text that is the file itself.
func Whole(data string) *Text { return &Text{Src: data} }

// FileOffset maps an offset in Src (len(Src) included) to the file.
func (t *Text) FileOffset(i int) int {
	if t.off == nil {
		return t.base + max(0, min(i, len(t.Src)))
	}
	if len(t.off) == 0 {
		return t.base
	}
	if i >= len(t.off) {
		// The end of the text: where its last byte is.
		return int(t.off[len(t.off)-1])
	}
	return int(t.off[max(i, 0)])
}

// Builder assembles a Text from pieces of a file.
type Builder struct {
	b    []byte
	off  []int32
	base int
}

// NewBuilder starts a Text whose empty form maps to base.
func NewBuilder(base int) *Builder { return &Builder{base: base} }

// Copy appends s, which stands in the file at offset at.
func (b *Builder) Copy(s string, at int) {
	for i := 0; i < len(s); i++ {
		b.b = append(b.b, s[i])
		b.off = append(b.off, int32(at+i))
	}
}

// Put appends s, which is not in the file as such (an unescaped `$$`, a
// placeholder), with every byte mapped to offset at.
func (b *Builder) Put(s string, at int) {
	for i := 0; i < len(s); i++ {
		b.b = append(b.b, s[i])
		b.off = append(b.off, int32(at))
	}
}

// Len is the length of the text so far.
func (b *Builder) Len() int { return len(b.b) }

// Text returns the assembled text.
func (b *Builder) Text() *Text {
	off := b.off
	if off == nil {
		off = []int32{}
	}
	return &Text{Src: string(b.b), off: off, base: b.base}
}

// Replace overwrites Src[i:j] with s of the same length, keeping offsets:
// GitHub expressions and make variables become shell variables of the same
// width so that columns after them stay right.
func (t *Text) Replace(i, j int, s string) {
	if j-i != len(s) || i < 0 || j > len(t.Src) {
		return
	}
	t.Src = t.Src[:i] + s + t.Src[j:]
}

// Placeholder is a shell variable reference exactly n bytes wide (n >= 2):
// $M, $MK, ${M}, ${MK}, ${MK_}, …, for a value only known when the code
// runs (a make variable, a CI expression).
func Placeholder(n int) string {
	switch {
	case n <= 1:
		return "_"
	case n == 2:
		return "$M"
	case n == 3:
		return "$MK"
	}
	name := "MK" + strings.Repeat("_", max(0, n-5))
	return "${" + name[:n-3] + "}"
}
