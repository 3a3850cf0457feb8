package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// publish-all: -P / --publish-all publishes every exposed port of the image
// on random host ports on all interfaces, including ports nobody meant to
// open (debug, admin, SSH).
func init() {
	register(&Rule{
		ID:          "DG403",
		Slug:        "publish-all",
		Control:     "published-ports",
		Threat:      ThreatFSNetwork,
		Severity:    Medium,
		Title:       "All exposed ports published",
		Rationale:   "-P publishes whatever the image exposes, on all interfaces, so an image update can open a new port on the host without anyone noticing.",
		Remediation: "Publish the ports you need explicitly: `-p 127.0.0.1:8080:8080`.",
		References:  []string{"CIS Docker Benchmark 5.9"},
		Surfaces:    []Surface{SurfaceRun, SurfaceLive, SurfaceAPI},
		// Compose has no publish-all setting: only run lines can ask for it.
		Container: func(c *facts.Container, r *Reporter) {
			if c.PublishAll.IsSet() && c.PublishAll.V {
				r.Report(c.Subject, c.PublishAll.At, "publishes every exposed port on all interfaces (-P)")
			}
		},
	})
}
