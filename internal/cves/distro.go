package cves

import (
	"regexp"
	"strings"
)

// Distribution kernels keep an old upstream version number and backport
// fixes under their own patch level (Debian 5.10.0-28, Ubuntu
// 5.15.0-91-generic, RHEL 4.18.0-513.el8), so their version says little
// about which CVEs are fixed. DistributionKernel recognizes such releases
// and names the family; upstream-looking releases (5.15.25, 6.9.7-arch1-1,
// a custom build) return "".
func DistributionKernel(release string) string {
	r := strings.ToLower(strings.TrimSpace(release))
	v, ok := Parse(r)
	if !ok {
		return ""
	}
	for _, k := range kernelFamilies {
		if k.re.MatchString(r) {
			return k.name
		}
	}
	// x.y.0-N-flavour and x.y.0-N.M: an ABI number after a .0 release is
	// how Debian-style distributions number their kernels.
	if len(v.Parts) == 3 && v.Parts[2] == 0 && reABI.MatchString(v.Suffix) {
		return "a distribution"
	}
	return ""
}

var reABI = regexp.MustCompile(`^-\d+([.-]|$)`)

var kernelFamilies = []struct {
	name string
	re   *regexp.Regexp
}{
	{"Red Hat Enterprise Linux (or a rebuild)", regexp.MustCompile(`\.el\d+`)},
	{"Fedora", regexp.MustCompile(`\.fc\d+`)},
	{"Amazon Linux", regexp.MustCompile(`\.amzn\d+`)},
	{"Oracle Linux (UEK)", regexp.MustCompile(`uek`)},
	{"Azure Linux / CBL-Mariner", regexp.MustCompile(`\.(cm|azl)\d+`)},
	{"SUSE", regexp.MustCompile(`^\d+\.\d+\.\d+-\d{6}\.`)},
	{"Microsoft (WSL)", regexp.MustCompile(`microsoft`)},
	{"Proxmox VE", regexp.MustCompile(`-pve$`)},
	{"Ubuntu", regexp.MustCompile(`^\d+\.\d+\.0-\d+-(generic|lowlatency|aws|azure|gcp|gke|gkeop|oracle|kvm|raspi|ibm|nvidia|intel-iotg|oem|realtime|hwe|virtual)`)},
	{"Debian", regexp.MustCompile(`^\d+\.\d+\.0-(\d+|0\.deb\d+\.\d+)-(amd64|arm64|686|686-pae|cloud-amd64|cloud-arm64|rt-amd64|rt-arm64|armmp|armmp-lpae|rpi|powerpc64le|s390x|loong64|riscv64|marvell|octeon|4kc-malta|5kc-malta|mips64r2el|mips32r2el)`)},
	{"Debian", regexp.MustCompile(`deb\d+`)},
}

// DistributionBuild reports whether a component version carries a
// distribution's own packaging marks (Debian's +dfsg/+ds repacks and
// +debNuM revisions, Ubuntu's revisions, RHEL's .elN), so the version may
// have fixes backported under an old upstream number.
func DistributionBuild(version string) bool {
	return reDistroVersion.MatchString(strings.ToLower(version))
}

var reDistroVersion = regexp.MustCompile(`[+~](dfsg|ds)\d*|deb\d+u\d+|ubuntu|\.el\d+|\.fc\d+|\.amzn\d+|-\d+\.\d+\.el|\+really`)
