package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// memory-swap: a memory limit without --memory-swap lets the container use
// as much swap again (Docker sets memory+swap to twice the limit), and
// `--memory-swap -1` makes swap unlimited. Equal values mean no swap.
func init() {
	register(&Rule{
		ID:          "DG202",
		Slug:        "memory-swap",
		Control:     "memory-swap",
		Threat:      ThreatDoS,
		Severity:    Low,
		Title:       "Swap not limited",
		Rationale:   "A container that swaps its way past its memory limit slows the whole host; with --memory alone Docker allows swap equal to the limit, with -1 without end.",
		Remediation: "Set `--memory-swap` equal to `--memory` (compose: `memswap_limit` equal to `mem_limit`).",
		Container: func(c *facts.Container, r *Reporter) {
			if !c.Memory.IsSet() || c.Memory.V <= 0 || c.MemorySwap.IsUnknown() {
				return
			}
			switch {
			case c.MemorySwap.State == facts.Unset:
				r.Report(c.Subject, c.Memory.At, "memory limit %s without a swap limit: %s allows as much swap again (%s in total)", bytes(c.Memory.V), describeEngine(c), bytes(2*c.Memory.V))
			case c.MemorySwap.V == -1:
				r.Report(c.Subject, c.MemorySwap.At, "memory-swap -1 allows unlimited swap")
			}
		},
	})
}
