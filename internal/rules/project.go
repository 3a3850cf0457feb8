package rules

import (
	"sort"

	"github.com/dockguard/dockguard/internal/facts"
)

// This file reads how the containers of a project sit together: which
// networks they share and which trust labels they carry.

// Labels that say how much a container is trusted and whose it is; values
// are free text, compared as written.
const (
	LabelTrust  = "dockguard.trust"
	LabelTenant = "dockguard.tenant"
)

// sensitiveTrust are dockguard.trust values that mark a container holding
// sensitive data.
var sensitiveTrust = map[string]bool{"sensitive": true, "high": true, "restricted": true, "confidential": true, "secret": true}

// attachedNetworks returns the project networks a container is on; a
// container with no networks and no network mode is on the default one.
// Host, none and joined namespaces are not project networks.
func attachedNetworks(c *facts.Container) []string {
	if v, ok := c.Namespaces[facts.NSNetwork]; ok && v.State != facts.Unset {
		switch {
		case v.IsUnknown(), v.V == "host", v.V == "none", joinsOther(v.V), isHostMode(v.V):
			return nil
		case v.V != "bridge" && v.V != "default" && len(c.Networks) > 0:
			// A live container is on its network mode's network and
			// every network connected to it since.
			return c.Networks
		case v.V != "bridge" && v.V != "default":
			return []string{v.V}
		}
	}
	if len(c.Networks) == 0 {
		return []string{"default"}
	}
	return c.Networks
}

// internetFacing reports whether a container publishes a port on all
// interfaces.
func internetFacing(c *facts.Container) bool {
	if c.PublishAll.V {
		return true
	}
	for _, p := range c.Published {
		if allInterfaces(p.HostIP) {
			return true
		}
	}
	return false
}

// iccOff reports whether a network stops its containers talking to each
// other (com.docker.network.bridge.enable_icc=false).
func iccOff(p *facts.Project, name string) bool {
	n := p.Networks[name]
	return n != nil && n.ICC.IsSet() && !n.ICC.V
}

// byNetwork groups a project's containers by the networks they share.
func byNetwork(p *facts.Project) (map[string][]*facts.Container, []string) {
	groups := map[string][]*facts.Container{}
	for _, c := range p.Containers {
		for _, n := range attachedNetworks(c) {
			groups[n] = append(groups[n], c)
		}
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return groups, names
}

// trustKey and tenantKey are the label keys the configuration names.
func trustKey(r *Reporter) string {
	if k := r.Config().TrustLabel; k != "" {
		return k
	}
	return LabelTrust
}

func tenantKey(r *Reporter) string {
	if k := r.Config().TenantLabel; k != "" {
		return k
	}
	return LabelTenant
}

func label(c *facts.Container, key string) (facts.Value[string], bool) {
	v, ok := c.Labels[key]
	return v, ok && v.IsSet()
}
