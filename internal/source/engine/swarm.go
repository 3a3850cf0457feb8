package engine

import (
	"context"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

type swarmService = swarm.Service

// listServices lists the Swarm services of a manager.
func (r *reader) listServices(ctx context.Context) []swarmService {
	res, err := r.cli.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		r.fail("listing Swarm services: %s", describe(err))
		return nil
	}
	return res.Items
}

// serviceObject maps a Swarm service's task template to a container.Spec:
// every task of the service runs with it.
func (r *reader) serviceObject(ctx context.Context, svc swarmService, networkNames map[string]string) *Object {
	if err := r.acquire(ctx); err != nil {
		return nil
	}
	defer r.release()
	name := svc.Spec.Name
	tt := svc.Spec.TaskTemplate
	cs := tt.ContainerSpec
	if cs == nil {
		r.note("Swarm service %s runs no container (a plugin or network attachment); skipped", name)
		return nil
	}
	host := r.snap.Host
	ports, portsField := svc.Endpoint.Ports, "Endpoint.Ports"
	if len(ports) == 0 && svc.Spec.EndpointSpec != nil {
		ports, portsField = svc.Spec.EndpointSpec.Ports, "Spec.EndpointSpec.Ports"
	}
	spec := container.ServiceSpec(container.Service{
		Spec:  svc.Spec,
		Ports: ports, PortsField: portsField,
		Network: func(target string) (string, bool) {
			if v, ok := networkNames[target]; ok {
				target = v
			}
			return target, target == "host"
		},
		Prefix:  "Spec.",
		Subject: facts.Subject{Kind: facts.SubjectService, Name: name, Host: host},
		Origin:  facts.Location{Engine: host, Object: "service " + name},
	})

	// The image's user, when the manager has the image.
	if img, err := r.image(ctx, cs.Image); err == nil && img.Config != nil {
		im := &facts.Container{}
		ref := strings.SplitN(cs.Image, "@", 2)[0]
		if img.Config.User != "" {
			im.User = facts.SetAt(img.Config.User, facts.Location{Engine: host, Object: "image " + ref, Field: "Config.User"})
		} else {
			im.User.Why = "the image's user (" + ref + " sets no USER): root"
		}
		if hcfg := img.Config.Healthcheck; hcfg != nil && len(hcfg.Test) > 0 {
			im.Healthcheck = facts.SetAt(!strings.EqualFold(hcfg.Test[0], "NONE"), facts.Location{Engine: host, Object: "image " + ref, Field: "Config.Healthcheck"})
		}
		spec.Image = im
	}

	c := container.Map(spec)
	// Swarm secrets arrive as files under /run/secrets: the right way.
	c.UsesSecrets = len(cs.Secrets) > 0
	return &Object{ID: svc.ID, Spec: spec, Fact: c}
}
