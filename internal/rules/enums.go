package rules

import (
	"fmt"
	"strings"
)

// Severity orders findings; --fail-on compares against it.
type Severity string

// Severities, from worst to least. high and critical are kept for what gives
// a container the host or leaks a live secret, so --fail-on high stays usable.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists every severity, worst first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank is larger for worse severities.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return len(Severities) - i
		}
	}
	return 0
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for _, v := range Severities {
		if strings.EqualFold(s, string(v)) {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s)
}

// Threat is what a control protects against; it groups the catalogue and the
// text report, and fixes the rule ID ranges.
type Threat string

// Threats, in the order of CONTROLS.md; the comment gives the ID range.
const (
	ThreatKernel    Threat = "kernel-and-host"        // DG1xx
	ThreatDoS       Threat = "denial-of-service"      // DG2xx
	ThreatBreakout  Threat = "container-breakout"     // DG3xx
	ThreatFSNetwork Threat = "filesystem-and-network" // DG4xx
	ThreatImages    Threat = "poisoned-images"        // DG5xx
	ThreatSecrets   Threat = "secrets"                // DG6xx
	ThreatHygiene   Threat = "hygiene"                // DG9xx
)

// Threats lists the threats in report order.
var Threats = []Threat{ThreatKernel, ThreatDoS, ThreatBreakout, ThreatFSNetwork, ThreatImages, ThreatSecrets, ThreatHygiene}

// IDPrefix is the hundreds digit of the rule IDs of a threat.
func (t Threat) IDPrefix() string {
	for i, v := range Threats {
		if v == t {
			if v == ThreatHygiene {
				return "DG9"
			}
			return fmt.Sprintf("DG%d", i+1)
		}
	}
	return ""
}

// Control is one countermeasure of CONTROLS.md.
type Control string

// Controls, as named in CONTROLS.md.
var Controls = []Control{
	"kernel-cves", "runtime-cves", "host-segregation", "daemon-exposure", "userns-remap", "selinux", "apparmor", "seccomp",
	"memory-limit", "memory-swap", "cpu-limit", "pids-limit", "restart-policy", "restart-loop", "ulimits",
	"non-root-user", "privileged", "capabilities", "no-new-privileges", "host-namespaces", "sensitive-mounts", "devices", "suid-sgid", "sudo",
	"read-only-rootfs", "icc", "published-ports",
	"image-pinning", "image-trust", "unverified-downloads",
	"secrets-env", "secrets-build", "secrets-image",
	"hygiene",
}

// Surface is where a rule judges a control; a rule lists the surfaces it
// is implemented for, not every surface where its control can be seen.
type Surface string

// Surfaces, with the letters of CONTROLS.md.
const (
	SurfaceDockerfile Surface = "dockerfile" // D
	SurfaceCompose    Surface = "compose"    // C
	SurfaceRun        Surface = "run"        // R
	SurfaceLive       Surface = "live"       // L
	SurfaceImage      Surface = "image"      // I
	SurfaceHost       Surface = "host"       // H
	SurfaceSwarm      Surface = "swarm"      // S
	SurfaceKubernetes Surface = "kubernetes" // K
	SurfaceAPI        Surface = "api"        // A
)

// AllSurfaces lists the surfaces in the order of CONTROLS.md.
var AllSurfaces = []Surface{SurfaceDockerfile, SurfaceCompose, SurfaceRun, SurfaceLive, SurfaceImage, SurfaceHost, SurfaceSwarm, SurfaceKubernetes, SurfaceAPI}
