package secrets

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// prefilter is a cheap necessary condition for a regular expression to
// match somewhere in a text. Go's regexp engine spends tens of microseconds
// on one line against a rule such as gitleaks' generic API-key rule (a
// large program, tried from every position), and most lines it is tried
// on match nothing; the prefilter rules most of them out first:
//
//   - clauses are literals the text must hold (one of each clause's,
//     compared in ASCII lower case), derived from the expression's
//     structure; and
//   - re is the expression with what may match nothing at its ends removed
//     and bounded repetitions unbounded: it matches wherever the original
//     does (a leading `[\w.-]{0,50}?` no longer makes every position try 50
//     characters ahead).
//
// A text the prefilter rejects cannot match; one it accepts goes to the
// original expression.
type prefilter struct {
	re      *regexp.Regexp
	clauses [][]string
}

func newPrefilter(expr string) (*prefilter, error) {
	p, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	info := analyze(p)
	clauses := info.and
	if c := clause(info.exact); c != nil {
		clauses = append(clauses, c)
	}
	re, err := regexp.Compile(relax(stripEnds(p)).String())
	if err != nil {
		return nil, err
	}
	return &prefilter{re: re, clauses: clauses}, nil
}

// match reports whether the expression may match text; lower is text in
// ASCII lower case.
func (p *prefilter) match(text, lower string) bool {
	for _, c := range p.clauses {
		if !slices.ContainsFunc(c, func(l string) bool { return strings.Contains(lower, l) }) {
			return false
		}
	}
	return p.re.MatchString(text)
}

// stripEnds drops, from the ends of a top-level concatenation, elements
// that may match the empty string: an unanchored search finds a match of
// the rest wherever the whole matches, and the whole wherever the rest does
// (the dropped parts matching nothing).
func stripEnds(re *syntax.Regexp) *syntax.Regexp {
	for {
		switch {
		case re.Op == syntax.OpCapture:
			re = re.Sub[0]
		case re.Op == syntax.OpConcat && len(re.Sub) > 1 && optional(re.Sub[0]):
			c := *re
			c.Sub = re.Sub[1:]
			re = &c
		case re.Op == syntax.OpConcat && len(re.Sub) > 1 && optional(re.Sub[len(re.Sub)-1]):
			c := *re
			c.Sub = re.Sub[:len(re.Sub)-1]
			re = &c
		default:
			return re
		}
	}
}

func optional(re *syntax.Regexp) bool {
	return re.Op == syntax.OpStar || re.Op == syntax.OpQuest || re.Op == syntax.OpRepeat && re.Min == 0
}

// relax returns a copy of re with repetitions of more than 4 unbounded:
// {10,150} becomes {10,}, which matches every text the original does and
// compiles to a far smaller program.
func relax(re *syntax.Regexp) *syntax.Regexp {
	c := *re
	c.Sub = make([]*syntax.Regexp, len(re.Sub))
	for i, s := range re.Sub {
		c.Sub[i] = relax(s)
	}
	if c.Op == syntax.OpRepeat && c.Max > 4 {
		c.Max = -1
	}
	return &c
}

// litInfo is what analyze learns of an expression: every string it can
// match when they are few (exact, lower case; nil when unknown), and
// clauses of literals of which any match holds one each.
type litInfo struct {
	exact []string
	and   [][]string
}

const maxExact = 16

func analyze(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if !isASCII(s) {
			return litInfo{}
		}
		return litInfo{exact: []string{strings.ToLower(s)}}
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= 0x80 || hi-lo >= maxExact {
				return litInfo{}
			}
			for r := lo; r <= hi; r++ {
				if s := strings.ToLower(string(r)); !slices.Contains(set, s) {
					set = append(set, s)
				}
			}
			if len(set) > maxExact {
				return litInfo{}
			}
		}
		if len(set) == 0 {
			return litInfo{}
		}
		return litInfo{exact: set}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return litInfo{exact: []string{""}}
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpPlus:
		return atLeastOnce(analyze(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return atLeastOnce(analyze(re.Sub[0]))
		}
	case syntax.OpConcat:
		var out litInfo
		cur, whole := []string{""}, true
		for _, sub := range re.Sub {
			c := analyze(sub)
			out.and = append(out.and, c.and...)
			if cur != nil && c.exact != nil && len(cur)*len(c.exact) <= maxExact {
				cur = cross(cur, c.exact)
				continue
			}
			whole = false
			if cl := clause(cur); cl != nil {
				out.and = append(out.and, cl)
			}
			cur = c.exact
		}
		if whole {
			out.exact = cur
		} else if cl := clause(cur); cl != nil {
			out.and = append(out.and, cl)
		}
		return out
	case syntax.OpAlternate:
		subs := make([]litInfo, len(re.Sub))
		var union []string
		for i, sub := range re.Sub {
			subs[i] = analyze(sub)
			if union != nil || i == 0 {
				if subs[i].exact == nil {
					union = nil
				} else {
					union = appendNew(union, subs[i].exact...)
				}
			}
		}
		if union != nil && len(union) <= maxExact {
			return litInfo{exact: union}
		}
		// One clause: for each branch, one of its clauses; any match holds
		// a literal of the branch it took.
		var cl []string
		for _, s := range subs {
			best := clause(s.exact)
			for _, a := range s.and {
				if best == nil || shortest(a) > shortest(best) {
					best = a
				}
			}
			if best == nil {
				return litInfo{}
			}
			cl = appendNew(cl, best...)
		}
		return litInfo{and: [][]string{cl}}
	}
	// Star, quest, any character: nothing is required.
	return litInfo{}
}

func atLeastOnce(c litInfo) litInfo {
	and := c.and
	if cl := clause(c.exact); cl != nil {
		and = append(and, cl)
	}
	return litInfo{and: and}
}

// clause turns a set of exact strings into a requirement: nil when unknown
// or when it holds the empty string (nothing is then required).
func clause(exact []string) []string {
	if exact == nil || slices.Contains(exact, "") {
		return nil
	}
	return exact
}

func cross(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = appendNew(out, x+y)
		}
	}
	return out
}

func appendNew(set []string, ss ...string) []string {
	for _, s := range ss {
		if !slices.Contains(set, s) {
			set = append(set, s)
		}
	}
	return set
}

func shortest(c []string) int {
	n := -1
	for _, s := range c {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
