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

// RulesMarkdown prints the README's rule table.
func RulesMarkdown(w io.Writer, rs []*rules.Rule) error {
	var b strings.Builder
	b.WriteString("| ID | slug | control | severity | surfaces | title |\n|---|---|---|---|---|---|\n")
	for _, r := range rs {
		var surf []string
		for _, s := range r.Surfaces {
			surf = append(surf, string(s))
		}
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s | %s | %s |\n", r.ID, r.Slug, r.Control, r.Severity, strings.Join(surf, ", "), r.Title)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
