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
	for _, x := range r.Surfaces {
		surf = append(surf, string(x))
	}
	fmt.Fprintf(s.Out, "%s %s: %s\n", r.ID, r.Slug, r.Title)
	fmt.Fprintf(s.Out, "  control:     %s\n", r.Control)
	fmt.Fprintf(s.Out, "  threat:      %s\n", r.Threat)
	fmt.Fprintf(s.Out, "  severity:    %s\n", r.Severity)
	fmt.Fprintf(s.Out, "  surfaces:    %s\n", strings.Join(surf, ", "))
	fmt.Fprintf(s.Out, "\n  Why: %s\n", r.Rationale)
	fmt.Fprintf(s.Out, "  Fix: %s\n", r.Remediation)
	if len(r.References) > 0 {
		fmt.Fprintf(s.Out, "  References: %s\n", strings.Join(r.References, "; "))
	}
}
