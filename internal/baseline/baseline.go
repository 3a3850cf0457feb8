// Package baseline lets a team adopt dockguard on a repository that already
// has findings: it records today's findings by fingerprints that do not
// depend on line numbers, then hides them in later audits so that only new
// findings fail the build, and tells which recorded ones are gone.
package baseline

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/dockguard/dockguard/internal/atomicfile"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/report"
)

// Version is the baseline file format.
const Version = 1

// File is the baseline file.
type File struct {
	SchemaVersion int     `json:"schemaVersion"`
	Tool          string  `json:"tool"`
	Entries       []Entry `json:"findings"`
}

// Entry is one accepted finding; the fields besides Fingerprint are for the
// people who review the file (messages are already redacted).
type Entry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	Slug        string `json:"slug"`
	Subject     string `json:"subject"`
	Path        string `json:"path,omitempty"`
	Message     string `json:"message"`
}

// Write records the findings of a report as the baseline, replacing path
// whole.
func Write(path string, d *report.Document) error {
	fps := report.Fingerprints(d.Findings)
	f := File{SchemaVersion: Version, Tool: "dockguard", Entries: []Entry{}}
	for i, fd := range d.Findings {
		f.Entries = append(f.Entries, Entry{
			Fingerprint: fps[i], Rule: fd.Rule, Slug: fd.Slug,
			Subject: fd.Subject.Kind + " " + fd.Subject.Name, Path: fd.Location.Path, Message: fd.Message,
		})
	}
	sort.SliceStable(f.Entries, func(i, j int) bool {
		a, b := f.Entries[i], f.Entries[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Fingerprint < b.Fingerprint
	})
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("--write-baseline: %w", err)
	}
	return nil
}

// Load reads a baseline file.
func Load(path string) (*File, error) {
	data, err := inputs.Read(path, 64<<20)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &inputs.Error{Path: path, Message: "not a dockguard baseline: " + err.Error()}
	}
	if f.SchemaVersion != Version {
		return nil, &inputs.Error{Path: path, Message: fmt.Sprintf("baseline format %d, want %d (write it again with --write-baseline)", f.SchemaVersion, Version)}
	}
	return &f, nil
}

// Result says what a baseline did to a report.
type Result struct {
	// Hidden counts the findings the baseline accepted.
	Hidden int
	// Fixed are the baseline's findings that no longer occur.
	Fixed []Entry
}

// Apply removes the report's findings that are in the baseline.
func Apply(d *report.Document, f *File) Result {
	known := map[string]bool{}
	for _, e := range f.Entries {
		known[e.Fingerprint] = true
	}
	fps := report.Fingerprints(d.Findings)
	seen := map[string]bool{}
	var kept []report.Finding
	var res Result
	for i, fd := range d.Findings {
		seen[fps[i]] = true
		if known[fps[i]] {
			res.Hidden++
			continue
		}
		kept = append(kept, fd)
	}
	if kept == nil {
		kept = []report.Finding{}
	}
	d.Findings = kept
	for _, e := range f.Entries {
		if !seen[e.Fingerprint] {
			res.Fixed = append(res.Fixed, e)
		}
	}
	return res
}
