package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/facts"
)

// runtime-cves: Docker Engine, containerd or runc is a version with a known
// container escape or authorization bypass (runc CVE-2019-5736,
// CVE-2024-21626; engine CVE-2024-41110, CVE-2026-34040 and CVE-2026-41567;
// containerd CVE-2020-15257), judged against dockguard's embedded table.
// The authorization-plugin bypasses are reported only when the daemon uses
// authorization plugins.
func init() {
	register(&Rule{
		ID:          "DG104",
		Slug:        "runtime-cves",
		Control:     "runtime-cves",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "Container runtime with a known escape or authorization bypass",
		Rationale:   "runc, containerd and dockerd run as root on the host; an escape in them turns a container, or an image, into root on the host, and an authorization bypass turns API access into it.",
		Remediation: "Upgrade the component to the fixed release the finding names (Docker Engine, containerd and runc from the same vendor), or install the distribution's security update; restart the daemon, and recreate containers started by an old containerd-shim.",
		References:  []string{"CIS Docker Benchmark 1.2.2", "CVE-2019-5736", "CVE-2024-21626", "CVE-2024-41110", "CVE-2026-34040", "CVE-2026-41567"},
		Doc:         "Distributions ship these components with backported fixes under old upstream numbers (Debian's docker.io 20.10.24+dfsg1-1+deb12u1 carries the CVE-2024-41110 fix), so: a version match alone is low, with that caveat; on a local host whose package records show the fix (a distribution revision whose changelog names the CVE) there is no finding; the finding is high only when the build is upstream's own (Docker's packages, release commits), where the version is the whole truth.",
		Host: func(h *facts.Host, r *Reporter) {
			table := cves.MustLoad()
			for _, comp := range []struct {
				name, label string
				version     facts.Value[string]
			}{
				{cves.Engine, "Docker Engine", h.EngineVersion},
				{cves.Containerd, "containerd", h.ContainerdVersion},
				{cves.Runc, "runc", h.RuncVersion},
			} {
				if !comp.version.IsSet() {
					continue
				}
				v, ok := cves.Parse(comp.version.V)
				if !ok {
					continue
				}
				pkg := h.ComponentPackages[comp.name]
				pkgVersion := h.Packages[pkg]
				for _, c := range table.For(comp.name) {
					if c.Requires == cves.RequiresAuthz && len(h.AuthorizationPlugins) == 0 {
						continue
					}
					affected, fixedIn := c.Affects(v)
					if !affected {
						continue
					}
					if h.Local && pkg != "" && cves.DistributionBuild(pkgVersion) && h.PackageCVEs[pkg][c.ID] {
						continue // the distribution's changelog records the fix
					}
					why := c.Summary
					if c.Requires == cves.RequiresAuthz {
						why += " (the daemon uses authorization plugins: " + strings.Join(h.AuthorizationPlugins, ", ") + ")"
					}
					switch {
					case h.Builds[comp.name] == facts.BuildUpstream:
						r.Report(h.Subject, comp.version.At, "%s %s has %s: %s; %s", comp.label, comp.version.V, c.Title(), why, fixedNote(v, fixedIn))
					case pkg != "" && h.Local:
						r.ReportSeverity(Low, h.Subject, comp.version.At, "%s %s (package %s %s) is in the range of %s (upstream: %s) and the package's changelog does not name it: %s; distributions backport fixes under old version numbers, so check the distribution's advisory", comp.label, comp.version.V, pkg, pkgVersion, c.Title(), fixedNote(v, fixedIn), why)
					default:
						r.ReportSeverity(Low, h.Subject, comp.version.At, "%s %s is in the range of %s (upstream: %s): %s; a distribution build may carry the fix backported under the old version number (audit on the host to read its package records)", comp.label, comp.version.V, c.Title(), fixedNote(v, fixedIn), why)
					}
				}
			}
		},
	})
}
