package rules

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// This file holds what several container rules need to read settings the
// same way.

// hasCap reports whether a normalized capability list holds name or ALL.
func hasCap(v facts.Value[[]string], name string) bool {
	for _, c := range v.V {
		if c == name || c == "ALL" {
			return true
		}
	}
	return false
}

// dropsAll reports whether capabilities are dropped as a whole.
func dropsAll(c *facts.Container) bool {
	for _, d := range c.CapDrop.V {
		if d == "ALL" {
			return true
		}
	}
	return false
}

// missingAt is where a finding about a missing setting points: the
// container's declaration.
func missingAt(c *facts.Container) facts.Location { return c.Origin }

// allInterfaces reports whether a host IP publishes on every interface.
func allInterfaces(ip string) bool {
	switch strings.Trim(ip, "[]") {
	case "", "0.0.0.0", "::":
		return true
	}
	return false
}

// isHostMode reports a namespace mode that shares the host's namespace or
// joins one by path (which may be the host's).
func isHostMode(mode string) bool {
	return mode == "host" || strings.HasPrefix(mode, "ns:")
}

// joinsOther reports a mode that joins another container's namespace.
func joinsOther(mode string) bool {
	return strings.HasPrefix(mode, "container:") || strings.HasPrefix(mode, "service:")
}

// restartsForever reports whether a policy restarts without end.
func restartsForever(p facts.RestartPolicy) bool {
	switch p.Name {
	case "always", "unless-stopped", "on-failure":
		// A retry count bounds on-failure. Beside always it comes from
		// compose's deploy.restart_policy (condition any, max_attempts):
		// Swarm stops after that many attempts, and the Engine refuses it.
		return p.MaxRetry <= 0
	}
	return false
}

// describeEngine names the engine for messages about defaults.
func describeEngine(c *facts.Container) string {
	if c.Engine == "podman" {
		return "Podman"
	}
	return "Docker"
}

// bytes renders a byte count the way Docker's flags are written.
func bytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dg", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10)
	}
	return fmt.Sprintf("%d", n)
}

func portRange(lo, hi int) string {
	if hi > lo {
		return fmt.Sprintf("%d-%d", lo, hi)
	}
	return fmt.Sprintf("%d", lo)
}

// pulledImage is the image a container pulls, when it is known and not
// built locally (a compose service with build: names its own result).
func pulledImage(c *facts.Container) (facts.ImageRef, bool) {
	if !c.Image.IsSet() || c.BuiltFrom != "" || c.Image.V == "" {
		return facts.ImageRef{}, false
	}
	ref := facts.ParseImageRef(c.Image.V)
	return ref, !ref.Scratch
}
