// Package cves is dockguard's embedded, versioned table of the kernel and
// container-runtime vulnerabilities that give a container the host: kernel
// privilege escalations and container escapes, runc and containerd escapes,
// Docker Engine authorization bypasses. Each entry names the versions that
// introduced and fixed it, per stable branch, and the sources those facts
// come from (kernel.org, NVD, vendor advisories).
//
// The table is data (data/cves.json), not code, so it can be reviewed and
// updated on its own; Version and Updated say how fresh it is.
package cves

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Components a CVE can affect.
const (
	Kernel     = "kernel"
	Engine     = "engine" // Docker Engine (dockerd)
	Containerd = "containerd"
	Runc       = "runc"
)

// Requirements a CVE needs besides the version, checked by the rules.
const (
	// RequiresAuthz: only hosts whose daemon uses authorization plugins
	// are exposed (the bug bypasses them).
	RequiresAuthz = "authorization-plugins"
)

// Table is the whole data set.
type Table struct {
	// Version counts revisions of the data; Updated is the date of the
	// last one (YYYY-MM-DD).
	Version int    `json:"version"`
	Updated string `json:"updated"`
	CVEs    []CVE  `json:"cves"`
}

// CVE is one vulnerability of one component.
type CVE struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"` // "Dirty Pipe"
	Component string `json:"component"`
	Summary   string `json:"summary"`
	// Introduced is the first affected version; empty means every version
	// before the fixes is affected (the sources name no start).
	Introduced string `json:"introduced,omitempty"`
	// Fixed are the first fixed versions, one per branch (major.minor).
	// A version is affected when it is at or above Introduced, below the
	// highest fixed version, and below the fix of its own branch; a branch
	// with no listed fix (an end-of-life stable series) is affected.
	Fixed []string `json:"fixed"`
	// Requires names a condition besides the version (RequiresAuthz).
	Requires string `json:"requires,omitempty"`
	// Sources are where the facts come from: advisories, NVD, kernel.org
	// commits.
	Sources []string `json:"sources"`
	// Note records what the sources disagree on or do not say.
	Note string `json:"note,omitempty"`

	intro Version
	fixed []Version
}

//go:embed data/cves.json
var tableJSON []byte

var (
	loadOnce sync.Once
	loaded   *Table
	loadErr  error
)

// Load returns the embedded table, parsed and checked once.
func Load() (*Table, error) {
	loadOnce.Do(func() { loaded, loadErr = ParseTable(tableJSON) })
	return loaded, loadErr
}

// MustLoad is Load for callers that cannot go on without the table; the
// embedded data is checked by the package's tests.
func MustLoad() *Table {
	t, err := Load()
	if err != nil {
		panic(err)
	}
	return t
}

// ParseTable reads and checks a table.
func ParseTable(data []byte) (*Table, error) {
	var t Table
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("cve table: %w", err)
	}
	if t.Version < 1 || len(t.Updated) != len("2006-01-02") {
		return nil, fmt.Errorf("cve table: version and updated (YYYY-MM-DD) are required")
	}
	seen := map[string]bool{}
	for i := range t.CVEs {
		c := &t.CVEs[i]
		key := c.ID + "/" + c.Component
		if !strings.HasPrefix(c.ID, "CVE-") || seen[key] {
			return nil, fmt.Errorf("cve table: bad or duplicate id %q", c.ID)
		}
		seen[key] = true
		switch c.Component {
		case Kernel, Engine, Containerd, Runc:
		default:
			return nil, fmt.Errorf("cve table: %s: unknown component %q", c.ID, c.Component)
		}
		if len(c.Fixed) == 0 || len(c.Sources) == 0 || c.Summary == "" {
			return nil, fmt.Errorf("cve table: %s: fixed versions, summary and sources are required", c.ID)
		}
		if c.Introduced != "" {
			v, ok := Parse(c.Introduced)
			if !ok {
				return nil, fmt.Errorf("cve table: %s: bad introduced version %q", c.ID, c.Introduced)
			}
			c.intro = v
		}
		branches := map[string]bool{}
		for _, f := range c.Fixed {
			v, ok := Parse(f)
			if !ok {
				return nil, fmt.Errorf("cve table: %s: bad fixed version %q", c.ID, f)
			}
			if branches[v.Branch()] {
				return nil, fmt.Errorf("cve table: %s: two fixes for branch %s", c.ID, v.Branch())
			}
			branches[v.Branch()] = true
			c.fixed = append(c.fixed, v)
		}
		sort.Slice(c.fixed, func(a, b int) bool { return Compare(c.fixed[a], c.fixed[b]) < 0 })
	}
	return &t, nil
}

// For returns the CVEs of one component, in table order.
func (t *Table) For(component string) []*CVE {
	var out []*CVE
	for i := range t.CVEs {
		if t.CVEs[i].Component == component {
			out = append(out, &t.CVEs[i])
		}
	}
	return out
}

// Affects reports whether a version is in the CVE's affected range, and the
// version that fixes it on the version's branch (or the first release
// after it that does).
func (c *CVE) Affects(v Version) (affected bool, fixedIn string) {
	if len(v.Parts) == 0 || len(c.fixed) == 0 {
		return false, ""
	}
	if c.Introduced != "" && Compare(v, c.intro) < 0 {
		return false, ""
	}
	last := c.fixed[len(c.fixed)-1]
	if Compare(v, last) >= 0 {
		return false, ""
	}
	for _, f := range c.fixed {
		if f.Branch() == v.Branch() {
			if Compare(v, f) >= 0 {
				return false, ""
			}
			return true, f.Raw
		}
	}
	// No fix on this branch: the next fixed release above it.
	for _, f := range c.fixed {
		if Compare(f, v) > 0 {
			return true, f.Raw
		}
	}
	return true, last.Raw
}

// Title is the ID with the CVE's common name, if any.
func (c *CVE) Title() string {
	if c.Name != "" {
		return c.ID + " (" + c.Name + ")"
	}
	return c.ID
}
