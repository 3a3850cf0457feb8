package secrets

import "strings"

// keywordIndex finds ASCII keywords in a text, ignoring ASCII case, without
// copying the text: a table of the keywords' first two bytes (lower case)
// points at the keywords that start with them. It is a few times faster
// than a general Aho-Corasick automaton on texts where most positions match
// nothing, which is what file contents are.
type keywordIndex struct {
	first  [1 << 16]uint16 // 1 + index into starts, by first two bytes
	starts [][]keyword
}

type keyword struct {
	s  string // lower case, at least two bytes
	id int
}

var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// add indexes keyword k (lower case, two bytes or more) under id.
func (x *keywordIndex) add(k string, id int) {
	p := uint16(k[0])<<8 | uint16(k[1])
	if x.first[p] == 0 {
		x.starts = append(x.starts, nil)
		x.first[p] = uint16(len(x.starts))
	}
	g := x.first[p] - 1
	x.starts[g] = append(x.starts[g], keyword{k, id})
}

// each calls fn with the offset and id of every keyword occurrence in
// text, in order of offset.
func (x *keywordIndex) each(text string, fn func(pos, id int)) {
	if len(text) < 2 {
		return
	}
	prev := uint16(lowerASCII[text[0]])
	for i := 1; i < len(text); i++ {
		c := uint16(lowerASCII[text[i]])
		p := prev<<8 | c
		prev = c
		g := x.first[p]
		if g == 0 {
			continue
		}
		at := i - 1
		for _, k := range x.starts[g-1] {
			if len(text)-at >= len(k.s) && hasPrefixFold(text[at:], k.s) {
				fn(at, k.id)
			}
		}
	}
}

// hasPrefixFold reports whether s starts with lower-case ASCII prefix,
// ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	for i := 2; i < len(prefix); i++ {
		if lowerASCII[s[i]] != prefix[i] {
			return false
		}
	}
	return true
}

// validKeyword tells whether k can be indexed.
func validKeyword(k string) bool {
	if len(k) < 2 {
		return false
	}
	for i := range len(k) {
		if k[i] >= 0x80 {
			return false
		}
	}
	return k == strings.ToLower(k)
}
