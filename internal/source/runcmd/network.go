package runcmd

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/docker/cli/opts"
	"github.com/docker/go-connections/nat"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// networkFlags attach the container to networks, publish and expose its
// ports, and set its name resolution and links.
var networkFlags = handlers{
	"network":     (*builder).network,
	"publish":     (*builder).publish,
	"publish-all": scalarField(container.FieldPublishAllPorts, func(b *builder, v string) { b.h.PublishAllPorts = parseBool(v) }),
	"expose":      (*builder).expose,
	"dns":         dockerChecked(opts.ValidateIPAddress, nil),
	"dns-search":  dockerChecked(opts.ValidateDNSSearch, nil),
	"add-host": dockerChecked(opts.ValidateExtraHost,
		asWritten(func(b *builder, v string) { b.h.ExtraHosts = append(b.h.ExtraHosts, v) })),
	"link": dockerChecked(opts.ValidateLink,
		asWritten(func(b *builder, v string) { b.h.Links = append(b.h.Links, v) })),
	"mac-address": func(b *builder, t token, v string, lit bool) error {
		if lit {
			if _, err := net.ParseMAC(strings.TrimSpace(v)); err != nil {
				return b.errorf(b.at(t), "%s is not a valid mac address", v)
			}
		}
		return nil
	},
}

// maxBindings bounds the port bindings (and, apart, the exposed ports) read
// for one container.
const maxBindings = 1 << 16

// network reads --network: the first one is the network mode (host,
// container:<id>, a network name), the others are joined besides it.
func (b *builder) network(t token, v string, lit bool) error {
	at := b.at(t)
	b.networks++
	target := v
	if lit {
		var n opts.NetworkOpt
		if err := n.Set(v); err != nil {
			return b.invalid(t, v, err)
		}
		if vs := n.Value(); len(vs) > 0 {
			target = vs[0].Target
		}
		if strings.TrimSpace(target) == "" {
			return b.errorf(at, "no name set for network")
		}
	}
	if b.networks == 1 {
		b.scalar(container.FieldNetworkMode, t, target, lit, func() { b.h.NetworkMode = api.NetworkMode(target) })
		return nil
	}
	b.spec.Networks = append(b.spec.Networks, target)
	return nil
}

func (b *builder) expose(t token, v string, lit bool) error {
	at := b.at(t)
	pr, err := network.ParsePortRange(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldExposedPorts, v), at, why(t, v))
			return nil
		}
		return b.errorf(at, "invalid range format for --expose: %v", err)
	}
	n := int(pr.End()) - int(pr.Start()) + 1
	if b.exposed+n > maxBindings {
		b.notes = append(b.notes, facts.Note{At: at, Message: fmt.Sprintf("%s %s: more than %d exposed ports on one container; the rest were not read", t.spelled, v, maxBindings)})
		return nil
	}
	b.exposed += n
	if b.c.ExposedPorts == nil {
		b.c.ExposedPorts = network.PortSet{}
	}
	for p := range pr.All() {
		b.c.ExposedPorts[p] = struct{}{}
	}
	b.first(container.FieldExposedPorts, at)
	return nil
}

// publishSpec turns the long syntax (`published=8080,target=80`) into the
// short one the port parser reads.
func publishSpec(v string) (string, error) {
	if !strings.Contains(v, "=") {
		return v, nil
	}
	params := map[string]string{"protocol": "tcp"}
	for _, p := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("invalid publish opts format (should be name=value but got '%s')", p)
		}
		params[k] = val
	}
	return params["published"] + ":" + params["target"] + "/" + params["protocol"], nil
}

// publish reads [ip:][hostPort:]containerPort[/proto] with port ranges, as
// the CLI does: each container port becomes a binding and an exposed port.
func (b *builder) publish(t token, v string, lit bool) error {
	at := b.at(t)
	bindings, err := parsePublish(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldPortBindings, v), at, why(t, v))
			return nil
		}
		return b.invalid(t, v, err)
	}
	if b.bindings+len(bindings) > maxBindings {
		// Port ranges multiply: bound what one hostile line can allocate.
		b.notes = append(b.notes, facts.Note{At: at, Message: fmt.Sprintf("%s %s: more than %d port bindings on one container; the rest were not read", t.spelled, v, maxBindings)})
		return nil
	}
	b.bindings += len(bindings)
	if b.h.PortBindings == nil {
		b.h.PortBindings = network.PortMap{}
	}
	if b.c.ExposedPorts == nil {
		b.c.ExposedPorts = network.PortSet{}
	}
	b.first(container.FieldPortBindings, at)
	b.first(container.FieldExposedPorts, at)
	for _, pb := range bindings {
		b.h.PortBindings[pb.port] = append(b.h.PortBindings[pb.port], pb.binding)
		b.c.ExposedPorts[pb.port] = struct{}{}
		key := container.Key(container.FieldPortBindings, pb.port.String())
		b.first(key, at)
		if !lit {
			b.spec.Unknown[key] = why(t, v)
		}
	}
	return nil
}

type portBinding struct {
	port    network.Port
	binding network.PortBinding
}

func parsePublish(v string) ([]portBinding, error) {
	spec, err := publishSpec(v)
	if err != nil {
		return nil, err
	}
	mappings, err := nat.ParsePortSpec(spec)
	if err != nil {
		return nil, err
	}
	out := make([]portBinding, 0, len(mappings))
	for _, m := range mappings {
		p, err := network.ParsePort(string(m.Port))
		if err != nil {
			return nil, err
		}
		var ip netip.Addr
		if m.Binding.HostIP != "" {
			if ip, err = netip.ParseAddr(m.Binding.HostIP); err != nil {
				return nil, err
			}
		}
		out = append(out, portBinding{port: p, binding: network.PortBinding{HostIP: ip, HostPort: m.Binding.HostPort}})
	}
	return out, nil
}
