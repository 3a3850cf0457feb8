package cli

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// These tests keep the documentation true to the code: the flags each
// command page lists, the flags its examples use, the rules reference, the
// configuration keys, the links between pages and the package comments.

var updateDocs = flag.Bool("update", false, "rewrite the generated parts of the docs (docs/rules.md)")

const repoRoot = "../.."

// docFiles returns README.md and every page under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("no pages under docs/")
	}
	sort.Strings(pages)
	return append([]string{filepath.Join(repoRoot, "README.md")}, pages...)
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestDocsRules fails when the rules reference in docs/rules.md is not what
// the catalogue generates. Run `go test ./internal/cli/ -run DocsRules
// -update` to refresh it.
func TestDocsRules(t *testing.T) {
	path := filepath.Join(repoRoot, "docs", "rules.md")
	s := readDoc(t, path)
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", path, begin, end)
	}
	var ref bytes.Buffer
	if err := RulesReference(&ref, rules.All()); err != nil {
		t.Fatal(err)
	}
	if s[i+len(begin):j] == ref.String() {
		return
	}
	if *updateDocs {
		s = s[:i+len(begin)] + ref.String() + s[j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/rules.md is stale; run: go test ./internal/cli/ -run DocsRules -update")
}

// commands returns every command a user can run, by path without the
// leading "dockguard " ("audit", "enforce plugin").
func commands() map[string]*cobra.Command {
	out := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.Runnable() {
				out[strings.TrimPrefix(sub.CommandPath(), "dockguard ")] = sub
			}
			walk(sub)
		}
	}
	walk(NewRoot(Streams{}))
	return out
}

// flagsOf returns a command's flags, long name to shorthand ("" when it has
// none), without cobra's help flag.
func flagsOf(c *cobra.Command) map[string]string {
	out := map[string]string{}
	add := func(f *pflag.Flag) {
		if f.Name != "help" {
			out[f.Name] = f.Shorthand
		}
	}
	c.LocalFlags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	return out
}

var flagMarker = regexp.MustCompile(`^<!-- flags: ([a-z][a-z -]*[a-z]) -->$`)

// documentedFlags reads the flag tables of every page: a table that follows
// a `<!-- flags: COMMAND -->` line lists that command's flags in its first
// column, each in backquotes (`-f, --file FILE`; several per row are fine).
// A marker not followed by a table documents a command without flags. A
// command may have several tables; they add up.
func documentedFlags(t *testing.T) (flags map[string]map[string]string, where map[string]string) {
	t.Helper()
	flags, where = map[string]map[string]string{}, map[string]string{}
	for _, path := range docFiles(t) {
		lines := strings.Split(readDoc(t, path), "\n")
		for i, l := range lines {
			m := flagMarker.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			cmd := m[1]
			if flags[cmd] == nil {
				flags[cmd] = map[string]string{}
			}
			where[cmd] = filepath.Base(path)
			for _, row := range lines[i+1:] {
				if !strings.HasPrefix(row, "|") {
					break
				}
				cell := firstCell(row)
				if cell == "flag" || strings.Trim(cell, "-: ") == "" {
					continue // header and separator
				}
				found := false
				for _, span := range codeSpans(cell) {
					short := ""
					for _, tok := range strings.Fields(span) {
						tok = strings.TrimRight(tok, ",")
						if i := strings.IndexByte(tok, '='); i > 0 {
							tok = tok[:i]
						}
						switch {
						case strings.HasPrefix(tok, "--"):
							name := tok[2:]
							if _, dup := flags[cmd][name]; dup && short == "" {
								// Listed again (several tables): keep what was read first.
								found = true
								continue
							}
							flags[cmd][name] = short
							short, found = "", true
						case len(tok) == 2 && tok[0] == '-':
							short = tok[1:]
						}
					}
					if short != "" {
						t.Errorf("%s: %s: shorthand -%s without its long flag in %q", filepath.Base(path), cmd, short, span)
					}
				}
				if !found {
					t.Errorf("%s: %s: flag table row names no flag: %s", filepath.Base(path), cmd, row)
				}
			}
		}
	}
	return flags, where
}

// firstCell returns the first cell of a table row; `\|` does not end it.
func firstCell(row string) string {
	s := strings.TrimPrefix(row, "|")
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '|' {
			return strings.TrimSpace(s[:i])
		}
	}
	return strings.TrimSpace(s)
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

func codeSpans(s string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestDocsFlags checks each command's page against its flag set: every flag
// is documented (with its shorthand), and every documented flag exists.
func TestDocsFlags(t *testing.T) {
	documented, where := documentedFlags(t)
	cmds := commands()
	for path, c := range cmds {
		doc, ok := documented[path]
		if !ok {
			t.Errorf("dockguard %s: no page lists its flags (add a table after <!-- flags: %s --> to docs/%s.md)", path, path, strings.Fields(path)[0])
			continue
		}
		actual := flagsOf(c)
		for name, short := range actual {
			dshort, ok := doc[name]
			switch {
			case !ok:
				t.Errorf("%s: dockguard %s --%s is not documented", where[path], path, name)
			case dshort != short:
				t.Errorf("%s: dockguard %s --%s: documented shorthand %q, the flag's is %q", where[path], path, name, dshort, short)
			}
		}
		for name := range doc {
			if _, ok := actual[name]; !ok {
				t.Errorf("%s: dockguard %s has no flag --%s, but it is documented", where[path], path, name)
			}
		}
	}
	for path := range documented {
		if cmds[path] == nil {
			t.Errorf("%s: <!-- flags: %s --> names no command", where[path], path)
		}
	}
}

// TestDocsExamples checks the dockguard command lines written in code blocks
// of the README and the pages: each names a command that exists, and every
// flag it uses is a flag of that command.
func TestDocsExamples(t *testing.T) {
	root := NewRoot(Streams{})
	n := 0
	for _, path := range docFiles(t) {
		for _, ex := range exampleLines(readDoc(t, path)) {
			n++
			if err := checkExample(root, ex.text); err != nil {
				t.Errorf("%s:%d: %v\n\t%s", filepath.Base(path), ex.line, err, ex.text)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d dockguard command lines found in the docs; is the parser broken?", n)
	}
}

type example struct {
	line int
	text string
}

// exampleLines returns the dockguard invocations in fenced code blocks,
// with continued lines joined, quoted strings (a --run line's own flags)
// and comments removed, and pipelines split.
func exampleLines(doc string) []example {
	var out []example
	in := false
	var cont strings.Builder
	start := 0
	for i, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if !in {
			continue
		}
		if cont.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(l, "\\") {
			cont.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cont.WriteString(l)
		line := unquote(cont.String())
		cont.Reset()
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		for _, seg := range splitPipeline(line) {
			seg = strings.TrimSpace(seg)
			if rest, ok := strings.CutPrefix(seg, "go run ./cmd/dockguard "); ok {
				seg = "dockguard " + rest
			}
			if strings.HasPrefix(seg, "dockguard ") || seg == "dockguard" {
				out = append(out, example{start, seg})
			}
		}
	}
	return out
}

// unquote drops the contents of '…' and "…" strings.
func unquote(s string) string {
	var b strings.Builder
	var q rune
	for _, c := range s {
		switch {
		case q != 0 && c == q:
			q = 0
			b.WriteString("ARG")
		case q != 0:
		case c == '\'' || c == '"':
			q = c
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// splitPipeline splits at |, && and ; outside [ ] (a synopsis uses | for
// alternatives inside brackets).
func splitPipeline(s string) []string {
	var out []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '|', ';', '&':
			if depth == 0 && i > 0 && s[i-1] == ' ' {
				out = append(out, s[last:i])
				last = i + 1
				if i+1 < len(s) && s[i+1] == '&' {
					last++
					i++
				}
			}
		}
	}
	return append(out, s[last:])
}

func checkExample(root *cobra.Command, line string) error {
	words := strings.Fields(line)[1:]
	cmd := root
	for len(words) > 0 && !strings.HasPrefix(strings.TrimLeft(words[0], "["), "-") {
		var next *cobra.Command
		for _, sub := range cmd.Commands() {
			if sub.Name() == words[0] {
				next = sub
			}
		}
		if next == nil {
			break
		}
		cmd, words = next, words[1:]
	}
	if !cmd.Runnable() {
		return fmt.Errorf("dockguard %s is not a command", strings.TrimPrefix(cmd.CommandPath(), "dockguard"))
	}
	for _, w := range words {
		w = strings.TrimLeft(w, "[")
		w = strings.TrimRight(w, "],")
		if i := strings.IndexByte(w, '='); i > 0 {
			w = w[:i]
		}
		switch {
		case w == "-" || w == "--" || !strings.HasPrefix(w, "-"):
		case strings.HasPrefix(w, "--"):
			if cmd.Flags().Lookup(w[2:]) == nil && cmd.InheritedFlags().Lookup(w[2:]) == nil {
				return fmt.Errorf("%s has no flag %s", cmd.CommandPath(), w)
			}
		case len(w) == 2:
			if cmd.Flags().ShorthandLookup(w[1:]) == nil {
				return fmt.Errorf("%s has no flag %s", cmd.CommandPath(), w)
			}
		default:
			return fmt.Errorf("%s: cannot read %q as a flag", cmd.CommandPath(), w)
		}
	}
	return nil
}

// TestDocsLinks checks every relative link of the README and the pages: the
// file exists, and so does the heading a #fragment names.
func TestDocsLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	for _, path := range docFiles(t) {
		for _, m := range link.FindAllStringSubmatch(prose(readDoc(t, path)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			dest := path
			if file != "" {
				dest = filepath.Join(filepath.Dir(path), file)
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s: link %s: %v", filepath.Base(path), target, err)
				continue
			}
			if frag == "" {
				continue
			}
			if !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: link %s: a fragment on a file that is not Markdown", filepath.Base(path), target)
				continue
			}
			if anchors[dest] == nil {
				anchors[dest] = headingAnchors(readDoc(t, dest))
			}
			if !anchors[dest][frag] {
				t.Errorf("%s: link %s: %s has no such heading", filepath.Base(path), target, filepath.Base(dest))
			}
		}
	}
}

// prose returns a Markdown text without its fenced code blocks.
func prose(doc string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if !in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// headingAnchors returns the anchors GitHub gives a page's headings:
// lowercased, punctuation dropped, spaces turned into hyphens, and -1, -2 …
// added to repeated ones.
func headingAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(prose(doc)))
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, c := range strings.ToLower(text) {
			switch {
			case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_':
				b.WriteRune(c)
			case c == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if k := seen[a]; k > 0 {
			out[fmt.Sprintf("%s-%d", a, k)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// TestDocsConfigKeys checks that every key of the configuration template
// `dockguard init` writes is described in docs/configuration.md.
func TestDocsConfigKeys(t *testing.T) {
	doc := readDoc(t, filepath.Join(repoRoot, "docs", "configuration.md"))
	key := regexp.MustCompile(`^#\s+([a-z][A-Za-z]*):`)
	inner := regexp.MustCompile(`[{,]\s*([a-z][A-Za-z]*):`)
	keys := map[string]bool{}
	for _, l := range strings.Split(config.Template, "\n") {
		if m := key.FindStringSubmatch(l); m != nil {
			keys[m[1]] = true
			if before, _, ok := strings.Cut(l, " # "); ok {
				l = before // the examples in comments are values, not keys
			}
			for _, m := range inner.FindAllStringSubmatch(l, -1) {
				keys[m[1]] = true
			}
		}
	}
	if len(keys) < 20 {
		t.Fatalf("only %d keys read from the template: %v", len(keys), keys)
	}
	for k := range keys {
		if !strings.Contains(doc, k+":") && !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/configuration.md does not describe the key %s", k)
		}
	}
}

// TestDocsPackageComments checks that every package under internal/ says what it is
// for in a package comment.
func TestDocsPackageComments(t *testing.T) {
	dirs := map[string][]string{}
	err := filepath.WalkDir(filepath.Join(repoRoot, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range dirs {
		fset := token.NewFileSet()
		ok, name := false, ""
		for _, f := range files {
			pf, err := parser.ParseFile(fset, f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			name = pf.Name.Name
			if pf.Doc == nil {
				continue
			}
			doc := pf.Doc.Text()
			if strings.HasPrefix(doc, "Package "+name+" ") || (name == "main" && strings.HasPrefix(doc, "Command ")) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: package %s has no package comment (// Package %s …); add a doc.go", dir, name, name)
		}
	}
}

// TestDocsProfiles keeps the rule lists of docs/enforcement.md#profiles
// true to the catalogue and the profiles' membership (-update rewrites
// them).
func TestDocsProfiles(t *testing.T) {
	path := filepath.Join(repoRoot, "docs", "enforcement.md")
	s := readDoc(t, path)
	const begin, end = "<!-- profiles:begin -->\n", "<!-- profiles:end -->"
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", path, begin, end)
	}
	ref := profilesReference(rules.All())
	if s[i+len(begin):j] == ref {
		return
	}
	if *updateDocs {
		s = s[:i+len(begin)] + ref + s[j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the profiles of docs/enforcement.md are stale; run: go test ./internal/cli/ -run DocsProfiles -update")
}

// profilesReference lists, for each profile, the rules it denies beyond
// the profile below it, and the rules no profile denies.
func profilesReference(rs []*rules.Rule) string {
	var base, restricted, none []string
	for _, r := range rs {
		if r.Meta {
			continue
		}
		name := fmt.Sprintf("[`%s`](rules.md#%s-%s) (%s)", r.Slug, strings.ToLower(r.ID), r.Slug, r.ID)
		switch {
		case rules.Baseline.Denies(r):
			base = append(base, name)
		case rules.Restricted.Denies(r):
			restricted = append(restricted, name)
		default:
			none = append(none, name)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- **%s** denies (%d rules): %s.\n", rules.Baseline, len(base), strings.Join(base, ", "))
	fmt.Fprintf(&b, "- **%s** denies all of those and (%d rules): %s.\n", rules.Restricted, len(restricted), strings.Join(restricted, ", "))
	fmt.Fprintf(&b, "- No profile denies (%d rules; they are reported, and `enforce.rules` can set `deny`): %s.\n", len(none), strings.Join(none, ", "))
	return b.String()
}
