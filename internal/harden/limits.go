package harden

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/facts"
)

// Limits are the resolved settings harden writes for one container.
type Limits struct {
	// Memory is the memory limit (and swap) in the CLI's notation;
	// MemoryBytes the same in bytes.
	Memory      string
	MemoryBytes int64
	// CPUs is the CPU cap ("1", "0.5").
	CPUs string
	// Pids is the PIDs limit.
	Pids int64
	// NoFile and NProc are ulimits as soft:hard.
	NoFile, NProc string
	// Retries is N of restart on-failure:N.
	Retries int
	// Public keeps published ports on every interface.
	Public bool
	// Tmpfs are the paths the configuration adds under a read-only root.
	Tmpfs []string
	// From says where Memory and Pids came from: "config", "observed",
	// "defaults" (the config's) or "built-in"; Why explains an observed
	// value ("peak 200m x 2").
	MemoryFrom, PidsFrom string
	Why                  []string
}

// LimitsFor resolves the limits of one container: service is the compose
// service or the container name ("" when it has none), image its image
// reference ("" when unknown). Each setting comes from, in order: the
// config entry for the service, the config entry for the image (a tag
// entry before a repository one), the usage observed on a running engine
// (memory and PIDs only), the config's harden defaults, then the built-in
// defaults. maxMemory, maxPids and maxRestartRetries of the rules
// configuration cap what is written.
func (o Options) LimitsFor(service, image string) Limits {
	h := o.Harden
	var layers []config.HardenLimits
	if l, ok := h.Services[service]; ok && service != "" {
		layers = append(layers, l)
	}
	layers = append(layers, imageEntries(h.Images, image)...)

	l := Limits{MemoryFrom: "built-in", PidsFrom: "built-in"}
	mem, _ := units.RAMInBytes(DefaultMemory)
	l.CPUs, l.Pids, l.NoFile, l.NProc, l.Retries = DefaultCPUs, DefaultPids, DefaultNoFile, DefaultNProc+":"+DefaultNProc, DefaultRetries
	if d := h.Defaults; d.Memory > 0 {
		mem, l.MemoryFrom = d.Memory, "defaults"
	}
	if d := h.Defaults; d.Pids > 0 {
		l.Pids, l.PidsFrom = d.Pids, "defaults"
	}
	u, observed := o.Observed.lookup(service, o.Project)
	if observed {
		if m := u.MemoryLimit(o.headroom()); m > 0 {
			mem, l.MemoryFrom = m, "observed"
		}
		if p := u.PidsLimit(o.headroom()); p > 0 {
			l.Pids, l.PidsFrom = p, "observed"
		}
	}
	// The config's own entries win over observed usage; the first layer
	// (service, then image tag, then repository) that sets a key wins.
	for _, c := range layers {
		if c.Memory > 0 {
			mem, l.MemoryFrom = c.Memory, "config"
			break
		}
	}
	for _, c := range layers {
		if c.Pids > 0 {
			l.Pids, l.PidsFrom = c.Pids, "config"
			break
		}
	}
	if l.MemoryFrom == "observed" {
		l.Why = append(l.Why, fmt.Sprintf("memory %s from the observed peak %s x %g", bytesText(mem), units.BytesSize(float64(u.Memory)), o.headroom()))
	}
	if l.PidsFrom == "observed" {
		l.Why = append(l.Why, fmt.Sprintf("pids %d from the observed peak %d x %g", l.Pids, u.Pids, o.headroom()))
	}
	all := append(layers, h.Defaults)
	for i := len(all) - 1; i >= 0; i-- {
		c := all[i]
		if c.CPUs != "" {
			l.CPUs = c.CPUs
		}
		if c.NoFile != "" {
			l.NoFile = c.NoFile
		}
		if c.NProc != "" {
			l.NProc = c.NProc
		}
		if c.RestartRetries > 0 {
			l.Retries = c.RestartRetries
		}
		if c.Public != nil {
			l.Public = *c.Public
		}
	}
	for _, c := range all {
		for _, p := range c.Tmpfs {
			if !contains(l.Tmpfs, p) {
				l.Tmpfs = append(l.Tmpfs, p)
			}
		}
	}
	if o.PublicPorts {
		l.Public = true
	}

	// The audit's thresholds cap what is written.
	rc := o.Config
	if rc.MaxMemory > 0 && mem > rc.MaxMemory {
		mem = rc.MaxMemory
		l.Why = append(l.Why, "memory capped at maxMemory "+bytesText(mem))
	}
	if rc.MaxPids > 0 && l.Pids > rc.MaxPids {
		l.Pids = rc.MaxPids
		l.Why = append(l.Why, "pids capped at maxPids "+strconv.FormatInt(l.Pids, 10))
	}
	if rc.MaxRestartRetries > 0 && l.Retries > rc.MaxRestartRetries {
		l.Retries = rc.MaxRestartRetries
	}
	l.MemoryBytes, l.Memory = mem, bytesText(mem)
	return l
}

func (o Options) headroom() float64 {
	if o.Headroom > 0 {
		return o.Headroom
	}
	return DefaultHeadroom
}

// NoFileLimits and NProcLimits are the ulimits as soft and hard numbers.
func (l Limits) NoFileLimits() (soft, hard int64) { return ulimitPair(l.NoFile) }

// NProcLimits is NProc as numbers.
func (l Limits) NProcLimits() (soft, hard int64) { return ulimitPair(l.NProc) }

func ulimitPair(v string) (int64, int64) {
	s, h, two := strings.Cut(v, ":")
	soft, _ := strconv.ParseInt(s, 10, 64)
	if !two {
		return soft, soft
	}
	hard, _ := strconv.ParseInt(h, 10, 64)
	return soft, hard
}

// ulimitText is a soft:hard ulimit as docker run writes it (one number
// when both are equal).
func ulimitText(v string) string {
	if s, h, ok := strings.Cut(v, ":"); ok && s == h {
		return s
	}
	return v
}

// imageEntries are the config entries for an image, the most specific
// first: the reference as written, then its repository.
func imageEntries(images map[string]config.HardenLimits, image string) []config.HardenLimits {
	if image == "" || len(images) == 0 {
		return nil
	}
	var out []config.HardenLimits
	repo, tag := splitImage(image)
	seen := map[string]bool{}
	for k, l := range images {
		kr, kt := splitImage(k)
		if kr == repo && kt != "" && kt == tag {
			out = append(out, l)
			seen[k] = true
		}
	}
	for k, l := range images {
		kr, kt := splitImage(k)
		if !seen[k] && kr == repo && kt == "" {
			out = append(out, l)
		}
	}
	return out
}

// splitImage returns an image reference's repository, in its short form
// (docker.io/library/ removed), and its tag ("" when none). The parsing is
// facts.ParseImageRef's, so that a table entry matches the image the
// audit reported on.
func splitImage(ref string) (repo, tag string) {
	r := facts.ParseImageRef(ref)
	return r.Familiar(), r.Tag
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
