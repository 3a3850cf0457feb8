package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
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

// Task template fields, for locations.
const (
	taskField      = "Spec.TaskTemplate."
	containerField = taskField + "ContainerSpec."
)

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
	obj := "service " + name
	spec := &container.Spec{
		Config:     &apicontainer.Config{},
		HostConfig: &apicontainer.HostConfig{},
		Subject:    facts.Subject{Kind: facts.SubjectService, Name: name, Host: host},
		Origin:     facts.Location{Engine: host, Object: obj},
		At:         map[string]facts.Location{},
	}
	at := func(field string) facts.Location { return facts.Location{Engine: host, Object: obj, Field: field} }
	mark := func(field, apiField string) { spec.At[field] = at(apiField) }
	cfg, hc := spec.Config, spec.HostConfig

	cfg.Image = cs.Image
	mark(container.FieldImage, containerField+"Image")
	if cs.User != "" {
		cfg.User = cs.User
		mark(container.FieldUser, containerField+"User")
	}
	cfg.Env = cs.Env
	for i := range cs.Env {
		mark(container.Item(container.FieldEnv, i), fmt.Sprintf("%sEnv[%d]", containerField, i))
	}
	cfg.Labels = cs.Labels
	for k := range cs.Labels {
		mark(container.Key(container.FieldLabels, k), containerField+"Labels["+k+"]")
	}
	if len(cs.Command) > 0 {
		cfg.Entrypoint = cs.Command
		mark(container.FieldEntrypoint, containerField+"Command")
	}
	if len(cs.Args) > 0 {
		cfg.Cmd = cs.Args
		mark(container.FieldCmd, containerField+"Args")
	}
	if cs.Healthcheck != nil && len(cs.Healthcheck.Test) > 0 {
		cfg.Healthcheck = cs.Healthcheck
		mark(container.FieldHealthcheck, containerField+"Healthcheck")
	}
	if cs.ReadOnly {
		hc.ReadonlyRootfs = true
		mark(container.FieldReadonlyRootfs, containerField+"ReadOnly")
	}
	hc.CapAdd, hc.CapDrop = cs.CapabilityAdd, cs.CapabilityDrop
	markItems(spec, container.FieldCapAdd, containerField+"CapabilityAdd", len(cs.CapabilityAdd))
	markItems(spec, container.FieldCapDrop, containerField+"CapabilityDrop", len(cs.CapabilityDrop))
	if p := cs.Privileges; p != nil {
		add := func(opt, field string) {
			mark(container.Item(container.FieldSecurityOpt, len(hc.SecurityOpt)), containerField+"Privileges."+field)
			hc.SecurityOpt = append(hc.SecurityOpt, opt)
		}
		if p.Seccomp != nil && p.Seccomp.Mode == swarm.SeccompModeUnconfined {
			add("seccomp=unconfined", "Seccomp")
		}
		if p.AppArmor != nil && p.AppArmor.Mode == swarm.AppArmorModeDisabled {
			add("apparmor=unconfined", "AppArmor")
		}
		if p.SELinuxContext != nil && p.SELinuxContext.Disable {
			add("label=disable", "SELinuxContext")
		}
		if p.NoNewPrivileges {
			add("no-new-privileges=true", "NoNewPrivileges")
		}
	}
	for i, u := range cs.Ulimits {
		hc.Ulimits = append(hc.Ulimits, u)
		mark(container.Item(container.FieldUlimits, i), fmt.Sprintf("%sUlimits[%d]", containerField, i))
	}
	hc.Mounts = cs.Mounts
	markItems(spec, container.FieldMounts, containerField+"Mounts", len(cs.Mounts))

	if res := tt.Resources; res != nil && res.Limits != nil {
		l := res.Limits
		if l.MemoryBytes > 0 {
			hc.Memory = l.MemoryBytes
			mark(container.FieldMemory, taskField+"Resources.Limits.MemoryBytes")
		}
		if l.NanoCPUs > 0 {
			hc.NanoCPUs = l.NanoCPUs
			mark(container.FieldNanoCPUs, taskField+"Resources.Limits.NanoCPUs")
		}
		if l.Pids > 0 {
			pids := l.Pids
			hc.PidsLimit = &pids
			mark(container.FieldPidsLimit, taskField+"Resources.Limits.Pids")
		}
	}
	// Swarm restarts a task on any exit, without end, unless told
	// otherwise: that is the policy even when none is written.
	rp := apicontainer.RestartPolicy{Name: "always"}
	if p := tt.RestartPolicy; p != nil {
		switch p.Condition {
		case swarm.RestartPolicyConditionNone:
			rp.Name = "no"
		case swarm.RestartPolicyConditionOnFailure:
			rp.Name = "on-failure"
		}
		if p.MaxAttempts != nil {
			rp.MaximumRetryCount = int(*p.MaxAttempts)
		}
	}
	hc.RestartPolicy = rp
	mark(container.FieldRestartPolicy, taskField+"RestartPolicy")

	for i, n := range tt.Networks {
		nm := n.Target
		if v, ok := networkNames[nm]; ok {
			nm = v
		}
		if nm == "host" {
			hc.NetworkMode = "host"
			mark(container.FieldNetworkMode, fmt.Sprintf("%sNetworks[%d]", taskField, i))
			continue
		}
		spec.Networks = append(spec.Networks, nm)
	}
	if len(spec.Networks) == 0 && hc.NetworkMode == "" {
		// A service on no network shares none with other services (the
		// routing mesh only carries its published ports).
		hc.NetworkMode = "none"
	}
	// Published ports as the manager assigned them (an ingress port is
	// published on every interface of every node).
	ports := svc.Endpoint.Ports
	if len(ports) == 0 && svc.Spec.EndpointSpec != nil {
		ports = svc.Spec.EndpointSpec.Ports
	}
	for i, p := range ports {
		if p.PublishedPort == 0 {
			continue
		}
		proto := p.Protocol
		if proto == "" {
			proto = network.TCP
		}
		port, err := network.ParsePort(strconv.FormatUint(uint64(p.TargetPort), 10) + "/" + string(proto))
		if err != nil {
			continue
		}
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		hc.PortBindings[port] = append(hc.PortBindings[port], network.PortBinding{HostPort: strconv.FormatUint(uint64(p.PublishedPort), 10)})
		mark(container.Key(container.FieldPortBindings, port.String()), fmt.Sprintf("Endpoint.Ports[%d]", i))
	}

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

func markItems(spec *container.Spec, field, apiField string, n int) {
	if n == 0 {
		return
	}
	loc := spec.Origin
	loc.Field = apiField
	spec.At[field] = loc
	for i := 0; i < n; i++ {
		l := loc
		l.Field = fmt.Sprintf("%s[%d]", apiField, i)
		spec.At[container.Item(field, i)] = l
	}
}
