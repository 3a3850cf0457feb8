package cves

import (
	"strconv"
	"strings"
)

// Version is a version string as kernels, engines and runtimes report it,
// split into what can be compared and what cannot:
//
//	5.10.102                 Parts [5 10 102]
//	5.10.0-28-amd64          Parts [5 10 0], Suffix "-28-amd64"
//	4.18.0-513.el8.x86_64    Parts [4 18 0], Suffix "-513.el8.x86_64"
//	20.10.24+dfsg1           Parts [20 10 24], Suffix "+dfsg1"
//	1.1.5+ds1-1+deb12u1      Parts [1 1 5], Suffix "+ds1-1+deb12u1"
//	1.0.0-rc6+dev            Parts [1 0 0], Pre "rc6", Suffix "+dev"
//	1.4.0-rc.3               Parts [1 4 0], Pre "rc.3"
//	5:27.1.1-1~debian.12     Parts [27 1 1], Suffix "-1~debian.12" (epoch dropped)
//
// The suffix is where distributions put their own revision; it is kept for
// the caller to judge (see Distribution) but never compared, because a
// distribution's revision says nothing about which upstream fixes it
// carries.
type Version struct {
	Raw    string
	Parts  []int
	Pre    string // pre-release: sorts before the release itself
	Suffix string
}

// Parse reads a version; ok is false when it does not start with a number
// (after an optional "v" and Debian epoch).
func Parse(s string) (v Version, ok bool) {
	v.Raw = s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, ':'); i > 0 && allDigits(s[:i]) {
		s = s[i+1:] // Debian epoch
	}
	i := 0
	for {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			break
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil {
			return v, false
		}
		v.Parts = append(v.Parts, n)
		i = j
		if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	if len(v.Parts) == 0 {
		return v, false
	}
	rest := s[i:]
	if pre, n := preRelease(rest); n > 0 {
		v.Pre = pre
		rest = rest[n:]
	}
	v.Suffix = rest
	return v, true
}

// MustParse parses a version known to be well formed (table data).
func MustParse(s string) Version {
	v, ok := Parse(s)
	if !ok {
		panic("cves: bad version " + s)
	}
	return v
}

// preRelease recognizes -rc6, -rc.3, ~rc1, -beta.1, -alpha2 at the start of
// rest and returns the tag without its separator and how many bytes it took.
func preRelease(rest string) (string, int) {
	if rest == "" {
		return "", 0
	}
	start := 0
	if rest[0] == '-' || rest[0] == '~' || rest[0] == '.' {
		start = 1
	}
	for _, tag := range []string{"rc", "beta", "alpha"} {
		if !strings.HasPrefix(rest[start:], tag) {
			continue
		}
		j := start + len(tag)
		if j < len(rest) && rest[j] == '.' {
			j++
		}
		k := j
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if k == j && j != start+len(tag) {
			return "", 0 // "rc." without a number
		}
		// The tag must end here: "-rcfoo" is a suffix, not a pre-release.
		if k < len(rest) && isAlnum(rest[k]) {
			return "", 0
		}
		return rest[start:k], k
	}
	return "", 0
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Compare orders versions by their numeric parts (missing parts are 0),
// then pre-releases before releases. Suffixes are ignored.
func Compare(a, b Version) int {
	n := max(len(a.Parts), len(b.Parts))
	for i := 0; i < n; i++ {
		x, y := part(a.Parts, i), part(b.Parts, i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.Pre == b.Pre:
		return 0
	case a.Pre == "":
		return 1
	case b.Pre == "":
		return -1
	}
	return comparePre(a.Pre, b.Pre)
}

func part(p []int, i int) int {
	if i < len(p) {
		return p[i]
	}
	return 0
}

// comparePre orders alpha < beta < rc, then by number.
func comparePre(a, b string) int {
	rank := func(s string) (int, int) {
		r := 0
		switch {
		case strings.HasPrefix(s, "alpha"):
			r, s = 0, strings.TrimPrefix(s, "alpha")
		case strings.HasPrefix(s, "beta"):
			r, s = 1, strings.TrimPrefix(s, "beta")
		default:
			r, s = 2, strings.TrimPrefix(s, "rc")
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(s, "."))
		return r, n
	}
	ra, na := rank(a)
	rb, nb := rank(b)
	switch {
	case ra != rb:
		return cmpInt(ra, rb)
	default:
		return cmpInt(na, nb)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Branch is the release line a version belongs to: its first two parts
// ("5.10", "27.1", "1.1"). Stable kernels, Docker Engine and runc publish
// fixes per branch.
func (v Version) Branch() string {
	if len(v.Parts) < 2 {
		return strconv.Itoa(part(v.Parts, 0)) + ".0"
	}
	return strconv.Itoa(v.Parts[0]) + "." + strconv.Itoa(v.Parts[1])
}

// Upstream is the comparable part of the version ("5.10.0", "1.0.0-rc6").
func (v Version) Upstream() string {
	s := make([]string, len(v.Parts))
	for i, p := range v.Parts {
		s[i] = strconv.Itoa(p)
	}
	u := strings.Join(s, ".")
	if v.Pre != "" {
		u += "-" + v.Pre
	}
	return u
}

// String returns the version as it was given.
func (v Version) String() string { return v.Raw }
