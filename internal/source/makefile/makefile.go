// Package makefile cuts the shell code out of Makefiles: the recipe lines of
// every rule, as make hands them to the shell, each byte mapped back to the
// Makefile so that findings point at its lines and columns.
//
// What make does before the shell sees a recipe line is undone here: the
// recipe prefix (a tab, or .RECIPEPREFIX) and the @, - and + prefixes are
// dropped, `$$` becomes `$`, and continuation lines lose their leading tab
// while the backslash-newline stays for the shell. Make variables and
// functions (`$(IMAGE)`, `${FLAGS}`, `$@`, `$(shell …)`) only have a value
// when make runs, so each becomes a shell variable of the same width: the
// shell parser sees an unknown value, and columns after it stay right. The
// one exception is a variable the Makefile sets, once and literally, to a
// container tool (`DOCKER ?= docker`, `ENGINE := podman`): `$(DOCKER) run`
// would otherwise hide every run line behind it.
//
// Each logical recipe line is parsed on its own, as make runs each in its
// own shell; with .ONESHELL a rule's recipe is one script.
package makefile

import (
	"regexp"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/script"
)

// physical is one line of the file, without its newline.
type physical struct {
	text string
	off  int // offset of its first byte
	n    int // 1-based line number
}

func split(data string) []physical {
	var out []physical
	off := 0
	for n := 1; off <= len(data); n++ {
		end := strings.IndexByte(data[off:], '\n')
		if end < 0 {
			if off < len(data) {
				out = append(out, physical{text: strings.TrimSuffix(data[off:], "\r"), off: off, n: n})
			}
			break
		}
		out = append(out, physical{text: strings.TrimSuffix(data[off:off+end], "\r"), off: off, n: n})
		off += end + 1
	}
	return out
}

// continues reports whether a line ends with an odd number of
// backslashes, which joins it to the next.
func continues(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

var (
	reAssign = regexp.MustCompile(`^\s*(?:(?:export|override|private)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\?|:{1,3}|!)?=\s*(.*?)\s*$`)
	reDefine = regexp.MustCompile(`^\s*(?:(?:export|override|private)\s+)*define(\s|$)`)
	reCond   = regexp.MustCompile(`^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)(\s|$)`)
)

// tools are what a variable may name for its uses to be read as that tool.
var tools = map[string]bool{"docker": true, "podman": true, "nerdctl": true, "podman-remote": true}

// Load returns one unit per rule that has a recipe.
func Load(path string, data []byte) []*script.Unit {
	src := string(data)
	lines := script.NewLines(path, src)
	phys := split(src)
	m := &parser{path: path, lines: lines, phys: phys, prefix: '\t', defs: map[string][]string{}}
	m.scanDefinitions()
	m.parse()
	return m.units
}

type parser struct {
	path     string
	lines    *script.Lines
	phys     []physical
	prefix   byte
	oneShell bool
	defs     map[string][]string // variable → literal values it is set to
	units    []*script.Unit
	cur      *script.Unit
	shell    *script.Builder // .ONESHELL recipe being built
}

// scanDefinitions records literal variable values and the settings that
// change how recipes are read.
func (m *parser) scanDefinitions() {
	for i := 0; i < len(m.phys); i++ {
		l := m.phys[i].text
		for continues(l) && i+1 < len(m.phys) {
			i++
			l = l[:len(l)-1] + " " + strings.TrimLeft(m.phys[i].text, " \t")
		}
		if strings.HasPrefix(l, "\t") {
			continue
		}
		t := strings.TrimSpace(l)
		if t == ".ONESHELL:" || strings.HasPrefix(t, ".ONESHELL:") {
			m.oneShell = true
		}
		if sm := reAssign.FindStringSubmatch(l); sm != nil {
			name, value := sm[1], sm[2]
			if name == ".RECIPEPREFIX" {
				if value != "" {
					m.prefix = value[0]
				} else {
					m.prefix = '\t'
				}
				continue
			}
			m.defs[name] = append(m.defs[name], value)
		}
	}
}

// toolOf returns what a variable stands for when the Makefile sets it, and
// only ever sets it, to a container tool.
func (m *parser) toolOf(name string) (string, bool) {
	vals := m.defs[name]
	if len(vals) != 1 {
		return "", false
	}
	v := vals[0]
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	words := strings.Fields(v)
	if len(words) == 2 && words[0] == "sudo" {
		words = words[1:]
	}
	if len(words) != 1 {
		return "", false
	}
	w := words[0]
	if i := strings.LastIndexByte(w, '/'); i >= 0 {
		w = w[i+1:]
	}
	if !tools[w] {
		return "", false
	}
	return v, true
}

func (m *parser) parse() {
	inRule, define := false, 0
	for i := 0; i < len(m.phys); {
		p := m.phys[i]
		if define > 0 {
			t := strings.TrimSpace(p.text)
			switch {
			case strings.HasPrefix(t, "endef"):
				define--
			case reDefine.MatchString(p.text):
				define++
			}
			i++
			continue
		}
		if inRule && len(p.text) > 0 && p.text[0] == m.prefix {
			i = m.recipe(i, 1)
			continue
		}
		t := strings.TrimSpace(p.text)
		if t == "" || t[0] == '#' {
			i++
			continue
		}
		// A make line, continued or not.
		j := i
		logical := p.text
		for continues(logical) && j+1 < len(m.phys) {
			j++
			logical = logical[:len(logical)-1] + " " + strings.TrimLeft(m.phys[j].text, " \t")
		}
		switch {
		case reDefine.MatchString(logical):
			define++
			inRule = false
			m.endRule()
		case reCond.MatchString(logical):
			// Conditionals may stand inside a recipe.
		default:
			colon, semi := ruleColon(p.text)
			if colon < 0 {
				inRule = false
				m.endRule()
				break
			}
			inRule = true
			m.endRule()
			target := strings.Fields(p.text[:colon])
			name := "?"
			if len(target) > 0 {
				name = target[0]
			}
			m.cur = &script.Unit{Path: m.path, Subject: facts.Subject{Kind: facts.SubjectScript, Name: "make " + name}}
			if semi >= 0 {
				// `target: prereqs ; recipe` starts the recipe on the
				// rule line itself.
				m.recipeText(i, semi+1)
				i++
				continue
			}
		}
		i = j + 1
	}
	m.endRule()
}

// ruleColon finds the colon of a rule line (outside variable references)
// and the semicolon that starts an inline recipe; colon is -1 for a line
// that is not a rule (an assignment, a directive).
func ruleColon(s string) (colon, semi int) {
	colon, semi = -1, -1
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#' && depth == 0:
			return colon, semi
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			depth++
			i++
		case (c == ')' || c == '}') && depth > 0:
			depth--
		case depth > 0:
		case c == '=' && colon < 0:
			return -1, -1 // an assignment
		case c == ':' && colon < 0:
			if i+1 < len(s) && s[i+1] == '=' {
				return -1, -1 // :=
			}
			if i+2 < len(s) && s[i+1] == ':' && s[i+2] == '=' {
				return -1, -1 // ::=
			}
			colon = i
		case c == ';' && colon >= 0:
			return colon, i
		}
	}
	if colon >= 0 {
		head := strings.TrimSpace(s[:colon])
		if head == "" {
			return -1, -1
		}
		for _, w := range []string{"include ", "-include ", "sinclude ", "export ", "unexport ", "vpath ", "override "} {
			if strings.HasPrefix(head, w) {
				return -1, -1
			}
		}
	}
	return colon, semi
}

// recipe reads the logical recipe line starting at physical line i (skip
// bytes into it) and returns the index of the line after it.
func (m *parser) recipe(i, skip int) int {
	m.recipeText(i, skip)
	j := i
	for continues(m.phys[j].text) && j+1 < len(m.phys) {
		j++
	}
	return j + 1
}

// recipeText builds the shell text of the logical recipe line at physical
// line i, from byte skip on.
func (m *parser) recipeText(i, skip int) {
	if m.cur == nil {
		return
	}
	b := m.shell
	if b == nil {
		b = script.NewBuilder(m.phys[i].off + skip)
	}
	first := true
	for j := i; j < len(m.phys); j++ {
		p := m.phys[j]
		s, at := p.text, p.off
		if first {
			s, at = s[skip:], at+skip
			// @, - and + (and blanks between them) are make's own.
			k := 0
			for k < len(s) && strings.IndexByte("@-+ \t", s[k]) >= 0 {
				k++
			}
			s, at = s[k:], at+k
			first = false
		} else if len(s) > 0 && s[0] == m.prefix {
			s, at = s[1:], at+1
		}
		m.expand(b, s, at)
		if !continues(p.text) || j+1 == len(m.phys) {
			break
		}
		b.Copy("\n", p.off+len(p.text))
	}
	if m.oneShell {
		b.Put("\n", m.phys[i].off)
		m.shell = b
		return
	}
	m.cur.Chunks = append(m.cur.Chunks, script.Chunk{Text: b.Text(), Lines: m.lines, What: "recipe", Dialect: "sh"})
}

// endRule closes the rule being read.
func (m *parser) endRule() {
	if m.cur == nil {
		return
	}
	if m.shell != nil {
		m.cur.Chunks = append(m.cur.Chunks, script.Chunk{Text: m.shell.Text(), Lines: m.lines, What: "recipe", Dialect: "sh"})
		m.shell = nil
	}
	if len(m.cur.Chunks) > 0 {
		m.units = append(m.units, m.cur)
	}
	m.cur = nil
}

// expand copies recipe text into b, unescaping `$$` and turning make
// references into shell variables of the same width.
func (m *parser) expand(b *script.Builder, s string, at int) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.Copy(s[i:i+1], at+i)
			continue
		}
		n := s[i+1]
		switch n {
		case '$':
			b.Put("$", at+i)
			i++
		case '(', '{':
			end := closing(s, i+1)
			if end < 0 {
				// Unterminated: make itself refuses it; leave it.
				b.Copy(s[i:], at+i)
				return
			}
			ref := s[i : end+1]
			name := s[i+2 : end]
			if v, ok := m.toolOf(name); ok {
				b.Put(v, at+i)
			} else if ident(name) {
				b.Put("${"+name+"}", at+i)
			} else {
				b.Put(script.Placeholder(len(ref)), at+i)
			}
			i = end
		default:
			b.Put(script.Placeholder(2), at+i)
			i++
		}
	}
}

// closing finds the parenthesis or brace that closes the one at s[open],
// counting nested pairs of the same kind as make does.
func closing(s string, open int) int {
	o := s[open]
	cl := byte(')')
	if o == '{' {
		cl = '}'
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case o:
			depth++
		case cl:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func ident(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
