package rules

import (
	"github.com/dockguard/dockguard/internal/facts"
)

// restartLoopCount is the restart count from which a container counts as
// crash-looping.
const restartLoopCount = 5

// restart-loop: a live container is restarting right now, or its restart
// policy has restarted it restartLoopCount or more times (or it died that
// often in the recent events window). Medium while it loops now; low for a
// high count alone, which may be history.
func init() {
	register(&Rule{
		ID:          "DG208",
		Slug:        "restart-loop",
		Control:     "restart-loop",
		Threat:      ThreatDoS,
		Severity:    Medium,
		Title:       "Container restarting over and over",
		Rationale:   "A crash-looping container burns CPU, fills logs and disks, and hammers its dependencies; it is also what an exploit that crashes a service looks like when the restart policy gives it unlimited retries.",
		Remediation: "Read `docker logs <container>` for the crash, fix or stop it, and bound restarts with `--restart on-failure:5`.",
		References:  []string{"CIS Docker Benchmark 5.15"},
		Surfaces:    []Surface{SurfaceLive},
		Container: func(c *facts.Container, r *Reporter) {
			l := c.Live
			if l == nil {
				return
			}
			count := l.RestartCount
			if l.Restarting.IsSet() && l.Restarting.V {
				if count.IsSet() {
					r.Report(c.Subject, l.Restarting.At, "is restarting right now, after %d restarts", count.V)
				} else {
					r.Report(c.Subject, l.Restarting.At, "is restarting right now")
				}
				return
			}
			if d := l.RecentDies; d.IsSet() && d.V >= restartLoopCount {
				r.Report(c.Subject, d.At, "died %d times in the last %s", d.V, windowName(l.EventsWindow))
				return
			}
			if count.IsSet() && count.V >= restartLoopCount {
				r.ReportSeverity(Low, c.Subject, count.At, "has been restarted %d times since it was created", count.V)
			}
		},
	})
}

func windowName(w string) string {
	if w == "" {
		return "events window"
	}
	return w
}
