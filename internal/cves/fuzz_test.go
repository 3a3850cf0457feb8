package cves_test

import (
	"testing"

	"github.com/dockguard/dockguard/internal/cves"
)

// FuzzParse feeds version strings as a remote engine may report them:
// parsing never panics, and comparison is an order.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"5.10.102", "5.10.0-28-amd64", "1.0.0-rc6+dev", "1.4.0-rc.3", "5:27.1.1-1~debian.12", "v1.1.12", "rc", "1.-rc", "1.0.0-rc.", "0.0.0~rc1~", "99999999999999999999.1"} {
		f.Add(s, "5.10.102")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, oka := cves.Parse(a)
		vb, okb := cves.Parse(b)
		cves.DistributionKernel(a)
		cves.DistributionBuild(a)
		if !oka || !okb {
			return
		}
		if x, y := cves.Compare(va, vb), cves.Compare(vb, va); x != -y {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, x, b, a, y)
		}
		if cves.Compare(va, va) != 0 {
			t.Fatalf("%q differs from itself", a)
		}
		_ = va.Branch()
		_ = va.Upstream()
		for _, c := range cves.MustLoad().CVEs {
			c.Affects(va)
		}
	})
}
