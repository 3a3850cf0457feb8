package workflow

import (
	"strings"

	"github.com/dockguard/dockguard/internal/source/script"
)

// replaceExpressions turns every GitHub expression `${{ … }}` into a shell
// variable of the same width, named after what it reads where it can be
// (`${{ inputs.memory }}` → `${inputs_memory___}`): its value is only known
// when the workflow runs, and columns after it stay right.
func replaceExpressions(t *script.Text) {
	src := t.Src
	for i := 0; i+3 <= len(src); {
		j := strings.Index(src[i:], "${{")
		if j < 0 {
			return
		}
		start := i + j
		end := strings.Index(src[start+3:], "}}")
		if end < 0 {
			return
		}
		end = start + 3 + end + 2
		for _, seg := range lineSegments(start, end, src) {
			t.Replace(seg[0], seg[1], exprPlaceholder(src[seg[0]:seg[1]]))
		}
		src = t.Src
		i = end
	}
}

// lineSegments splits [start,end) at newlines, so an expression written over
// several lines keeps the line breaks.
func lineSegments(start, end int, src string) [][2]int {
	var out [][2]int
	s := start
	for k := start; k < end; k++ {
		if src[k] == '\n' {
			if k > s {
				out = append(out, [2]int{s, k})
			}
			s = k + 1
		}
	}
	if end > s {
		out = append(out, [2]int{s, end})
	}
	return out
}

// exprPlaceholder is a shell variable as wide as expr.
func exprPlaceholder(expr string) string {
	n := len(expr)
	if n < 4 {
		return script.Placeholder(n)
	}
	inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(expr), "${{"), "}}"))
	var name []byte
	for i := 0; i < len(inner) && len(name) < n-3; i++ {
		c := inner[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= '0' && c <= '9' && len(name) > 0:
			name = append(name, c)
		case c == '.' || c == '-' || c == ' ':
			if len(name) > 0 && name[len(name)-1] != '_' {
				name = append(name, '_')
			}
		}
	}
	if len(name) == 0 || !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z' || name[0] == '_') {
		name = []byte("GH")
	}
	for len(name) < n-3 {
		name = append(name, '_')
	}
	return "${" + string(name[:n-3]) + "}"
}
