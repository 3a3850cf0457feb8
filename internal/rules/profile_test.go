package rules

import (
	"sort"
	"testing"
)

// TestProfileClassifiesEveryRule: a new rule must be placed in the profile
// table (baseline, restricted or none), so that no rule joins or leaves
// enforcement by accident.
func TestProfileClassifiesEveryRule(t *testing.T) {
	missing, unknown := profileUnclassified()
	for _, s := range missing {
		t.Errorf("rule %s is not in profile.go's membershipV1", s)
	}
	for _, s := range unknown {
		t.Errorf("membershipV1 names %s, which is no rule", s)
	}
}

func TestProfiles(t *testing.T) {
	byslug := map[string]*Rule{}
	for _, r := range All() {
		byslug[r.Slug] = r
	}
	for _, tc := range []struct {
		p          Profile
		slug       string
		wantDenies bool
	}{
		{Baseline, "privileged", true},
		{Baseline, "request-unjudged", true},
		{Baseline, "root-user", false},
		{Restricted, "root-user", true},
		{Restricted, "privileged", true},
		{Restricted, "image-latest", false},
		{Baseline, "shared-namespace", true},
		{Baseline, "writable-bind-root", true},
		{Baseline, "memory-limit", false},
		{Restricted, "memory-limit", true},
	} {
		if got := tc.p.Denies(byslug[tc.slug]); got != tc.wantDenies {
			t.Errorf("%s denies %s = %v, want %v", tc.p, tc.slug, got, tc.wantDenies)
		}
	}
	for _, tc := range []struct {
		in, want string
	}{{"baseline", "baseline@v1"}, {"Restricted@V1", "restricted@v1"}, {" baseline@v1 ", "baseline@v1"}} {
		p, err := ParseProfile(tc.in)
		if err != nil || p.String() != tc.want {
			t.Errorf("ParseProfile(%q) = %v, %v", tc.in, p, err)
		}
	}
	for _, in := range []string{"", "privileged", "baseline@v2", "baseline@1", "restricted@"} {
		if _, err := ParseProfile(in); err == nil {
			t.Errorf("ParseProfile(%q) accepted", in)
		}
	}
}

// profileUnclassified lists catalogue rules missing from the profile table
// and table entries that name no rule (for the catalogue test).
func profileUnclassified() (missing, unknown []string) {
	seen := map[string]bool{}
	for _, r := range All() {
		seen[r.Slug] = true
		if _, ok := membershipV1[r.Slug]; !ok {
			missing = append(missing, r.Slug)
		}
	}
	for s := range membershipV1 {
		if !seen[s] {
			unknown = append(unknown, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(unknown)
	return missing, unknown
}
