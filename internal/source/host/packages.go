package host

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// dpkgStatus is where Debian and Ubuntu record installed packages.
const dpkgStatus = "/var/lib/dpkg/status"

// Caps on what is read from package records: the status file of a large
// host is a few MiB; a kernel's changelog decompresses to tens of MiB.
const (
	maxStatusSize    = 64 << 20
	maxChangelogSize = 128 << 20
)

// componentPackages are the packages that provide each component, in the
// order they are looked for: Docker's own packages first (docker-ce,
// containerd.io, which bundles runc), then distributions'.
var componentPackages = map[string][]string{
	"engine":     {"docker-ce", "docker.io", "moby-engine", "docker-engine"},
	"containerd": {"containerd.io", "containerd", "moby-containerd"},
	"runc":       {"runc", "containerd.io", "moby-runc"},
}

// upstreamPackages are built by the project itself (Docker's apt
// repository); every other package is a distribution's build.
var upstreamPackages = map[string]bool{"docker-ce": true, "containerd.io": true}

// readDpkgStatus returns the installed versions of the wanted packages.
func readDpkgStatus(data []byte, wanted map[string]bool) map[string]string {
	out := map[string]string{}
	var name, version, status string
	flush := func() {
		if name != "" && wanted[name] && strings.HasSuffix(status, " installed") {
			out[name] = version
		}
		name, version, status = "", "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "Package: "):
			name = strings.TrimSpace(line[len("Package: "):])
		case strings.HasPrefix(line, "Version: "):
			version = strings.TrimSpace(line[len("Version: "):])
		case strings.HasPrefix(line, "Status: "):
			status = strings.TrimSpace(line[len("Status: "):])
		}
	}
	flush()
	return out
}

var reCVE = regexp.MustCompile(`CVE-\d{4}-\d{4,7}`)

// changelogCVEs returns the CVE IDs a package's Debian changelog names:
// Debian and Ubuntu maintainers list the CVEs each upload fixes. The
// changelog shipped with a package covers exactly the installed version
// and the ones before it.
func changelogCVEs(root, pkg string) map[string]bool {
	dir := path.Join("/usr/share/doc", pkg)
	for _, name := range []string{"changelog.Debian.gz"} {
		f, err := os.Open(hostPath(root, path.Join(dir, name)))
		if err != nil {
			continue
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil
		}
		ids := map[string]bool{}
		sc := bufio.NewScanner(io.LimitReader(zr, maxChangelogSize))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !bytes.Contains(line, []byte("CVE-")) {
				continue // most lines; a kernel changelog has ~10^5
			}
			for _, id := range reCVE.FindAll(line, -1) {
				ids[string(id)] = true
			}
		}
		return ids
	}
	return nil
}

// packages reads the package manager's records of the engine, containerd,
// runc and the running kernel.
func (b *builder) packages() {
	h := b.h
	data, err := readCapped(hostPath(b.root, dpkgStatus), maxStatusSize)
	if err != nil {
		return
	}
	wanted := map[string]bool{}
	for _, names := range componentPackages {
		for _, n := range names {
			wanted[n] = true
		}
	}
	kernelPkgs := []string{}
	if h.KernelVersion.IsSet() {
		kernelPkgs = []string{"linux-image-" + h.KernelVersion.V, "linux-image-unsigned-" + h.KernelVersion.V}
		for _, n := range kernelPkgs {
			wanted[n] = true
		}
	}
	h.Packages = readDpkgStatus(data, wanted)
	h.PackagesAt = facts.Location{Path: dpkgStatus}
	h.ComponentPackages = map[string]string{}
	h.PackageCVEs = map[string]map[string]bool{}
	pick := func(component string, names []string) {
		for _, n := range names {
			if _, ok := h.Packages[n]; ok {
				h.ComponentPackages[component] = n
				if ids := changelogCVEs(b.root, n); ids != nil {
					h.PackageCVEs[n] = ids
				}
				return
			}
		}
	}
	for _, c := range []string{"engine", "containerd", "runc"} {
		pick(c, componentPackages[c])
		if n := h.ComponentPackages[c]; n != "" {
			if upstreamPackages[n] {
				h.Builds[c] = facts.BuildUpstream
			} else {
				h.Builds[c] = facts.BuildDistribution
			}
		}
	}
	pick("kernel", kernelPkgs)
}
