package rules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/rules"
)

// TestCatalogue checks every rule's metadata: IDs in their threat's range,
// controls from CONTROLS.md, the texts a user reads, and one file per rule
// named after its slug.
func TestCatalogue(t *testing.T) {
	reID := regexp.MustCompile(`^DG[1-9][0-9]{2}$`)
	reSlug := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	controls := map[rules.Control]bool{}
	for _, c := range rules.Controls {
		controls[c] = true
	}
	all := rules.All()
	if len(all) == 0 {
		t.Fatal("no rules registered")
	}
	for _, r := range all {
		if !reID.MatchString(r.ID) {
			t.Errorf("%s: bad ID", r.ID)
		}
		if p := r.Threat.IDPrefix(); p == "" || !strings.HasPrefix(r.ID, p) {
			t.Errorf("%s: ID outside the range of threat %s (%sxx)", r.ID, r.Threat, p)
		}
		if !reSlug.MatchString(r.Slug) {
			t.Errorf("%s: bad slug %q", r.ID, r.Slug)
		}
		if !controls[r.Control] {
			t.Errorf("%s: control %q is not in CONTROLS.md", r.ID, r.Control)
		}
		if r.Severity.Rank() == 0 {
			t.Errorf("%s: bad severity %q", r.ID, r.Severity)
		}
		if r.Control == "hygiene" && r.Severity.Rank() > rules.Low.Rank() {
			t.Errorf("%s: a hygiene rule must not outrank a security finding", r.ID)
		}
		if r.Title == "" || r.Rationale == "" || r.Remediation == "" || len(r.AppliesTo()) == 0 {
			t.Errorf("%s: title, rationale, remediation and surfaces are required", r.ID)
		}
		if len(r.AppliesTo()) != len(r.Surfaces) && len(r.Surfaces) > 0 {
			t.Errorf("%s: declares surfaces %v, but its hooks reach only %v", r.ID, r.Surfaces, r.Reach())
		}
		if r.ImageConfig && r.Container == nil {
			t.Errorf("%s: ImageConfig without a Container hook", r.ID)
		}
		if r.Enforce == rules.EnforceFailClosed && !r.Request {
			t.Errorf("%s: only request rules fail closed", r.ID)
		}
		if r.Build == nil && r.Container == nil && r.Project == nil && r.Host == nil && r.Script == nil && r.Image == nil && !r.Meta && !r.Request {
			t.Errorf("%s: judges nothing", r.ID)
		}
		if len(rules.Lookup(r.ID)) != 1 || len(rules.Lookup(r.Slug)) != 1 || rules.Lookup(strings.ToLower(r.ID))[0] != r {
			t.Errorf("%s: not found by ID or slug", r.ID)
		}
		file := strings.ReplaceAll(r.Slug, "-", "_") + ".go"
		src, err := os.ReadFile(filepath.Join(".", file))
		if err != nil {
			t.Errorf("%s: one rule per file: want %s", r.ID, file)
		} else if !strings.Contains(string(src), `"`+r.ID+`"`) {
			t.Errorf("%s: %s does not define it", r.ID, file)
		}
	}
	if got := rules.Lookup("non-root-user"); len(got) < 2 {
		t.Errorf("control non-root-user resolves to %d rules, want all of its rules", len(got))
	}
	if got := rules.Lookup("no-such-rule"); len(got) != 0 {
		t.Errorf("unknown name resolved to %v", got)
	}
}
