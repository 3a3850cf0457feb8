package cves_test

import (
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/cves"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		parts  []int
		pre    string
		suffix string
	}{
		{"5.10.102", []int{5, 10, 102}, "", ""},
		{"5.10.0-28-amd64", []int{5, 10, 0}, "", "-28-amd64"},
		{"4.18.0-513.el8.x86_64", []int{4, 18, 0}, "", "-513.el8.x86_64"},
		{"20.10.24+dfsg1", []int{20, 10, 24}, "", "+dfsg1"},
		{"20.10.24+dfsg1-1+deb12u1+b6", []int{20, 10, 24}, "", "+dfsg1-1+deb12u1+b6"},
		{"1.1.5+ds1-1+deb12u1", []int{1, 1, 5}, "", "+ds1-1+deb12u1"},
		{"1.6.20~ds1", []int{1, 6, 20}, "", "~ds1"},
		{"1.0.0-rc6+dev", []int{1, 0, 0}, "rc6", "+dev"},
		{"1.0.0-rc95", []int{1, 0, 0}, "rc95", ""},
		{"1.4.0-rc.3", []int{1, 4, 0}, "rc.3", ""},
		{"v1.1.12", []int{1, 1, 12}, "", ""},
		{"5:27.1.1-1~debian.12~bookworm", []int{27, 1, 1}, "", "-1~debian.12~bookworm"},
		{"6.18.44-fc-v669", []int{6, 18, 44}, "", "-fc-v669"},
		{"5.15.153.1-microsoft-standard-WSL2", []int{5, 15, 153, 1}, "", "-microsoft-standard-WSL2"},
		{"28.0.0-rc.1", []int{28, 0, 0}, "rc.1", ""},
		{"1.7.0-beta.1", []int{1, 7, 0}, "beta.1", ""},
		{"2.6.32-754.el6", []int{2, 6, 32}, "", "-754.el6"},
	} {
		v, ok := cves.Parse(tc.in)
		if !ok {
			t.Errorf("%s: not parsed", tc.in)
			continue
		}
		if !equal(v.Parts, tc.parts) || v.Pre != tc.pre || v.Suffix != tc.suffix {
			t.Errorf("%s: got %v %q %q, want %v %q %q", tc.in, v.Parts, v.Pre, v.Suffix, tc.parts, tc.pre, tc.suffix)
		}
	}
	for _, bad := range []string{"", "latest", "v", "-1", "dev"} {
		if _, ok := cves.Parse(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"5.10.102", "5.10.101", 1},
		{"5.10.9", "5.10.10", -1},
		{"5.10", "5.10.0", 0},
		{"5.10.0-28-amd64", "5.10.0", 0}, // suffixes never count
		{"20.10.24+dfsg1", "20.10.24", 0},
		{"1.0.0-rc6", "1.0.0", -1},
		{"1.0.0-rc6", "1.0.0-rc7", -1},
		{"1.0.0-rc95", "1.0.0-rc7", 1},
		{"1.0.0-rc6+dev", "1.0.0-rc6", 0},
		{"1.4.0-rc.2", "1.4.0-rc.3", -1},
		{"1.7.0-beta.1", "1.7.0-rc.1", -1},
		{"1.7.0-alpha.9", "1.7.0-beta.1", -1},
		{"27.1.1", "27.1.0", 1},
		{"5.15.153.1", "5.15.153", 1},
	} {
		a, b := cves.MustParse(tc.a), cves.MustParse(tc.b)
		if got := cves.Compare(a, b); got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := cves.Compare(b, a); got != -tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestTable(t *testing.T) {
	tab, err := cves.Load()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Version < 1 || tab.Updated == "" {
		t.Errorf("table has no version or date")
	}
	want := map[string]string{
		"CVE-2016-5195": cves.Kernel, "CVE-2022-0847": cves.Kernel, "CVE-2022-0185": cves.Kernel,
		"CVE-2022-0492": cves.Kernel, "CVE-2023-0386": cves.Kernel, "CVE-2024-1086": cves.Kernel,
		"CVE-2021-22555": cves.Kernel, "CVE-2023-32233": cves.Kernel, "CVE-2022-2588": cves.Kernel,
		"CVE-2019-5736": cves.Runc, "CVE-2024-21626": cves.Runc,
		"CVE-2024-41110": cves.Engine, "CVE-2026-34040": cves.Engine, "CVE-2026-41567": cves.Engine,
	}
	got := map[string]string{}
	for _, c := range tab.CVEs {
		got[c.ID] = c.Component
		for _, s := range c.Sources {
			if !strings.HasPrefix(s, "https://") {
				t.Errorf("%s: source %q is not a URL", c.ID, s)
			}
		}
	}
	for id, comp := range want {
		if got[id] != comp {
			t.Errorf("%s: component %q, want %q", id, got[id], comp)
		}
	}
	for _, c := range tab.For(cves.Engine) {
		if (c.ID == "CVE-2024-41110" || c.ID == "CVE-2026-34040") != (c.Requires == cves.RequiresAuthz) {
			t.Errorf("%s: requires %q", c.ID, c.Requires)
		}
	}
}

func TestParseTableRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"no version":     `{"updated":"2026-01-01","cves":[]}`,
		"unknown field":  `{"version":1,"updated":"2026-01-01","cves":[],"extra":1}`,
		"bad component":  `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"x","summary":"s","fixed":["1.0"],"sources":["https://a"]}]}`,
		"no fix":         `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"runc","summary":"s","fixed":[],"sources":["https://a"]}]}`,
		"bad version":    `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"runc","summary":"s","fixed":["x"],"sources":["https://a"]}]}`,
		"branch twice":   `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"runc","summary":"s","fixed":["1.1.2","1.1.3"],"sources":["https://a"]}]}`,
		"duplicate":      `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"runc","summary":"s","fixed":["1.1"],"sources":["https://a"]},{"id":"CVE-1","component":"runc","summary":"s","fixed":["1.1"],"sources":["https://a"]}]}`,
		"no sources":     `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"runc","summary":"s","fixed":["1.1"],"sources":[]}]}`,
		"not json":       `{`,
		"bad introduced": `{"version":1,"updated":"2026-01-01","cves":[{"id":"CVE-1","component":"runc","summary":"s","introduced":"?","fixed":["1.1"],"sources":["https://a"]}]}`,
	} {
		if _, err := cves.ParseTable([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func find(t *testing.T, id, component string) *cves.CVE {
	t.Helper()
	for _, c := range cves.MustLoad().For(component) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("%s not in the table", id)
	return nil
}

func TestAffects(t *testing.T) {
	for _, tc := range []struct {
		id, component, version string
		affected               bool
		fixedIn                string
	}{
		// Dirty Pipe: 5.8 up to 5.10.102, 5.15.25, 5.16.11; 5.17 fixed.
		{"CVE-2022-0847", cves.Kernel, "5.4.200", false, ""},
		{"CVE-2022-0847", cves.Kernel, "5.8.0", true, "5.10.102"},
		{"CVE-2022-0847", cves.Kernel, "5.10.101", true, "5.10.102"},
		{"CVE-2022-0847", cves.Kernel, "5.10.102", false, ""},
		{"CVE-2022-0847", cves.Kernel, "5.10.0-28-amd64", true, "5.10.102"},
		{"CVE-2022-0847", cves.Kernel, "5.11.22", true, "5.15.25"}, // end-of-life branch
		{"CVE-2022-0847", cves.Kernel, "5.15.24", true, "5.15.25"},
		{"CVE-2022-0847", cves.Kernel, "5.15.25", false, ""},
		{"CVE-2022-0847", cves.Kernel, "5.16.10", true, "5.16.11"},
		{"CVE-2022-0847", cves.Kernel, "5.17.0", false, ""},
		{"CVE-2022-0847", cves.Kernel, "6.1.0", false, ""},
		// Dirty COW: every kernel from 2.6.22 to 4.8.2.
		{"CVE-2016-5195", cves.Kernel, "2.6.32-754.el6", true, "3.2.83"},
		{"CVE-2016-5195", cves.Kernel, "3.10.0-327.el7", true, "3.10.104"},
		{"CVE-2016-5195", cves.Kernel, "4.4.26", false, ""},
		{"CVE-2016-5195", cves.Kernel, "4.9.0", false, ""},
		// CVE-2024-1086: 3.15 on; per-branch fixes.
		{"CVE-2024-1086", cves.Kernel, "3.14.79", false, ""},
		{"CVE-2024-1086", cves.Kernel, "6.1.75", true, "6.1.76"},
		{"CVE-2024-1086", cves.Kernel, "6.1.76", false, ""},
		{"CVE-2024-1086", cves.Kernel, "6.8.0", false, ""},
		// runc.
		{"CVE-2019-5736", cves.Runc, "1.0.0-rc6", true, "1.0.0-rc7"},
		{"CVE-2019-5736", cves.Runc, "1.0.0-rc7", false, ""},
		{"CVE-2019-5736", cves.Runc, "1.1.5+ds1", false, ""},
		{"CVE-2024-21626", cves.Runc, "1.0.0-rc92", false, ""},
		{"CVE-2024-21626", cves.Runc, "1.1.5+ds1", true, "1.1.12"},
		{"CVE-2024-21626", cves.Runc, "1.1.12", false, ""},
		{"CVE-2025-31133", cves.Runc, "1.3.2", true, "1.3.3"},
		{"CVE-2025-31133", cves.Runc, "1.4.0-rc.2", true, "1.4.0-rc.3"},
		{"CVE-2025-31133", cves.Runc, "1.4.0", false, ""},
		// Engine: CVE-2024-41110 fixed per branch, unfixed branches affected.
		{"CVE-2024-41110", cves.Engine, "18.09.9", false, ""},
		{"CVE-2024-41110", cves.Engine, "20.10.24", true, "23.0.15"},
		{"CVE-2024-41110", cves.Engine, "23.0.15", false, ""},
		{"CVE-2024-41110", cves.Engine, "24.0.9", true, "25.0.6"},
		{"CVE-2024-41110", cves.Engine, "26.0.2", true, "26.1.5"},
		{"CVE-2024-41110", cves.Engine, "26.1.4", true, "26.1.5"},
		{"CVE-2024-41110", cves.Engine, "27.1.0", true, "27.1.1"},
		{"CVE-2024-41110", cves.Engine, "28.0.0", false, ""},
		{"CVE-2026-34040", cves.Engine, "28.5.2", true, "29.3.1"},
		{"CVE-2026-34040", cves.Engine, "29.3.1", false, ""},
		{"CVE-2026-41567", cves.Engine, "29.5.0", true, "29.5.1"},
		{"CVE-2026-41567", cves.Engine, "29.5.1", false, ""},
		{"CVE-2020-15257", cves.Containerd, "1.2.13", true, "1.3.9"},
		{"CVE-2020-15257", cves.Containerd, "1.4.3", false, ""},
		{"CVE-2020-15257", cves.Containerd, "1.6.20~ds1", false, ""},
	} {
		c := find(t, tc.id, tc.component)
		got, fixedIn := c.Affects(cves.MustParse(tc.version))
		if got != tc.affected || fixedIn != tc.fixedIn {
			t.Errorf("%s %s: affected %v fixed in %q, want %v %q", tc.id, tc.version, got, fixedIn, tc.affected, tc.fixedIn)
		}
	}
}

func TestDistributionKernel(t *testing.T) {
	for release, distro := range map[string]string{
		"5.10.0-28-amd64":                    "Debian",
		"6.1.0-0.deb11.13-amd64":             "Debian",
		"5.15.0-91-generic":                  "Ubuntu",
		"6.8.0-1012-aws":                     "Ubuntu",
		"4.18.0-513.el8.x86_64":              "Red Hat Enterprise Linux (or a rebuild)",
		"5.14.0-427.13.1.el9_4.x86_64":       "Red Hat Enterprise Linux (or a rebuild)",
		"6.8.5-301.fc40.x86_64":              "Fedora",
		"5.10.219-208.866.amzn2.x86_64":      "Amazon Linux",
		"5.14.21-150500.55.39-default":       "SUSE",
		"5.15.153.1-microsoft-standard-WSL2": "Microsoft (WSL)",
		"6.8.12-4-pve":                       "Proxmox VE",
		"5.4.0-1":                            "a distribution",
		"5.15.25":                            "",
		"6.1.0":                              "",
		"6.9.7-arch1-1":                      "",
		"6.18.44-fc-v669":                    "",
		"nonsense":                           "",
	} {
		if got := cves.DistributionKernel(release); got != distro {
			t.Errorf("%s: %q, want %q", release, got, distro)
		}
	}
}

func TestDistributionBuild(t *testing.T) {
	for v, want := range map[string]bool{
		"20.10.24+dfsg1":              true,
		"20.10.24+dfsg1-1+deb12u1+b6": true,
		"1.1.5+ds1":                   true,
		"1.6.20~ds1":                  true,
		"1.6.20~ds1-1+deb12u3":        true,
		"24.0.7-0ubuntu2~22.04.1":     true,
		"1.1.12-1.el9":                true,
		"27.1.1":                      false,
		"1.1.12":                      false,
		"1.0.0-rc6+dev":               false,
		"v1.1.12-0-g51d5e94":          false,
	} {
		if got := cves.DistributionBuild(v); got != want {
			t.Errorf("%s: %v, want %v", v, got, want)
		}
	}
}
