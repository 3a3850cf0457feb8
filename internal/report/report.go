// Package report writes audit results for people (text) and machines (JSON,
// with a committed JSON Schema). Secrets never reach a report whole: rules
// redact them where the message is built.
package report

import (
	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
)

// SchemaVersion is bumped on any incompatible change to the JSON report.
const SchemaVersion = 1

// Document is the JSON report.
type Document struct {
	SchemaVersion int       `json:"schemaVersion"`
	Findings      []Finding `json:"findings"`
	Errors        []Problem `json:"errors"`
	Notes         []Problem `json:"notes"`
	// Ignored lists the findings inline ignores silenced (--show-ignored).
	Ignored []IgnoredFinding `json:"ignored,omitempty"`
	// Fixed lists baseline findings that no longer occur (--baseline).
	Fixed   []FixedFinding `json:"fixed,omitempty"`
	Summary Summary        `json:"summary"`
}

// IgnoredFinding is a finding an inline ignore silenced, with its reason
// and where the ignore is written.
type IgnoredFinding struct {
	Finding   Finding        `json:"finding"`
	Reason    string         `json:"reason"`
	IgnoredAt facts.Location `json:"ignoredAt"`
}

// FixedFinding is a baseline entry that no longer occurs.
type FixedFinding struct {
	Rule    string `json:"rule"`
	Slug    string `json:"slug"`
	Subject string `json:"subject"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// Finding is one finding as reported.
type Finding struct {
	Rule        string         `json:"rule"`
	Slug        string         `json:"slug"`
	Control     rules.Control  `json:"control"`
	Threat      rules.Threat   `json:"threat"`
	Severity    rules.Severity `json:"severity"`
	Title       string         `json:"title"`
	Message     string         `json:"message"`
	Remediation string         `json:"remediation"`
	Subject     facts.Subject  `json:"subject"`
	Location    facts.Location `json:"location"`
	// DeniedBy is the enforcement profile that would deny the finding
	// (audit --profile).
	DeniedBy string `json:"deniedBy,omitempty"`
}

// Problem is an input error or a note, with its place.
type Problem struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Index   int    `json:"index,omitempty"`
	Message string `json:"message"`
}

// Summary counts what the report holds.
type Summary struct {
	Inputs     int                    `json:"inputs"`
	Findings   int                    `json:"findings"`
	Errors     int                    `json:"errors"`
	BySeverity map[rules.Severity]int `json:"bySeverity"`
	// Profile is the enforcement profile the audit was asked about
	// (--profile), and Denied how many findings it would deny.
	Profile string `json:"profile,omitempty"`
	Denied  int    `json:"denied,omitempty"`
	// Ignored counts findings silenced by inline ignores, Baselined those
	// hidden by the baseline, Fixed the baseline's findings that are gone.
	Ignored   int `json:"ignored"`
	Baselined int `json:"baselined"`
	Fixed     int `json:"fixed"`
	// ByKind counts the inputs audited by kind: every kind is present.
	ByKind map[string]int `json:"byKind"`
	// Skipped groups what the audit left out by reason, with a count and
	// the first paths (at most MaxSkippedPaths of each).
	Skipped []SkippedGroup `json:"skipped"`
}

// SkippedGroup is what was left out for one reason.
type SkippedGroup struct {
	Reason string   `json:"reason"`
	Count  int      `json:"count"`
	Paths  []string `json:"paths"`
}

// MaxSkippedPaths bounds the paths listed for each reason in a report.
const MaxSkippedPaths = 10

// skippedGroups groups skipped paths by reason, in the order reasons first
// appear, listing the first paths of each.
func skippedGroups(res *audit.Result) []SkippedGroup {
	out := []SkippedGroup{}
	at := map[string]int{}
	for _, s := range res.Skipped {
		i, ok := at[s.Reason]
		if !ok {
			i = len(out)
			at[s.Reason] = i
			out = append(out, SkippedGroup{Reason: s.Reason, Paths: []string{}})
		}
		out[i].Count++
		if len(out[i].Paths) < MaxSkippedPaths {
			out[i].Paths = append(out[i].Paths, s.Path)
		}
	}
	return out
}

// Build turns an audit result into the report document.
func Build(res *audit.Result) *Document {
	d := &Document{
		SchemaVersion: SchemaVersion,
		Findings:      []Finding{},
		Errors:        []Problem{},
		Notes:         []Problem{},
		Summary:       Summary{Inputs: res.Inputs, Profile: res.Profile, BySeverity: map[rules.Severity]int{}, ByKind: map[string]int{}, Skipped: skippedGroups(res)},
	}
	for _, k := range audit.Kinds {
		d.Summary.ByKind[string(k)] = res.ByKind[k]
	}
	for _, s := range rules.Severities {
		d.Summary.BySeverity[s] = 0
	}
	for _, f := range res.Findings {
		d.Findings = append(d.Findings, FromRule(f))
	}
	for _, e := range res.Errors {
		d.Errors = append(d.Errors, Problem{Path: e.Path, Line: e.Line, Message: e.Message})
	}
	for _, n := range res.Notes {
		d.Notes = append(d.Notes, Problem{Path: n.Path, Line: n.Line, Index: n.Index, Message: n.Message})
	}
	d.Recount()
	return d
}

// FromRule turns a rule finding into its reported form.
func FromRule(f rules.Finding) Finding {
	return Finding{
		Rule: f.Rule.ID, Slug: f.Rule.Slug, Control: f.Rule.Control, Threat: f.Rule.Threat,
		Severity: f.Severity, Title: f.Rule.Title, Message: f.Message, Remediation: f.Rule.Remediation,
		Subject: f.Subject, Location: f.At, DeniedBy: f.DeniedBy,
	}
}

// Recount brings the summary in line with the lists after a change
// (ignores, baseline).
func (d *Document) Recount() {
	d.Summary.Findings = len(d.Findings)
	d.Summary.Errors = len(d.Errors)
	for _, s := range rules.Severities {
		d.Summary.BySeverity[s] = 0
	}
	d.Summary.Denied = 0
	for _, f := range d.Findings {
		d.Summary.BySeverity[f.Severity]++
		if f.DeniedBy != "" {
			d.Summary.Denied++
		}
	}
	d.Summary.Fixed = len(d.Fixed)
}
