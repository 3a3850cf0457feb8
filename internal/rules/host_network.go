package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// host-network: the container uses the host's network namespace
// (`--network host`, `network_mode: host`, `ns:<path>`).
func init() {
	register(&Rule{
		ID:          "DG336",
		Slug:        "host-network",
		Control:     "host-namespaces",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Host network namespace shared",
		Rationale:   "On the host network a container reaches every service bound to the host's loopback and can sniff or spoof host traffic; no network isolation is left.",
		Remediation: "Use a bridge network and publish only the ports needed: `-p 127.0.0.1:8080:8080` (compose: `ports:`).",
		References:  []string{"CIS Docker Benchmark 5.10"},
		Doc:         "It binds host ports directly, reaches every service listening on the host's loopback (a Docker API on tcp://127.0.0.1, cloud metadata proxies) and, with NET_RAW or NET_ADMIN, sniffs or rewrites host traffic.",
		Container: func(c *facts.Container, r *Reporter) {
			if v, ok := c.Namespaces[facts.NSNetwork]; ok && v.IsSet() && isHostMode(v.V) {
				r.Report(c.Subject, v.At, "shares the host's network namespace (%s)", v.V)
			}
		},
	})
}
