package runcmd

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/docker/cli/opts"
	"github.com/dockguard/dockguard/internal/container"
	api "github.com/moby/moby/api/types/container"
)

// deviceFlags give the container host devices, device cgroup rules and
// GPUs.
var deviceFlags = handlers{
	"device":             (*builder).device,
	"device-cgroup-rule": (*builder).deviceCgroupRule,
	"gpus":               (*builder).gpus,
}

var deviceCgroupRule = regexp.MustCompile(`^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$`)

func (b *builder) deviceCgroupRule(t token, v string, lit bool) error {
	if lit && !deviceCgroupRule.MatchString(v) {
		return b.invalid(t, v, fmt.Errorf("invalid device cgroup format '%s'", v))
	}
	b.listItem(container.FieldDeviceCgroupRules, &b.h.DeviceCgroupRules, t, v, lit)
	return nil
}

func (b *builder) gpus(t token, v string, lit bool) error {
	if !lit {
		return nil
	}
	var g opts.GpuOpts
	if err := g.Set(v); err != nil {
		return b.invalid(t, v, err)
	}
	b.h.DeviceRequests = append(b.h.DeviceRequests, g.Value()...)
	return nil
}

// cdiName reports whether a --device value names a CDI device
// (vendor.com/class=name) rather than a device path.
func cdiName(v string) bool {
	kind, name, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.HasPrefix(kind, "/") {
		return false
	}
	vendor, class, ok := strings.Cut(kind, "/")
	return ok && vendor != "" && class != "" && !strings.Contains(name, ":")
}

func validDeviceMode(mode string) bool {
	if mode == "" {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if (c != 'r' && c != 'w' && c != 'm') || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// parseDevice reads host[:container][:permissions] as the CLI does for a
// Linux daemon.
func parseDevice(v string) (api.DeviceMapping, error) {
	if strings.Count(v, ":") > 2 {
		return api.DeviceMapping{}, fmt.Errorf("bad format for path: %s", v)
	}
	parts := strings.Split(v, ":")
	if parts[0] == "" {
		return api.DeviceMapping{}, fmt.Errorf("bad format for path: %s", v)
	}
	d := api.DeviceMapping{PathOnHost: parts[0], CgroupPermissions: "rwm"}
	switch len(parts) {
	case 2:
		if validDeviceMode(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 3:
		if !validDeviceMode(parts[2]) {
			return api.DeviceMapping{}, fmt.Errorf("bad mode specified: %s", parts[2])
		}
		d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
	}
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	if !strings.HasPrefix(d.PathInContainer, "/") {
		return api.DeviceMapping{}, fmt.Errorf("%s is not an absolute path", d.PathInContainer)
	}
	d.PathInContainer = filepath.Clean(d.PathInContainer)
	return d, nil
}

func (b *builder) device(t token, v string, lit bool) error {
	at := b.at(t)
	if cdiName(v) {
		b.h.DeviceRequests = append(b.h.DeviceRequests, api.DeviceRequest{Driver: "cdi", DeviceIDs: []string{v}})
		return nil
	}
	d, err := parseDevice(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldDevices, v), at, why(t, v))
			return nil
		}
		return b.invalid(t, v, err)
	}
	k := len(b.h.Devices)
	b.h.Devices = append(b.h.Devices, d)
	b.first(container.FieldDevices, at)
	b.spec.At[container.Item(container.FieldDevices, k)] = at
	if !lit {
		b.spec.Unknown[container.Item(container.FieldDevices, k)] = why(t, v)
	}
	return nil
}
