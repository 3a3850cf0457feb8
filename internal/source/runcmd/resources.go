package runcmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/cli/opts"
	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/container"
	api "github.com/moby/moby/api/types/container"
)

// resourceFlags limit what the container may consume: memory, CPU, block
// I/O, processes, open files and the like, and the size of its root.
var resourceFlags = handlers{
	"memory": scalarField(container.FieldMemory, func(b *builder, v string) { b.h.Memory, _ = units.RAMInBytes(v) }),
	"memory-swap": scalarField(container.FieldMemorySwap, func(b *builder, v string) {
		if v == "-1" {
			b.h.MemorySwap = -1
		} else {
			b.h.MemorySwap, _ = units.RAMInBytes(v)
		}
	}),
	"memory-reservation": ifLiteral(func(b *builder, v string) { b.h.MemoryReservation, _ = units.RAMInBytes(v) }),
	"memory-swappiness":  (*builder).swappiness,
	"kernel-memory":      ignored, // deprecated; Docker ignores it
	"shm-size":           ifLiteral(func(b *builder, v string) { b.h.ShmSize, _ = units.RAMInBytes(v) }),
	"oom-kill-disable":   (*builder).oomKillDisable,
	"oom-score-adj":      (*builder).oomScoreAdj,

	"cpu-shares":     scalarField(container.FieldCPUShares, func(b *builder, v string) { b.h.CPUShares = parseInt(v) }),
	"cpus":           scalarField(container.FieldNanoCPUs, func(b *builder, v string) { b.h.NanoCPUs, _ = b.cpus(v) }),
	"cpu-period":     scalarField(container.FieldCPUPeriod, func(b *builder, v string) { b.h.CPUPeriod = parseInt(v) }),
	"cpu-quota":      scalarField(container.FieldCPUQuota, func(b *builder, v string) { b.h.CPUQuota = parseInt(v) }),
	"cpu-rt-period":  ifLiteral(func(b *builder, v string) { b.h.CPURealtimePeriod = parseInt(v) }),
	"cpu-rt-runtime": ifLiteral(func(b *builder, v string) { b.h.CPURealtimeRuntime = parseInt(v) }),
	"cpu-count":      ifLiteral(func(b *builder, v string) { b.h.CPUCount = parseInt(v) }),
	"cpu-percent":    ifLiteral(func(b *builder, v string) { b.h.CPUPercent = parseInt(v) }),
	"cpuset-cpus":    asWritten(func(b *builder, v string) { b.h.CpusetCpus = v }),
	"cpuset-mems":    asWritten(func(b *builder, v string) { b.h.CpusetMems = v }),
	"cgroup-parent":  asWritten(func(b *builder, v string) { b.h.CgroupParent = v }),

	"blkio-weight":        ifLiteral(func(b *builder, v string) { b.h.BlkioWeight = uint16(parseInt(v)) }),
	"blkio-weight-device": dockerChecked(opts.ValidateWeightDevice, nil),
	"device-read-bps":     dockerChecked(opts.ValidateThrottleBpsDevice, nil),
	"device-write-bps":    dockerChecked(opts.ValidateThrottleBpsDevice, nil),
	"device-read-iops":    dockerChecked(opts.ValidateThrottleIOpsDevice, nil),
	"device-write-iops":   dockerChecked(opts.ValidateThrottleIOpsDevice, nil),

	"pids-limit": scalarField(container.FieldPidsLimit, func(b *builder, v string) {
		n := parseInt(v)
		b.h.PidsLimit = &n
	}),
	"ulimit":      (*builder).ulimit,
	"storage-opt": (*builder).storageOpt,
}

func (b *builder) swappiness(t token, v string, lit bool) error {
	if !lit {
		return nil
	}
	n := parseInt(v)
	if n != -1 && (n < 0 || n > 100) {
		return b.errorf(b.at(t), "invalid value: %d. Valid memory swappiness range is 0-100", n)
	}
	b.h.MemorySwappiness = &n
	return nil
}

func (b *builder) oomKillDisable(t token, v string, lit bool) error {
	if lit {
		x := parseBool(v)
		b.h.OomKillDisable = &x
		b.set("HostConfig.OomKillDisable", b.at(t))
	}
	return nil
}

func (b *builder) oomScoreAdj(t token, v string, lit bool) error {
	if !lit {
		return nil
	}
	n := parseInt(v)
	if n < -1000 || n > 1000 {
		return b.errorf(b.at(t), "invalid value %d, range for oom score adj is [-1000, 1000]", n)
	}
	b.h.OomScoreAdj = int(n)
	return nil
}

// storageOpt reads Docker's --storage-opt (size=…); Podman's flag of that
// name is a global one that configures its storage driver, not the
// container.
func (b *builder) storageOpt(t token, v string, lit bool) error {
	if !b.docker() {
		return nil
	}
	k, val, ok := strings.Cut(v, "=")
	if lit && !ok {
		return b.errorf(b.at(t), "invalid storage option")
	}
	if b.h.StorageOpt == nil {
		b.h.StorageOpt = map[string]string{}
	}
	b.h.StorageOpt[k] = val
	return nil
}

// ulimitNames are the resource names Docker accepts (go-units).
var ulimitNames = map[string]bool{
	"core": true, "cpu": true, "data": true, "fsize": true, "locks": true, "memlock": true,
	"msgqueue": true, "nice": true, "nofile": true, "nproc": true, "rss": true, "rtprio": true,
	"rttime": true, "sigpending": true, "stack": true,
}

// ulimit reads name=soft[:hard]. A soft limit above the hard limit is kept,
// not refused: it is what the ulimits rule reports. `cpu` is CPU seconds.
func (b *builder) ulimit(t token, v string, lit bool) error {
	at := b.at(t)
	u, err := parseUlimit(v)
	if err != nil {
		if !lit {
			b.unknown(container.Key(container.FieldUlimits, v), at, why(t, v))
			return nil
		}
		return b.invalid(t, v, err)
	}
	b.first(container.FieldUlimits, at)
	k := len(b.h.Ulimits)
	for i, old := range b.h.Ulimits {
		// One limit per name; the last flag wins, as in the CLI's map.
		if old.Name == u.Name {
			k = i
			break
		}
	}
	if k == len(b.h.Ulimits) {
		b.h.Ulimits = append(b.h.Ulimits, u)
	} else {
		b.h.Ulimits[k] = u
	}
	b.spec.At[container.Item(container.FieldUlimits, k)] = at
	if lit {
		delete(b.spec.Unknown, container.Item(container.FieldUlimits, k))
	} else {
		b.spec.Unknown[container.Item(container.FieldUlimits, k)] = why(t, v)
	}
	return nil
}

func parseUlimit(v string) (*api.Ulimit, error) {
	name, limits, ok := strings.Cut(v, "=")
	if !ok {
		return nil, fmt.Errorf("invalid ulimit argument: %s", v)
	}
	if !ulimitNames[name] {
		return nil, fmt.Errorf("invalid ulimit type: %s", name)
	}
	parts := strings.Split(limits, ":")
	if len(parts) > 2 {
		return nil, fmt.Errorf("too many limit value arguments - %s, can only have up to two, `soft[:hard]`", limits)
	}
	soft, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return nil, err
	}
	hard := soft
	if len(parts) == 2 {
		if hard, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return nil, err
		}
	}
	return &api.Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}
