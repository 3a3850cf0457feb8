package engine

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/host"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// hostFacts is the host and daemon of the engine: what /info and /version
// report, and, when the engine is on this machine (a unix socket), what
// the host's files show (package host reads them).
func hostFacts(s *Snapshot, nets client.NetworkListResult, ep Endpoint) *facts.Host {
	v := s.Version
	ver := system.VersionResponse{
		Platform: system.PlatformInfo{Name: v.Platform.Name}, Version: v.Version, APIVersion: v.APIVersion,
		MinAPIVersion: v.MinAPIVersion, Os: v.Os, Arch: v.Arch, Components: v.Components,
	}
	for _, c := range v.Components {
		if c.Name == "Engine" {
			ver.GitCommit = c.Details["GitCommit"]
			ver.KernelVersion = c.Details["KernelVersion"]
		}
	}
	var local *host.Local
	if strings.HasPrefix(s.Host, "unix://") {
		local = &host.Local{}
	}
	h := host.FromEngine(s.Host, s.Info, ver, local)
	for _, n := range nets.Items {
		if n.Name == "bridge" {
			host.SetBridgeICC(h, s.Host, n.Options)
		}
	}
	host.RecordReach(h, s.Host, ep.TLS.on(), ep.TLS.Cert != "")
	return h
}
