package enforce

import (
	"context"
	"strconv"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
)

func (j *judgement) service(ctx context.Context, r *Request) {
	var s ServiceBody
	if !j.decode(r, &s) {
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
	c := &apicontainer.Config{Image: cs.Image, User: cs.User, Labels: cs.Labels, Env: cs.Env, Healthcheck: cs.Healthcheck, Entrypoint: cs.Command, Cmd: cs.Args}
	h := &apicontainer.HostConfig{CapAdd: cs.CapabilityAdd, CapDrop: cs.CapabilityDrop, ReadonlyRootfs: cs.ReadOnly, Mounts: cs.Mounts, Init: cs.Init}
	h.Ulimits = append(h.Ulimits, cs.Ulimits...)
	if p := cs.Privileges; p != nil {
		if p.NoNewPrivileges {
			h.SecurityOpt = append(h.SecurityOpt, "no-new-privileges")
		}
		if p.Seccomp != nil && p.Seccomp.Mode == swarm.SeccompModeUnconfined {
			h.SecurityOpt = append(h.SecurityOpt, "seccomp=unconfined")
		}
		if p.AppArmor != nil && p.AppArmor.Mode == swarm.AppArmorModeDisabled {
			h.SecurityOpt = append(h.SecurityOpt, "apparmor=unconfined")
		}
		if p.SELinuxContext != nil && p.SELinuxContext.Disable {
			h.SecurityOpt = append(h.SecurityOpt, "label=disable")
		}
	}
	if res := s.TaskTemplate.Resources; res != nil && res.Limits != nil {
		h.Memory, h.NanoCPUs = res.Limits.MemoryBytes, res.Limits.NanoCPUs
		if res.Limits.Pids > 0 {
			p := res.Limits.Pids
			h.PidsLimit = &p
		}
	}
	if rp := s.TaskTemplate.RestartPolicy; rp != nil {
		switch rp.Condition {
		case swarm.RestartPolicyConditionNone:
			h.RestartPolicy.Name = "no"
		case swarm.RestartPolicyConditionOnFailure:
			h.RestartPolicy.Name = "on-failure"
		default:
			h.RestartPolicy.Name = "always"
		}
		if rp.MaxAttempts != nil && *rp.MaxAttempts > 0 && h.RestartPolicy.Name != "no" {
			h.RestartPolicy.Name = "on-failure"
			h.RestartPolicy.MaximumRetryCount = int(min(*rp.MaxAttempts, 1<<31-1))
		}
	} else {
		h.RestartPolicy.Name = "always" // Swarm's default condition is any
	}
	// Published ports: Swarm publishes on every interface of every node.
	if es := s.EndpointSpec; es != nil {
		for _, p := range es.Ports {
			if p.PublishedPort == 0 {
				continue
			}
			proto := string(p.Protocol)
			if proto == "" {
				proto = "tcp"
			}
			port, err := network.ParsePort(strconv.Itoa(int(p.TargetPort)) + "/" + proto)
			if err != nil {
				j.failClosed("body-undecodable", "EndpointSpec.Ports: %v", err)
				return
			}
			if h.PortBindings == nil {
				h.PortBindings = network.PortMap{}
			}
			h.PortBindings[port] = append(h.PortBindings[port], network.PortBinding{HostPort: strconv.Itoa(int(p.PublishedPort))})
		}
	}
	// Networks by name, full ID or ID prefix may be the host network: the
	// daemon resolves them, and so does dockguard.
	nets := append(append([]swarm.NetworkAttachmentConfig(nil), s.TaskTemplate.Networks...), s.Networks...)
	for _, n := range nets {
		host, why := j.hostNetwork(ctx, n.Target)
		if why != "" {
			j.failClosed("network-unresolved", "service network %q cannot be resolved (%s): a name, ID or ID prefix may name the host network", truncate(n.Target, 60), why)
			continue
		}
		if host {
			h.NetworkMode = "host"
		}
	}
	for i, m := range cs.Mounts {
		j.mount("TaskTemplate.ContainerSpec.Mounts", i, m)
	}
	j.judge(container.Map(&container.Spec{Config: c, HostConfig: h,
		Subject: facts.Subject{Kind: facts.SubjectService, Name: s.Name},
		Origin:  facts.Location{Engine: "api", Object: "service " + s.Name}}))
}
