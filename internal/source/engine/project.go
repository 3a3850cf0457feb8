package engine

import (
	"strconv"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/client"
)

// iccOption is the bridge driver option that turns inter-container
// communication on a network off.
const iccOption = "com.docker.network.bridge.enable_icc"

// project gathers an engine's containers and services with its networks,
// for the rules that judge containers side by side: one host is one
// project.
func (r *reader) project(nets client.NetworkListResult) *facts.Project {
	s := r.snap
	p := &facts.Project{
		Name:     s.Host,
		Origin:   facts.Location{Engine: s.Host, Object: "engine"},
		Networks: map[string]*facts.Network{},
	}
	for _, n := range nets.Items {
		obj := "network " + n.Name
		fn := &facts.Network{
			Name:     n.Name,
			At:       facts.Location{Engine: s.Host, Object: obj},
			Internal: n.Internal,
			Driver:   n.Driver,
		}
		if v, ok := n.Options[iccOption]; ok {
			if b, err := strconv.ParseBool(v); err == nil {
				fn.ICC = facts.SetAt(b, facts.Location{Engine: s.Host, Object: obj, Field: "Options[" + iccOption + "]"})
			}
		}
		p.Networks[n.Name] = fn
	}
	for _, o := range s.Containers {
		p.Containers = append(p.Containers, o.Fact)
	}
	for _, o := range s.Services {
		p.Containers = append(p.Containers, o.Fact)
	}
	return p
}
