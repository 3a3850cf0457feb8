package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dockguard/dockguard/internal/rules"
	"github.com/spf13/cobra"
)

func newRulesCmd(s Streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch strings.ToLower(format) {
			case "text":
				return RulesText(s.Out, rules.All())
			case "json":
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(rules.All())
			case "markdown":
				return RulesMarkdown(s.Out, rules.All())
			}
			return fmt.Errorf("--format %q: want text, json or markdown", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, json or markdown")
	return cmd
}

// RulesText prints one line per rule.
func RulesText(w io.Writer, rs []*rules.Rule) error {
	for _, r := range rs {
		if _, err := fmt.Fprintf(w, "%-6s %-24s %-8s %-20s %s\n", r.ID, r.Slug, r.Severity, r.Control, r.Title); err != nil {
			return err
		}
	}
	return nil
}

// RulesMarkdown prints the rule table: one row per rule.
func RulesMarkdown(w io.Writer, rs []*rules.Rule) error {
	var b strings.Builder
	writeRuleTable(&b, rs, false)
	_, err := io.WriteString(w, b.String())
	return err
}

// RulesReference prints the rules reference of docs/rules.md: the table,
// each ID linking to the rule's own section, then one section per rule
// with all of its metadata. Every field a user can see in `explain` belongs
// here too, so a field added to rules.Rule is added to this function.
func RulesReference(w io.Writer, rs []*rules.Rule) error {
	var b strings.Builder
	writeRuleTable(&b, rs, true)
	for _, r := range rs {
		fmt.Fprintf(&b, "\n## %s `%s`\n\n", r.ID, r.Slug)
		fmt.Fprintf(&b, "**%s**\n\n", mdText(r.Title))
		fmt.Fprintf(&b, "- severity: %s\n", r.Severity)
		fmt.Fprintf(&b, "- control: `%s`\n", r.Control)
		fmt.Fprintf(&b, "- threat: %s\n", r.Threat)
		fmt.Fprintf(&b, "- surfaces: %s\n", surfaces(r))
		if mode := enforceMode(r); mode != "" {
			fmt.Fprintf(&b, "- enforcement: %s\n", mdText(mode))
		}
		if r.Off {
			b.WriteString("- off by default: runs only when `enable:` in `.dockguard.yaml` names it\n")
		}
		fmt.Fprintf(&b, "\n**Why:** %s\n\n", mdText(r.Rationale))
		fmt.Fprintf(&b, "**Fix:** %s\n", mdText(r.Remediation))
		for _, para := range strings.Split(r.Doc, "\n\n") {
			if para = strings.TrimSpace(para); para != "" {
				fmt.Fprintf(&b, "\n%s\n", mdText(para))
			}
		}
		if len(r.References) > 0 {
			refs := make([]string, len(r.References))
			for i, ref := range r.References {
				refs[i] = mdText(ref)
			}
			fmt.Fprintf(&b, "\n**References:** %s\n", strings.Join(refs, "; "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRuleTable(b *strings.Builder, rs []*rules.Rule, link bool) {
	b.WriteString("| ID | slug | control | severity | surfaces | title |\n|---|---|---|---|---|---|\n")
	for _, r := range rs {
		id := r.ID
		if link {
			id = fmt.Sprintf("[%s](#%s-%s)", r.ID, strings.ToLower(r.ID), r.Slug)
		}
		fmt.Fprintf(b, "| %s | `%s` | `%s` | %s | %s | %s |\n", id, r.Slug, r.Control, r.Severity, surfaces(r), strings.ReplaceAll(mdText(r.Title), "|", `\|`))
	}
}

func surfaces(r *rules.Rule) string {
	var surf []string
	for _, s := range r.AppliesTo() {
		surf = append(surf, string(s))
	}
	return strings.Join(surf, ", ")
}

// mdText makes catalogue prose safe as Markdown: outside code spans, < and
// > would start HTML (`/proc/<pid>` would lose its <pid>) and * emphasis.
// Code spans are kept as written.
func mdText(s string) string {
	var b strings.Builder
	code := false
	for _, c := range s {
		switch {
		case c == '`':
			code = !code
		case code:
		case c == '<':
			b.WriteString("&lt;")
			continue
		case c == '>':
			b.WriteString("&gt;")
			continue
		case c == '*':
			b.WriteString(`\*`)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
