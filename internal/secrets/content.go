package secrets

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
)

// ContentMatch is one secret found in a file's text: what it is and on which
// line (1-based). It never holds the secret itself.
type ContentMatch struct {
	Kind string
	Line int
}

// contentRules wraps gitleaks' default detector rules. gitleaks keeps its
// logger and, through NewDetectorDefaultConfig, its configuration in package
// globals; both are set up here, once, so no other package touches them: the
// logger is silenced (a library must not write to stderr behind its
// caller's back) and the default rules are read through a viper instance of
// our own instead of viper's global one.
//
// gitleaks runs a rule's regular expression over the whole text whenever one
// of the rule's keywords occurs anywhere in it, and every call walks all of
// its rules; with Go's regexp engine the generic API-key rule alone then
// costs about half a microsecond a byte, several times the cost of
// decompressing the image. So each rule gets a detector of its own, run only
// where its keywords are: most rules match within one line, and run on the
// line holding the keyword and the next one (a value may follow on the next
// line); the few whose expressions span lines (private keys, Kubernetes
// secrets, curl commands, base64 JWTs) run on the whole text.
type contentRules struct {
	rules    []contentRule
	keywords keywordIndex
	// byKeyword lists, per keyword id, the rules the keyword belongs to.
	byKeyword [][]int
	// always are the rules run on every text: a keyword the index cannot
	// hold (shorter than two bytes, not ASCII) cannot filter.
	always []int
}

type contentRule struct {
	d       *detect.Detector
	pf      *prefilter
	id      string
	generic bool // gitleaks prefers any other rule's finding on the line
	whole   bool // runs on the whole text
}

var (
	contentOnce sync.Once
	content     *contentRules
	contentErr  error
	lowerPool   = sync.Pool{New: func() any { return new([]byte) }}
)

func gitleaksRules() (*contentRules, error) {
	contentOnce.Do(func() {
		logging.Logger = zerolog.Nop()
		cfg, err := defaultConfig()
		if err != nil {
			contentErr = err
			return
		}
		content, contentErr = splitRules(cfg)
	})
	return content, contentErr
}

// defaultConfig reads gitleaks' default rules.
func defaultConfig() (config.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return config.Config{}, fmt.Errorf("gitleaks default rules: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, fmt.Errorf("gitleaks default rules: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return config.Config{}, fmt.Errorf("gitleaks default rules: %w", err)
	}
	return cfg, nil
}

// spansLines reports whether a rule's matches may cross line ends beyond
// the next line.
func spansLines(r *config.Rule) bool {
	re := r.Regex.String()
	return strings.Contains(re, `\n`) || strings.Contains(re, `(?s`) || strings.Contains(re, `\S`)
}

func splitRules(cfg config.Config) (*contentRules, error) {
	cr := &contentRules{}
	kwIndex := map[string]int{}
	for _, id := range cfg.OrderedRules {
		r := cfg.Rules[id]
		// Rules that need other rules, report nothing alone, match paths
		// only or have no keyword to be found by are left out: none of the
		// default rules that look at content is such a rule.
		if r.Regex == nil || len(r.Keywords) == 0 || len(r.RequiredRules) > 0 || r.SkipReport {
			continue
		}
		keywords := map[string]bool{}
		for _, k := range r.Keywords {
			keywords[strings.ToLower(k)] = true
		}
		// The rule's detector is given no keywords: it runs only on text
		// that holds one (a window around a hit, or a whole text with one),
		// so its own keyword pass (a lower-case copy and an automaton of
		// 2 KiB a state, per rule) would only cost time and memory.
		kr := r
		kr.Keywords = nil
		c := cfg
		c.Rules = map[string]config.Rule{id: kr}
		c.OrderedRules = []string{id}
		c.Keywords = map[string]struct{}{}
		pf, err := newPrefilter(r.Regex.String())
		if err != nil {
			return nil, fmt.Errorf("gitleaks rule %s: %w", id, err)
		}
		n := len(cr.rules)
		cr.rules = append(cr.rules, contentRule{d: detect.NewDetector(c), pf: pf, id: id,
			generic: strings.Contains(strings.ToLower(id), "generic"), whole: spansLines(&r)})
		if slices.ContainsFunc(slices.Collect(maps.Keys(keywords)), func(k string) bool { return !validKeyword(k) }) {
			cr.always = append(cr.always, n)
			continue
		}
		for k := range keywords {
			i, ok := kwIndex[k]
			if !ok {
				i = len(cr.byKeyword)
				kwIndex[k] = i
				cr.keywords.add(k, i)
				cr.byKeyword = append(cr.byKeyword, nil)
			}
			cr.byKeyword[i] = append(cr.byKeyword[i], n)
		}
	}
	return cr, nil
}

// Content finds secrets in a text file's content with gitleaks' default
// detector rules (rule IDs as kinds) and with Known's formats, one match per
// line: a line Known explains keeps Known's kind, and gitleaks' generic rule
// yields to its other rules. path is the file's path (relative to its
// root): gitleaks' path allowlists apply to its rules (dependency folders
// such as node_modules, vendor and site-packages, lock files, go.sum),
// where its generic rule otherwise flags code; Known's formats are looked
// for everywhere. Safe for concurrent use; text is not kept.
func Content(path, text string) ([]ContentMatch, error) {
	var out []ContentMatch
	lines := map[int]bool{}
	for _, m := range Known(text) {
		if m.Kind == KindHighEntropy {
			continue
		}
		if line := 1 + strings.Count(text[:m.Start], "\n"); !lines[line] {
			lines[line] = true
			out = append(out, ContentMatch{Kind: m.Kind, Line: line})
		}
	}
	found, err := gitleaksContent(path, text)
	// Specific rules first, so that they name the line.
	sort.SliceStable(found, func(i, j int) bool { return !isGeneric(found[i].Kind) && isGeneric(found[j].Kind) })
	for _, m := range found {
		if !lines[m.Line] {
			lines[m.Line] = true
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out, err
}

// maxWindow bounds the text a line rule runs on around a keyword in a long
// line.
const maxWindow = 4096

func isGeneric(kind string) bool { return strings.Contains(kind, "generic") }

// gitleaksContent runs each gitleaks rule where its keywords occur: a line
// rule on the line of each hit and the next, a whole-text rule once on the
// whole text. Matches are deduplicated by rule and line.
func gitleaksContent(path, text string) ([]ContentMatch, error) {
	cr, err := gitleaksRules()
	if err != nil {
		return nil, err
	}
	// Prefilters compare literals with an ASCII lower-case copy.
	bp := lowerPool.Get().(*[]byte)
	defer lowerPool.Put(bp)
	lb := append((*bp)[:0], text...)
	for i, c := range lb {
		lb[i] = lowerASCII[c]
	}
	*bp = lb
	lower := unsafe.String(unsafe.SliceData(lb), len(lb))
	lineEnd := func(i int) int {
		if i >= len(text) {
			return len(text)
		}
		if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(text)
	}
	type key struct {
		rule string
		line int
	}
	var (
		out     []ContentMatch
		seen    map[key]bool
		done    map[int]int // rule -> end of the text it already ran on
		lineAt  = 0         // line number (0-based) of offset countedTo
		counted = 0
	)
	// run runs a rule on text[start:stop] unless it already ran on a window
	// reaching as far; it reports whether the prefilter let the window
	// through.
	run := func(rule int, start, stop int) bool {
		if _, ran := done[rule]; ran && stop <= done[rule] {
			return false
		}
		if done == nil {
			done, seen = map[int]int{}, map[key]bool{}
		}
		done[rule] = stop
		// Most windows match nothing: the prefilter says so at a fraction
		// of a detector call's cost (no decoding pass runs, so gitleaks
		// finds nothing where its expression does not match).
		if !cr.rules[rule].pf.match(text[start:stop], lower[start:stop]) {
			return false
		}
		if start < counted {
			lineAt, counted = strings.Count(text[:start], "\n"), start
		}
		lineAt += strings.Count(text[counted:start], "\n")
		counted = start
		// gitleaks v8's Detect takes detect.Fragment; sources.Fragment
		// replaces it in v9.
		//lint:ignore SA1019 the v8 detector API takes this type
		for _, f := range cr.rules[rule].d.Detect(detect.Fragment{Raw: text[start:stop], StartLine: lineAt, FilePath: path}) {
			k := key{f.RuleID, f.StartLine + 1} // gitleaks counts lines from 0
			if !seen[k] {
				seen[k] = true
				out = append(out, ContentMatch{Kind: k.rule, Line: k.line})
			}
		}
		return true
	}
	for _, rule := range cr.always {
		run(rule, 0, len(text))
	}
	lineStart, lineStop := 0, -1 // the line of the last hit
	cr.keywords.each(text, func(pos, kw int) {
		if pos > lineStop {
			lineStart = strings.LastIndexByte(text[:pos], '\n') + 1
			lineStop = lineEnd(pos)
		}
		ls, le, next := lineStart, lineStop, -1
		for _, rule := range cr.byKeyword[kw] {
			if cr.rules[rule].whole {
				run(rule, 0, len(text))
				continue
			}
			if le-ls > maxWindow {
				// A long line (minified code, one-line JSON): the part
				// around the hit, a new part only for a hit near the end
				// of the last one, so a line of megabytes with a keyword
				// every few bytes costs what its length does, not that
				// many times more. A match is rarely longer than this.
				if pos+maxWindow/8 > done[rule] {
					run(rule, max(ls, pos-maxWindow/4), min(le, pos+maxWindow/2))
				}
				continue
			}
			if next < 0 {
				next = lineEnd(le + 1)
			}
			// The keyword's line alone first: a detector call costs about
			// as much per byte as its expression, so the next line is added
			// only for a match that may need it.
			if next > done[rule] && !run(rule, ls, le) {
				delete(done, rule)
				run(rule, ls, next)
			}
		}
	})
	return out, nil
}
