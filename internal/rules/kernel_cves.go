package rules

import (
	"github.com/dockguard/dockguard/internal/cves"
	"github.com/dockguard/dockguard/internal/facts"
)

// kernel-cves: the host kernel is in the affected range of a known
// privilege-escalation or container-escape CVE (Dirty COW, Dirty Pipe,
// CVE-2022-0185, CVE-2022-0492, CVE-2023-0386, CVE-2024-1086, …), judged
// against dockguard's embedded table of fixed-in versions per stable branch.
func init() {
	register(&Rule{
		ID:          "DG103",
		Slug:        "kernel-cves",
		Control:     "kernel-cves",
		Threat:      ThreatKernel,
		Severity:    High,
		Title:       "Kernel with a known container-escape CVE",
		Rationale:   "Every container shares the host kernel: a kernel privilege escalation run inside any container is root on the host, whatever the container's own settings.",
		Remediation: "Upgrade the kernel to a release that carries the fix (the finding names the first fixed version of its stable branch, or install the distribution's security update) and reboot into it.",
		References:  []string{"CIS Docker Benchmark 1.2.1", "CVE-2016-5195", "CVE-2022-0847", "CVE-2022-0492", "CVE-2024-1086"},
		Doc:         "Distribution kernels (Debian 5.10.0-28-amd64, Ubuntu 5.15.0-91-generic, RHEL 4.18.0-513.el8) keep an old upstream number and backport fixes, so a version match is reported low with that caveat instead of guessing; on a local host the package records settle it: a changelog that names the CVE, or a package built from a fixed upstream release (Debian's 6.1.119-1), means no finding. Upstream-looking kernels are reported high.",
		Host: func(h *facts.Host, r *Reporter) {
			k := h.KernelVersion
			if !k.IsSet() {
				return
			}
			v, ok := cves.Parse(k.V)
			if !ok {
				return
			}
			distro := cves.DistributionKernel(k.V)
			pkg := h.ComponentPackages[cves.Kernel]
			pkgVersion, hasPkg := h.Packages[pkg]
			for _, c := range cves.MustLoad().For(cves.Kernel) {
				affected, fixedIn := c.Affects(v)
				if !affected {
					continue
				}
				if pkg != "" && h.PackageCVEs[pkg][c.ID] {
					continue // the distribution records the fix
				}
				if hasPkg {
					// Debian numbers kernel packages after the upstream
					// stable release they are built from.
					if pv, ok := cves.Parse(pkgVersion); ok && pv.Branch() == v.Branch() {
						if affected, _ := c.Affects(pv); !affected {
							continue
						}
					}
				}
				switch {
				case hasPkg:
					r.ReportSeverity(Low, h.Subject, k.At, "kernel %s (package %s %s) is in the range of %s (upstream: %s) and the package's changelog does not name it: %s; distributions backport fixes under their own patch level, so check the distribution's advisory", k.V, pkg, pkgVersion, c.Title(), fixedNote(v, fixedIn), c.Summary)
				case distro != "":
					r.ReportSeverity(Low, h.Subject, k.At, "kernel %s is in the range of %s (upstream: %s): %s; this is %s kernel, which may carry the fix backported under its own patch level, so check the distribution's advisory", k.V, c.Title(), fixedNote(v, fixedIn), c.Summary, article(distro))
				default:
					r.Report(h.Subject, k.At, "kernel %s has %s: %s; %s", k.V, c.Title(), c.Summary, fixedNote(v, fixedIn))
				}
			}
		},
	})
}

// article puts "a" or "an" before a distribution's name.
func article(distro string) string {
	if distro == "a distribution" {
		return distro
	}
	switch distro[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + distro
	}
	return "a " + distro
}
