package host

import (
	"os"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// listeners reads -H/--host and daemon.json's hosts, and the API socket's
// owner and mode.
func (b *builder) listeners() {
	h := b.h
	// --tls alone encrypts but lets any client in; only --tlsverify checks
	// client certificates.
	tlsVerify := false
	if v, ok := b.boolSetting("tlsverify", "tlsverify"); ok {
		tlsVerify = v.V
	} else if b.environ["DOCKER_TLS_VERIFY"] != "" {
		// dockerd's --tlsverify defaults to DOCKER_TLS_VERIFY being set.
		tlsVerify = true
	}
	for _, fv := range b.cmd.get("host") {
		for _, addr := range strings.Split(fv.Value, ",") {
			h.Listeners = append(h.Listeners, facts.Listener{Address: addr, TLSVerify: tlsVerify, At: b.flagAt(fv)})
		}
	}
	if len(h.Listeners) == 0 {
		if hosts, ok := b.cfg.strings("hosts"); ok {
			for _, addr := range hosts {
				h.Listeners = append(h.Listeners, facts.Listener{Address: addr, TLSVerify: tlsVerify, At: b.cfgAt("hosts")})
			}
		}
	}
	if len(h.Listeners) == 0 {
		at := b.defaultAt()
		if b.cmd != nil {
			at = facts.Location{Path: b.cmd.Path}
		}
		h.Listeners = append(h.Listeners, facts.Listener{Address: DefaultSocket, TLSVerify: tlsVerify, At: at})
	}
	for i := range h.Listeners {
		h.Listeners[i].Address = normalizeAddress(h.Listeners[i].Address)
	}

	// The API socket: the first unix listener, or the socket systemd
	// opens for fd:// (docker.socket's /run/docker.sock).
	sock := ""
	for _, l := range h.Listeners {
		switch {
		case strings.HasPrefix(l.Address, "unix://"):
			sock = strings.TrimPrefix(l.Address, "unix://")
		case strings.HasPrefix(l.Address, "fd://"):
			sock = "/run/docker.sock"
		}
		if sock != "" {
			break
		}
	}
	if sock == "" {
		h.SocketMode = unsetBecause[uint32](b.defaultAt(), "the daemon listens on no unix socket")
		h.SocketOwner = unsetBecause[string](b.defaultAt(), "the daemon listens on no unix socket")
		return
	}
	at := facts.Location{Path: sock}
	fi, err := os.Stat(hostPath(b.root, sock))
	if err != nil {
		h.SocketMode = facts.UnknownBecause[uint32](at, "cannot read the socket: "+errText(err))
		h.SocketOwner = facts.UnknownBecause[string](at, "cannot read the socket: "+errText(err))
		return
	}
	h.SocketMode = facts.SetAt(uint32(fi.Mode().Perm()), at)
	if uid, gid, ok := fileOwner(fi); ok {
		h.SocketOwner = facts.SetAt(b.userName(uid)+":"+b.groupName(gid), at)
	} else {
		h.SocketOwner = facts.UnknownBecause[string](at, "file owners are not available on this system")
	}
}

// normalizeAddress gives -H values their scheme the way dockerd does:
// a bare path is a unix socket, host:port is TCP.
func normalizeAddress(a string) string {
	a = strings.TrimSpace(a)
	switch {
	case strings.Contains(a, "://"):
		return a
	case strings.HasPrefix(a, "/"):
		return "unix://" + a
	case a == "":
		return DefaultSocket
	default:
		return "tcp://" + a
	}
}

// RecordReach records how dockguard itself reached a TCP engine: a daemon
// that answered over plain TCP, or over TLS without a client certificate,
// lets anyone who can reach the port in. Connections that presented a
// client certificate prove nothing and add nothing.
func RecordReach(h *facts.Host, address string, usedTLS, usedClientCert bool) {
	if !strings.HasPrefix(address, "tcp://") || (usedTLS && usedClientCert) {
		return
	}
	for _, l := range h.Listeners {
		if l.Address == address && !l.TLSVerify {
			return
		}
	}
	how := "plain TCP"
	if usedTLS {
		how = "TLS without a client certificate"
	}
	h.Listeners = append(h.Listeners, facts.Listener{Address: address, TLSVerify: false,
		At: facts.Location{Engine: address, Object: "daemon", Field: "answered over " + how}})
}
