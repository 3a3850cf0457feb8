package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/report"
)

// The schema's summary.byKind names exactly the kinds the audit counts.
func TestSchemaByKind(t *testing.T) {
	data, err := os.ReadFile("../../schema/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs struct {
			Summary struct {
				Properties struct {
					ByKind struct {
						Properties map[string]any `json:"properties"`
					} `json:"byKind"`
				} `json:"properties"`
			} `json:"summary"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for k := range s.Defs.Summary.Properties.ByKind.Properties {
		got = append(got, k)
	}
	for _, k := range audit.Kinds {
		want = append(want, string(k))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("schema summary.byKind = %q, want %q", got, want)
	}
}

// Skipped paths are grouped by reason and bounded; kinds show in the
// summary line when there are several.
func TestSummaryKindsAndSkipped(t *testing.T) {
	res := &audit.Result{Inputs: 3, ByKind: map[inputs.Kind]int{audit.KindShell: 2, audit.KindMakefile: 1}}
	for i := 0; i < 25; i++ {
		res.Skipped = append(res.Skipped, inputs.Skipped{Path: fmt.Sprintf("k8s/m%02d.yaml", i), Reason: audit.SkipKubernetes})
	}
	res.Skipped = append(res.Skipped, inputs.Skipped{Path: "node_modules", Reason: "dependency folder"})
	d := report.Build(res)
	if d.Summary.ByKind["shell"] != 2 || d.Summary.ByKind["dockerfile"] != 0 || len(d.Summary.ByKind) != len(audit.Kinds) {
		t.Errorf("byKind %v", d.Summary.ByKind)
	}
	if len(d.Summary.Skipped) != 2 || d.Summary.Skipped[0].Count != 25 || len(d.Summary.Skipped[0].Paths) != report.MaxSkippedPaths {
		t.Errorf("skipped %+v", d.Summary.Skipped)
	}
	var b bytes.Buffer
	if err := report.Text(&b, d, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Skipped\n  25 paths: " + audit.SkipKubernetes + " (k8s/m00.yaml, ",
		", … 15 more)\n  1 path: dependency folder (node_modules)\n",
		"0 findings in 3 inputs (2 shell, 1 makefile), 0 errors\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}
