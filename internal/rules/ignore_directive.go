package rules

// ignore-directive: an inline ignore (`# dockguard:ignore=<rule> <reason>`)
// gives no reason, or names no known rule. Reported by the policy when it
// applies ignores, so that every silenced finding has a written reason and a
// typo does not silence nothing while looking like it silences something.
func init() {
	register(&Rule{
		ID:          "DG902",
		Slug:        "ignore-directive",
		Control:     "hygiene",
		Threat:      ThreatHygiene,
		Severity:    Info,
		Title:       "Inline ignore without a reason, or naming no rule",
		Rationale:   "An ignore is a decision someone must be able to review later; without a reason nobody knows why the finding was accepted, and an unknown rule name ignores nothing.",
		Remediation: "Write the reason after the rule list: `# dockguard:ignore=root-user the entrypoint drops to uid 1000 (see #123)`, and name rules as `dockguard rules` lists them.",
		Meta:        true,
	})
}
