package enforce

import (
	"context"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
)

func (j *judgement) service(ctx context.Context, t *target, r *Request) {
	var s ServiceBody
	if !j.decode(r, &s) {
		return
	}
	switch rb := t.query.Get("rollback"); rb {
	case "", "none":
	default:
		// The manager ignores the body and restores the previous spec,
		// which may never have been judged (set in audit mode, by an
		// exempt client, before enforcement).
		j.failClosed("service-rollback", "rollback=%s restores the service's previous spec, not the body that is judged; update to that spec instead (docker service update with its settings)", truncate(rb, 20))
		return
	}
	j.subject = "service " + s.Name
	j.deniedFields("Service", &s)
	cs := s.TaskTemplate.ContainerSpec
	if s.TaskTemplate.PluginSpec != nil {
		j.check("service-plugin", "install plugins by hand, reviewed", "TaskTemplate.PluginSpec: a plugin service installs a plugin on every node")
	}
	if cs == nil {
		if s.TaskTemplate.PluginSpec == nil {
			j.failClosed("body-undecodable", "the service has no container spec")
		}
		return
	}
	j.subject += " image " + cs.Image
	ports := []swarm.PortConfig(nil)
	if s.EndpointSpec != nil {
		ports = s.EndpointSpec.Ports
	}
	// Networks by name, full ID or ID prefix may be the host network: the
	// daemon resolves them, and so does dockguard.
	spec := container.ServiceSpec(container.Service{
		Spec:           s.ServiceSpec,
		LegacyNetworks: s.Networks,
		Ports:          ports, PortsField: "EndpointSpec.Ports",
		Network: func(target string) (string, bool) {
			host, why := j.hostNetwork(ctx, target)
			if why != "" {
				j.failClosed("network-unresolved", "service network %q cannot be resolved (%s): a name, ID or ID prefix may name the host network", truncate(target, 60), why)
			}
			return target, host
		},
		Subject: facts.Subject{Kind: facts.SubjectService, Name: s.Name},
		Origin:  facts.Location{Engine: "api", Object: "service " + s.Name},
	})
	for i, m := range cs.Mounts {
		j.mount("TaskTemplate.ContainerSpec.Mounts", i, m)
	}
	// Existing named volumes are judged as the daemon holds them, as for
	// a container.
	j.namedVolumes(ctx, &apicontainer.HostConfig{Mounts: cs.Mounts})
	spec.Enforced = true
	j.judge(container.Map(spec))
}
