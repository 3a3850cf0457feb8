package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/rules"
)

// TextOptions tune the text report.
type TextOptions struct {
	// Color adds ANSI colors; only for terminals.
	Color bool
	// Width wraps messages and fixes to this many columns; 0 does not wrap
	// (output that is not a terminal stays one line per item, for grep).
	Width int
	// Quiet prints only the summary line (and errors, which change the
	// exit code).
	Quiet bool
}

var sevColor = map[rules.Severity]string{
	rules.Critical: "\x1b[1;35m",
	rules.High:     "\x1b[1;31m",
	rules.Medium:   "\x1b[33m",
	rules.Low:      "\x1b[36m",
	rules.Info:     "\x1b[2m",
}

// Text writes the report for people, danger first: the subjects at
// highest risk, then findings grouped by severity (critical first) and
// ordered by subject and place inside a group, each with its message and
// fix; then input errors, notes, and a summary line.
func Text(w io.Writer, d *Document, opt TextOptions) error {
	tw := &errWriter{w: w}
	paint := func(code, s string) string {
		if !opt.Color || code == "" {
			return s
		}
		return code + s + "\x1b[0m"
	}
	const indent = "           "
	body := func(prefix, text string) {
		for i, line := range wrap(text, opt.Width-len(indent)-len(prefix)) {
			if i == 0 {
				tw.printf("%s%s%s\n", indent, prefix, line)
			} else {
				tw.printf("%s%s%s\n", indent, strings.Repeat(" ", len(stripANSI(prefix))), line)
			}
		}
	}
	if opt.Quiet {
		for _, e := range d.Errors {
			tw.printf("%s\n", problem(e))
		}
		tw.printf("%s\n", summaryLine(d))
		return tw.err
	}
	if top := highestRisk(d.Findings, 3); top != "" {
		tw.printf("%s\n\n", paint("\x1b[1m", "Highest risk: "+top))
	}
	byRisk := slices.Clone(d.Findings)
	sortByRisk(byRisk)
	for _, sev := range rules.Severities {
		var group []Finding
		for _, f := range byRisk {
			if f.Severity == sev {
				group = append(group, f)
			}
		}
		if len(group) == 0 {
			continue
		}
		tw.printf("%s\n", paint("\x1b[1m", severityTitles[sev]))
		for _, f := range group {
			sev := fmt.Sprintf("%-8s", strings.ToUpper(string(f.Severity)))
			tw.printf("  %s %s %s  %s  (%s %s)\n", paint(sevColor[f.Severity], sev), f.Rule, f.Slug, f.Location.String(), f.Subject.Kind, f.Subject.Name)
			if f.DeniedBy != "" {
				body("", paint("\x1b[1;31m", "denied by "+f.DeniedBy))
			}
			body("", f.Message)
			body(paint("\x1b[2m", "fix:")+" ", f.Remediation)
		}
		tw.printf("\n")
	}
	if len(d.Errors) > 0 {
		tw.printf("%s\n", paint("\x1b[1;31m", "Errors"))
		for _, e := range d.Errors {
			tw.printf("  %s\n", problem(e))
		}
		tw.printf("\n")
	}
	if len(d.Ignored) > 0 {
		tw.printf("%s\n", paint("\x1b[1m", "Ignored"))
		for _, ig := range d.Ignored {
			f := ig.Finding
			tw.printf("  %s %s  %s  (%s %s)\n", f.Rule, f.Slug, f.Location.String(), f.Subject.Kind, f.Subject.Name)
			body("", f.Message)
			reason := ig.Reason
			if reason == "" {
				reason = "(no reason given)"
			}
			body("ignored at "+ig.IgnoredAt.String()+": ", reason)
		}
		tw.printf("\n")
	}
	if len(d.Fixed) > 0 {
		tw.printf("%s\n", paint("\x1b[1;32m", "Fixed since the baseline"))
		for _, f := range d.Fixed {
			tw.printf("  %s %s  %s  (%s)\n", f.Rule, f.Slug, f.Path, f.Subject)
			body("", f.Message)
		}
		tw.printf("\n")
	}
	if len(d.Notes) > 0 {
		tw.printf("%s\n", paint("\x1b[1m", "Notes"))
		for _, n := range d.Notes {
			tw.printf("  %s\n", problem(n))
		}
		tw.printf("\n")
	}
	if len(d.Summary.Skipped) > 0 {
		tw.printf("%s\n", paint("\x1b[1m", "Skipped"))
		for _, g := range d.Summary.Skipped {
			tw.printf("  %s\n", skippedLine(g))
		}
		tw.printf("\n")
	}
	tw.printf("%s\n", summaryLine(d))
	return tw.err
}

func problem(p Problem) string {
	if p.Path == "" {
		// Only an empty path given as input has none; print the message
		// alone, as inputs.Error does, rather than behind a bare ": ".
		return p.Message
	}
	switch {
	case p.Index > 0:
		return fmt.Sprintf("%s #%d: %s", p.Path, p.Index, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.Message)
}

func summaryLine(d *Document) string {
	var parts []string
	for _, s := range rules.Severities {
		if n := d.Summary.BySeverity[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	counts := ""
	if len(parts) > 0 {
		counts = " (" + strings.Join(parts, ", ") + ")"
	}
	line := fmt.Sprintf("%d %s%s in %d %s%s, %d %s",
		d.Summary.Findings, plural(d.Summary.Findings, "finding", "findings"), counts,
		d.Summary.Inputs, plural(d.Summary.Inputs, "input", "inputs"), kindCounts(d),
		d.Summary.Errors, plural(d.Summary.Errors, "error", "errors"))
	if d.Summary.Profile != "" {
		line += fmt.Sprintf(", %d %s denied by %s", d.Summary.Denied, plural(d.Summary.Denied, "would be", "would be"), d.Summary.Profile)
	}
	if n := d.Summary.Ignored; n > 0 {
		line += fmt.Sprintf(", %d ignored inline", n)
	}
	if n := d.Summary.Baselined; n > 0 {
		line += fmt.Sprintf(", %d hidden by the baseline", n)
	}
	if n := d.Summary.Fixed; n > 0 {
		line += fmt.Sprintf(", %d fixed since the baseline", n)
	}
	return line
}

// kindCounts says which kinds the inputs were, when there were several:
// " (1693 dockerfile, 81 compose)".
func kindCounts(d *Document) string {
	var parts []string
	for _, k := range audit.Kinds {
		if n := d.Summary.ByKind[string(k)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) < 2 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// skippedLine is one reason things were skipped, with the first paths.
func skippedLine(g SkippedGroup) string {
	s := fmt.Sprintf("%d %s: %s", g.Count, plural(g.Count, "path", "paths"), g.Reason)
	if len(g.Paths) > 0 {
		s += " (" + strings.Join(g.Paths, ", ")
		if more := g.Count - len(g.Paths); more > 0 {
			s += fmt.Sprintf(", … %d more", more)
		}
		s += ")"
	}
	return s
}

// wrap breaks text into lines of at most width columns at spaces; width <= 0
// (or too narrow to be useful) keeps one line.
func wrap(text string, width int) []string {
	if width < 20 || len(text) <= width {
		return []string{text}
	}
	var out []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			out = append(out, line)
			line = w
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

func stripANSI(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x1b:
			in = true
		case in && s[i] == 'm':
			in = false
		case !in:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// severityTitles head the text report's groups.
var severityTitles = map[rules.Severity]string{
	rules.Critical: "Critical", rules.High: "High", rules.Medium: "Medium", rules.Low: "Low", rules.Info: "Info",
}

// sortByRisk orders findings worst first, then by subject, then by place
// (file, run line, line, column) and rule, so a subject's findings stand
// together inside a severity.
func sortByRisk(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Subject.Kind, b.Subject.Kind); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Subject.Name, b.Subject.Name); c != 0 {
			return c
		}
		la, lb := a.Location, b.Location
		if c := cmp.Compare(la.Path, lb.Path); c != 0 {
			return c
		}
		if c := cmp.Compare(la.Index, lb.Index); c != 0 {
			return c
		}
		if c := cmp.Compare(la.Line, lb.Line); c != 0 {
			return c
		}
		if c := cmp.Compare(la.Column, lb.Column); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
}

// highestRisk names up to n subjects with a critical or high finding,
// worst first (then by how many such findings), with their worst
// severity: "service web (critical), image alpine (high)". "" when none
// has one.
func highestRisk(fs []Finding, n int) string {
	type risk struct {
		who   string
		worst int
		count int
	}
	by := map[string]*risk{}
	var order []*risk
	for _, f := range fs {
		if f.Severity.Rank() < rules.High.Rank() {
			continue
		}
		who := strings.TrimSpace(string(f.Subject.Kind) + " " + f.Subject.Name)
		r := by[who]
		if r == nil {
			r = &risk{who: who}
			by[who] = r
			order = append(order, r)
		}
		r.worst = max(r.worst, f.Severity.Rank())
		r.count++
	}
	slices.SortStableFunc(order, func(a, b *risk) int {
		if c := cmp.Compare(b.worst, a.worst); c != 0 {
			return c
		}
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return cmp.Compare(a.who, b.who)
	})
	var parts []string
	for i, r := range order {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(order)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", r.who, rules.Severities[len(rules.Severities)-r.worst]))
	}
	return strings.Join(parts, ", ")
}
