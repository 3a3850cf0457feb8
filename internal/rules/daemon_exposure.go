package rules

import (
	"net"
	"net/url"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// daemon-exposure: the Docker API, which is root on the host, is open to
// more than root: a TCP listener without --tlsverify (--tls alone encrypts
// but admits any client), or a docker.sock that is world-writable or not
// owned by root. A listener on a loopback address is high rather than
// critical: only local users and host-network containers reach it. (A
// socket mounted into a container is sensitive-mounts, not this rule.)
func init() {
	register(&Rule{
		ID:          "DG105",
		Slug:        "daemon-exposure",
		Control:     "daemon-exposure",
		Threat:      ThreatKernel,
		Severity:    Critical,
		Title:       "Docker API open without authentication",
		Rationale:   "Whoever can talk to the Docker API can start a privileged container with the host's root filesystem mounted: an unauthenticated TCP listener gives the host to anyone who reaches the port, a world-writable socket to every local user.",
		Remediation: "Listen on the unix socket only, or add `--tlsverify` with `--tlscacert`, `--tlscert`, `--tlskey` (daemon.json: `\"tlsverify\": true`) and client certificates; keep docker.sock `root:docker` mode 0660.",
		References:  []string{"CIS Docker Benchmark 2.7", "CIS Docker Benchmark 3.15", "CIS Docker Benchmark 3.16"},
		Host: func(h *facts.Host, r *Reporter) {
			for _, l := range h.Listeners {
				if !strings.HasPrefix(l.Address, "tcp://") || l.TLSVerify {
					continue
				}
				at := l.At
				if at == (facts.Location{}) {
					at = h.Origin
				}
				if loopback(l.Address) {
					r.ReportSeverity(High, h.Subject, at, "the daemon listens on %s without --tlsverify: every local user and every host-network container can drive it as root", l.Address)
					continue
				}
				r.Report(h.Subject, at, "the daemon listens on %s without --tlsverify: anyone who can reach the port is root on the host", l.Address)
			}
			if m := h.SocketMode; m.IsSet() && m.V&0o002 != 0 {
				r.ReportSeverity(High, h.Subject, m.At, "the API socket %s is world-writable (mode %04o): every local user is root on the host", m.At.Path, m.V)
			}
			if o := h.SocketOwner; o.IsSet() && !h.Rootless.V {
				user, _, _ := strings.Cut(o.V, ":")
				if user != "root" && user != "0" {
					r.ReportSeverity(High, h.Subject, o.At, "the API socket %s is owned by %s, not root: that user controls the daemon, and so the host", o.At.Path, user)
				}
			}
		},
	})
}

// loopback reports whether a tcp:// address binds a loopback address only.
func loopback(addr string) bool {
	u, err := url.Parse(addr)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
