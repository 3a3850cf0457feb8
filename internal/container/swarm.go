package container

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dockguard/dockguard/internal/facts"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
)

// Service is a Swarm service as the container mapper reads it: an
// inspected service (the live audit) or a create or update request
// (enforcement) go through the same function, so they cannot disagree.
type Service struct {
	Spec swarm.ServiceSpec
	// LegacyNetworks is the deprecated service-level Networks list (API
	// before 1.44), which dockerd 20.10 still attaches tasks to.
	LegacyNetworks []swarm.NetworkAttachmentConfig
	// Ports are the published ports: as the manager assigned them when
	// known, else as the spec asks; PortsField names where they are.
	Ports      []swarm.PortConfig
	PortsField string
	// Network resolves a network target (name, ID or ID prefix) to its
	// name and whether it is the host network; nil keeps the target.
	Network func(target string) (name string, host bool)
	// Prefix starts every field path: "Spec." for an inspected service,
	// "" for a request body.
	Prefix  string
	Subject facts.Subject
	Origin  facts.Location
}

// ServiceSpec maps a Swarm service's task template to a container spec:
// every task of the service runs with it. It returns nil for a service
// that runs no container (a plugin or a network attachment).
func ServiceSpec(s Service) *Spec {
	tt := s.Spec.TaskTemplate
	cs := tt.ContainerSpec
	if cs == nil {
		return nil
	}
	spec := &Spec{
		Config:     &apicontainer.Config{},
		HostConfig: &apicontainer.HostConfig{},
		Subject:    s.Subject,
		Origin:     s.Origin,
		At:         map[string]facts.Location{},
	}
	task := s.Prefix + "TaskTemplate."
	cf := task + "ContainerSpec."
	at := func(field string) facts.Location {
		l := s.Origin
		l.Field = field
		return l
	}
	mark := func(field, apiField string) { spec.At[field] = at(apiField) }
	items := func(field, apiField string, n int) {
		if n == 0 {
			return
		}
		mark(field, apiField)
		for i := 0; i < n; i++ {
			mark(Item(field, i), fmt.Sprintf("%s[%d]", apiField, i))
		}
	}
	cfg, hc := spec.Config, spec.HostConfig

	cfg.Image = cs.Image
	mark(FieldImage, cf+"Image")
	if cs.User != "" {
		cfg.User = cs.User
		mark(FieldUser, cf+"User")
	}
	cfg.Env = cs.Env
	for i := range cs.Env {
		mark(Item(FieldEnv, i), fmt.Sprintf("%sEnv[%d]", cf, i))
	}
	cfg.Labels = cs.Labels
	for k := range cs.Labels {
		mark(Key(FieldLabels, k), cf+"Labels["+k+"]")
	}
	if len(cs.Command) > 0 {
		cfg.Entrypoint = cs.Command
		mark(FieldEntrypoint, cf+"Command")
	}
	if len(cs.Args) > 0 {
		cfg.Cmd = cs.Args
		mark(FieldCmd, cf+"Args")
	}
	if cs.Healthcheck != nil && len(cs.Healthcheck.Test) > 0 {
		cfg.Healthcheck = cs.Healthcheck
		mark(FieldHealthcheck, cf+"Healthcheck")
	}
	if cs.ReadOnly {
		hc.ReadonlyRootfs = true
		mark(FieldReadonlyRootfs, cf+"ReadOnly")
	}
	hc.Init = cs.Init
	hc.CapAdd, hc.CapDrop = cs.CapabilityAdd, cs.CapabilityDrop
	items(FieldCapAdd, cf+"CapabilityAdd", len(cs.CapabilityAdd))
	items(FieldCapDrop, cf+"CapabilityDrop", len(cs.CapabilityDrop))
	if p := cs.Privileges; p != nil {
		add := func(opt, field string) {
			mark(Item(FieldSecurityOpt, len(hc.SecurityOpt)), cf+"Privileges."+field)
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
	for k, v := range cs.Sysctls {
		if hc.Sysctls == nil {
			hc.Sysctls = map[string]string{}
		}
		hc.Sysctls[k] = v
		mark(Key(FieldSysctls, k), cf+"Sysctls["+k+"]")
	}
	for i, u := range cs.Ulimits {
		hc.Ulimits = append(hc.Ulimits, u)
		mark(Item(FieldUlimits, i), fmt.Sprintf("%sUlimits[%d]", cf, i))
	}
	hc.Mounts = cs.Mounts
	items(FieldMounts, cf+"Mounts", len(cs.Mounts))

	if res := tt.Resources; res != nil && res.Limits != nil {
		l := res.Limits
		if l.MemoryBytes > 0 {
			hc.Memory = l.MemoryBytes
			mark(FieldMemory, task+"Resources.Limits.MemoryBytes")
		}
		if l.NanoCPUs > 0 {
			hc.NanoCPUs = l.NanoCPUs
			mark(FieldNanoCPUs, task+"Resources.Limits.NanoCPUs")
		}
		if l.Pids > 0 {
			pids := l.Pids
			hc.PidsLimit = &pids
			mark(FieldPidsLimit, task+"Resources.Limits.Pids")
		}
	}
	hc.RestartPolicy = serviceRestart(tt.RestartPolicy)
	mark(FieldRestartPolicy, task+"RestartPolicy")

	nets := func(list []swarm.NetworkAttachmentConfig, field string) {
		for i, n := range list {
			name, host := n.Target, n.Target == "host"
			if s.Network != nil {
				name, host = s.Network(n.Target)
			}
			if host {
				hc.NetworkMode = "host"
				mark(FieldNetworkMode, fmt.Sprintf("%s[%d]", field, i))
				continue
			}
			spec.Networks = append(spec.Networks, name)
		}
	}
	nets(tt.Networks, task+"Networks")
	nets(s.LegacyNetworks, s.Prefix+"Networks")
	if len(spec.Networks) == 0 && hc.NetworkMode == "" {
		// A service on no network shares none with other services (the
		// routing mesh only carries its published ports).
		hc.NetworkMode = "none"
	}
	// Published ports: an ingress port is published on every interface
	// of every node.
	for i, p := range s.Ports {
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
		mark(Key(FieldPortBindings, port.String()), fmt.Sprintf("%s[%d]", s.PortsField, i))
	}
	return spec
}

// serviceRestart is the restart policy of a task template: Swarm restarts
// a task on any exit, without end, unless told otherwise, so that is the
// policy even when none is written; a MaxAttempts bounds the restarts
// whatever the condition, as on-failure:N does.
func serviceRestart(p *swarm.RestartPolicy) apicontainer.RestartPolicy {
	rp := apicontainer.RestartPolicy{Name: "always"}
	if p == nil {
		return rp
	}
	switch p.Condition {
	case swarm.RestartPolicyConditionNone:
		return apicontainer.RestartPolicy{Name: "no"}
	case swarm.RestartPolicyConditionOnFailure:
		rp.Name = "on-failure"
	}
	if p.MaxAttempts != nil && *p.MaxAttempts > 0 {
		rp.Name = "on-failure"
		rp.MaximumRetryCount = int(min(*p.MaxAttempts, math.MaxInt32))
	}
	return rp
}
