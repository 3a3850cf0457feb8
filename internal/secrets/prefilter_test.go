package secrets

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

// gen writes a random string re may match (assertions are ignored, so
// some do not: callers keep those the expression matches).
func gen(r *rand.Rand, re *syntax.Regexp, b *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && r.IntN(2) == 0 {
				c = []rune(strings.ToUpper(string(c)))[0]
			}
			b.WriteRune(c)
		}
	case syntax.OpCharClass:
		n := len(re.Rune) / 2
		if n == 0 {
			return
		}
		i := r.IntN(n)
		lo, hi := re.Rune[2*i], re.Rune[2*i+1]
		if hi-lo > 1000 {
			hi = lo + 1000
		}
		b.WriteRune(lo + rune(r.IntN(int(hi-lo)+1)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte("abc xyz=:_-019\t"[r.IntN(15)])
	case syntax.OpCapture:
		gen(r, re.Sub[0], b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo, hi = 1, 4
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo = re.Min
			hi = re.Max
			if hi < 0 || hi > lo+40 {
				hi = lo + 40
			}
		}
		for range lo + r.IntN(hi-lo+1) {
			gen(r, re.Sub[0], b)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			gen(r, s, b)
		}
	case syntax.OpAlternate:
		gen(r, re.Sub[r.IntN(len(re.Sub))], b)
	}
}

// TestPrefilterNeverRejectsAMatch: for every gitleaks rule, random texts
// its expression matches (with some text around) pass its prefilter.
func TestPrefilterNeverRejectsAMatch(t *testing.T) {
	cfg, err := defaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for id, rule := range cfg.Rules {
		if rule.Regex == nil {
			continue
		}
		pf, err := newPrefilter(rule.Regex.String())
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		p, _ := syntax.Parse(rule.Regex.String(), syntax.Perl)
		re := regexp.MustCompile(rule.Regex.String())
		for range 200 {
			var b strings.Builder
			b.WriteString([]string{"", "x = ", "foo\n", "  "}[r.IntN(4)])
			gen(r, p, &b)
			b.WriteString([]string{"", "\n", " bar", `"`}[r.IntN(4)])
			s := b.String()
			if !re.MatchString(s) {
				continue
			}
			checked++
			if !pf.match(s, lowerString(s)) {
				t.Fatalf("%s: prefilter rejects %q, which the expression matches (clauses %v, %s)", id, s, pf.clauses, pf.re)
			}
		}
	}
	if checked < 10000 {
		t.Errorf("only %d matching samples", checked)
	}
}

func lowerString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII[c]
	}
	return string(b)
}

func TestPrefilterClauses(t *testing.T) {
	for _, c := range []struct {
		expr string
		want string
	}{
		{`(?i)[\w.-]{0,50}?(?:key|token)[ \t]{0,5}(?:=|:)`, "[[key token] [: =]]"},
		{`\bghp_[0-9a-zA-Z]{36}\b`, "[[ghp_]]"},
		{`(?:AKIA|ASIA)[A-Z2-7]{16}`, "[[akia asia]]"},
		{`-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY-----`, "[[-----begin] [private key-----]]"},
		{`x*|y`, "[]"},
	} {
		pf, err := newPrefilter(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(strings.Fields(strings.ReplaceAll(fmtClauses(pf.clauses), "\n", " ")), " "); got != c.want {
			t.Errorf("%s: clauses %s, want %s", c.expr, got, c.want)
		}
	}
}

func fmtClauses(cs [][]string) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, "["+strings.Join(c, " ")+"]")
	}
	return "[" + strings.Join(parts, " ") + "]"
}
