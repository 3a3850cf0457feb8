package cli

import (
	"fmt"
	"os"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/baseline"
	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/ignore"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
)

// This file holds what lets a team tune an audit without forking dockguard:
// the configuration file, inline ignores and the baseline.

// loadConfig reads --config, or the .dockguard.yaml found from the working
// folder upward. A configuration that does not load stops the audit: running
// with defaults instead would silently change what is checked.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		wd, err := os.Getwd()
		if err != nil {
			return config.Default(), nil
		}
		if path = config.Find(wd); path == "" {
			return config.Default(), nil
		}
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("configuration %w", err)
	}
	return c, nil
}

// applyIgnores silences findings under inline ignores and adds the findings
// about faulty ignore directives.
func applyIgnores(res *audit.Result, cfg rules.Config) []ignore.Ignored {
	kept, ignored, meta := ignore.Apply(res.Findings)
	res.Findings = append(kept, policy.Adjust(meta, cfg)...)
	policy.Sort(res.Findings)
	return ignored
}

// withIgnored records the ignored findings in the report (listed only on
// request, always counted).
func withIgnored(d *report.Document, ignored []ignore.Ignored, list bool) {
	d.Summary.Ignored = len(ignored)
	if !list {
		return
	}
	for _, ig := range ignored {
		d.Ignored = append(d.Ignored, report.IgnoredFinding{Finding: report.FromRule(ig.Finding), Reason: ig.Reason, IgnoredAt: ig.At})
	}
}

// applyBaseline hides the findings recorded in a baseline file and lists the
// recorded ones that are gone.
func applyBaseline(d *report.Document, path string) error {
	f, err := baseline.Load(path)
	if err != nil {
		return fmt.Errorf("--baseline %w", err)
	}
	r := baseline.Apply(d, f)
	d.Summary.Baselined = r.Hidden
	for _, e := range r.Fixed {
		d.Fixed = append(d.Fixed, report.FixedFinding{Rule: e.Rule, Slug: e.Slug, Subject: e.Subject, Path: e.Path, Message: e.Message})
	}
	d.Recount()
	return nil
}

// writeBaseline records every finding as accepted; the report then shows
// them as baselined, so the run that writes a baseline passes.
func writeBaseline(d *report.Document, path string) error {
	if err := baseline.Write(path, d); err != nil {
		return err
	}
	d.Summary.Baselined += len(d.Findings)
	d.Findings = []report.Finding{}
	d.Recount()
	return nil
}
