package cli

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/rules"
	"github.com/spf13/cobra"
)

func newExplainCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE|SLUG|CONTROL...",
		Short: "Explain a rule, by ID (DG301), slug (root-user) or control (non-root-user)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var unknown []string
			first := true
			for _, a := range args {
				rs := rules.Lookup(a)
				if len(rs) == 0 {
					unknown = append(unknown, a)
					continue
				}
				for _, r := range rs {
					if !first {
						fmt.Fprintln(s.Out)
					}
					first = false
					explain(s, r)
				}
			}
			if len(unknown) > 0 {
				return fmt.Errorf("no rule, slug or control named %s (see `dockguard rules`)", strings.Join(unknown, ", "))
			}
			return nil
		},
	}
}

func explain(s Streams, r *rules.Rule) {
	var surf []string
	for _, x := range r.AppliesTo() {
		surf = append(surf, string(x))
	}
	fmt.Fprintf(s.Out, "%s %s: %s\n", r.ID, r.Slug, r.Title)
	fmt.Fprintf(s.Out, "  control:     %s\n", r.Control)
	fmt.Fprintf(s.Out, "  threat:      %s\n", r.Threat)
	fmt.Fprintf(s.Out, "  severity:    %s\n", r.Severity)
	fmt.Fprintf(s.Out, "  surfaces:    %s\n", strings.Join(surf, ", "))
	if mode := enforceMode(r); mode != "" {
		fmt.Fprintf(s.Out, "  enforcement: %s\n", mode)
	}
	fmt.Fprintf(s.Out, "\n  Why: %s\n", r.Rationale)
	fmt.Fprintf(s.Out, "  Fix: %s\n", r.Remediation)
	for _, para := range strings.Split(r.Doc, "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			fmt.Fprintf(s.Out, "\n%s\n", wrap(para, "  ", 76))
		}
	}
	if len(r.References) > 0 {
		fmt.Fprintf(s.Out, "  References: %s\n", strings.Join(r.References, "; "))
	}
}

// enforceMode says what enforcement does with the rule unless
// enforce.rules names it.
func enforceMode(r *rules.Rule) string {
	if r.Enforce == rules.EnforceFailClosed {
		return "always denies: no setting relaxes it"
	}
	if p := rules.ProfilesDenying(r); len(p) > 0 {
		return "denied by " + strings.Join(p, " and ") + " (enforce.rules can set warn or off)"
	}
	return "reported, never denied by a profile (enforce.rules can set deny)"
}

// wrap fills text into lines of at most width columns after indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		switch {
		case n == 0:
			b.WriteString(indent + w)
			n = len(indent) + len(w)
		case n+1+len(w) > width:
			b.WriteString("\n" + indent + w)
			n = len(indent) + len(w)
		default:
			b.WriteString(" " + w)
			n += 1 + len(w)
		}
	}
	return b.String()
}
