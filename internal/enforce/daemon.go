package enforce

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dockguard/dockguard/internal/cves"
	"github.com/moby/moby/client"
)

// Daemon versions: at start the plugin and the proxy ask the daemon its
// version and warn (log and metric) when it is in the range of a known
// Docker Engine authorization bypass. The table below is the enforcement
// view of these CVEs: what each allows against an authorization plugin and
// what dockguard does about it. The audit's view (rule DG104) is
// internal/cves/data/cves.json; TestBypassesAgreeWithCVETable keeps the
// two in step, and says where they differ on purpose.

// Advisory is a Docker Engine vulnerability that weakens authorization:
// what an API client gets on an affected daemon, where it is fixed, and
// what dockguard does about it.
type Advisory struct {
	CVE  string
	GHSA string
	// Allows is what an API client gets on an affected daemon.
	Allows string
	// Fixed names the releases that carry the fix, and the release lines
	// that have none.
	Fixed string
	// Dockguard is what dockguard does about it.
	Dockguard string
	// Affected are the affected versions, each range from From
	// (inclusive; "" is no lower bound) to To (exclusive).
	Affected []VersionRange
}

// VersionRange is [From, To) in Docker Engine versions.
type VersionRange struct{ From, To string }

// knownBypasses are the authorization bypasses of
// ../shared/research/enforcement.md section 2, with the advisories they
// come from.
var knownBypasses = []Advisory{
	{
		// https://github.com/moby/moby/security/advisories/GHSA-v23v-6jw2-98fq
		// (CVSS 10.0, "Authz zero length regression"): the daemon forwarded
		// requests with a chunked or zero Content-Length body to plugins
		// without the body. First fixed in 18.09.1 (January 2019), the fix
		// was not carried into 19.03 and later; re-fixed by commits
		// 2ac8a479c5 and 5282cb25d0, merged into every branch from 19.03 to
		// 27.0 on 2024-07-23, but only v23.0.15, v25.0.6, v26.1.5 and
		// v27.1.1 were tagged with it (26.1.5, not 26.1.4 as the advisory
		// first said: moby/moby#48269). Releases before 18.09.1 had the
		// same flaw before its first fix. Distributions backported the fix
		// under old version numbers: Debian's docker.io
		// 20.10.24+dfsg1-1+deb12u1 carries it (its changelog names the
		// CVE), and reports itself as 20.10.24+dfsg1, so on a distribution
		// build the warning may be a false alarm.
		CVE:       "CVE-2024-41110",
		GHSA:      "GHSA-v23v-6jw2-98fq",
		Allows:    "a request whose body is chunked or declared empty reaches authorization plugins without its body, so a plugin that judges bodies allows it",
		Fixed:     "23.0.15, 25.0.6, 26.1.5, 27.1.1 and later (no 19.03, 20.10, 24.0, 26.0 or 27.0 release carries the fix)",
		Dockguard: "the plugin denies create, update, exec, volume and service requests whose body it was not given (empty, or shorter than its Content-Length); the proxy judges the bytes it forwards and is not affected",
		Affected: []VersionRange{
			{"", "18.09.1"}, {"19.03.0", "23.0.15"}, {"24.0.0", "25.0.6"},
			{"26.0.0", "26.1.5"}, {"27.0.0", "27.1.1"},
		},
	},
	{
		// https://github.com/moby/moby/security/advisories/GHSA-x744-4wpc-v9h2
		// (CVSS 8.8), an incomplete fix of CVE-2024-41110: a body of 1 MiB
		// or more was forwarded to plugins empty (drainBody, "skipping
		// body") while the daemon acted on all of it. Fixed by rejecting
		// bodies over 4 MiB (commits 7a767b27fd and ec76e94183, merge
		// e89edb19ad, 2026-03-25). The advisory and NVD name 29.3.1 only;
		// moby's v25.0.16 tag contains the fix (d2dbc05472), which no
		// advisory states (the audit's table, more conservative, does not
		// count it); a 28.x merge (31a1689cb0) exists but no 28.x release
		// carries it. Releases before that drainBody code (2019) compared
		// Content-Length with the same limit and forwarded no body above
		// it (research section 1.3), so no lower bound is given.
		CVE:       "CVE-2026-34040",
		GHSA:      "GHSA-x744-4wpc-v9h2",
		Allows:    "a request body of 1 MiB or more reaches authorization plugins empty while the daemon acts on all of it (incomplete fix of CVE-2024-41110)",
		Fixed:     "29.3.1 and later, and 25.0.16 on the 25.0 line (moby tag; the advisory names 29.3.1 only); no 28.x release carries the fix",
		Dockguard: "the plugin denies requests whose body the daemon does not forward (a route that needs a body given none, or a body shorter than its Content-Length); the proxy judges the bytes it forwards and is not affected",
		Affected:  []VersionRange{{"", "25.0.16"}, {"26.0.0", "29.3.1"}},
	},
	{
		// https://github.com/moby/moby/security/advisories/GHSA-pxq6-2prw-chj9
		// (CVSS 6.8, golang/vulndb#4883): an off-by-one in the daemon's
		// privilege comparison during docker plugin install accepts a set
		// of privileges other than the one the user approved; a plugin
		// asking for exactly one privilege is not compared at all. Fix
		// f4d6f25bf0, released in docker-v29.3.1; the advisory states no
		// first affected version and names no backport.
		CVE:       "CVE-2026-33997",
		GHSA:      "GHSA-pxq6-2prw-chj9",
		Allows:    "docker plugin install can grant a plugin privileges other than those the user approved (off-by-one in the daemon's privilege comparison)",
		Fixed:     "29.3.1 and later",
		Dockguard: "denies plugin install, upgrade, set, enable, disable and remove unless enforce.allowPlugins is set (in enforce mode)",
		Affected:  []VersionRange{{"", "29.3.1"}},
	},
	{
		// archiveCVE: https://github.com/moby/moby/security/advisories/GHSA-x86f-5xw2-fm2r
		// (golang/vulndb#5746): PUT /containers/{id}/archive (docker cp
		// into a container) with a compressed archive runs the decompressor
		// (xz, unpigz) found in the container's filesystem as root on the
		// host. Not a bypass of authorization plugins but of what they can
		// guard: the archive is a tar, invisible to them, and the
		// advisory's workaround is an authorization plugin that denies the
		// route. Fixed in 29.5.1; a 25.0 backport was merged
		// (moby/moby#52647) but no release carrying it could be sourced,
		// and the first affected version is not stated.
		CVE:       "CVE-2026-41567",
		GHSA:      "GHSA-x86f-5xw2-fm2r",
		Allows:    "PUT /containers/{id}/archive (docker cp into a container) with a compressed archive runs the decompressor found in the container's filesystem as root on the host",
		Fixed:     "29.5.1 and later (a 25.0 backport was merged, moby/moby#52647, but no release carrying it is known)",
		Dockguard: "denies PUT /containers/{id}/archive on a daemon in this range (or whose version cannot be asked) unless enforce.allowArchiveWrites is set (in enforce mode): the archive is not JSON, so the route and the daemon's version are all that can be judged",
		Affected:  []VersionRange{{"", "29.5.1"}},
	},
}

// archiveCVE is the advisory that decides docker cp into a container
// (archive-write).
const archiveCVE = "CVE-2026-41567"

// KnownBypasses returns the advisories whose affected range contains a
// daemon version ("20.10.24+dfsg1", "29.3.1", "v27.1.1", "25.0.6-ce"),
// or none when the version cannot be read. Distribution suffixes are not
// compared: a distribution build may carry fixes under its old number.
func KnownBypasses(version string) []Advisory {
	v, ok := cves.Parse(version)
	if !ok {
		return nil
	}
	var out []Advisory
	for _, a := range knownBypasses {
		if a.affects(v) {
			out = append(out, a)
		}
	}
	return out
}

func (a *Advisory) affects(v cves.Version) bool {
	for _, r := range a.Affected {
		if (r.From == "" || cves.Compare(v, cves.MustParse(r.From)) >= 0) && cves.Compare(v, cves.MustParse(r.To)) < 0 {
			return true
		}
	}
	return false
}

// DaemonRetryFor is how long the check keeps asking a daemon that does
// not answer: an authorization plugin starts before dockerd.
const DaemonRetryFor = 2 * time.Minute

// DaemonCheck asks the daemon its version once it answers, logs it, warns
// of the known bypasses its version is in the range of, and sets the
// daemon gauges. It never fails the caller: run it in the background.
type DaemonCheck struct {
	Client *client.Client
	Log    *slog.Logger
	// Metrics, when set, get the daemon gauges.
	Metrics *Metrics
	// RetryFor bounds the retries while the daemon does not answer
	// (default DaemonRetryFor); Backoff is the first wait between
	// attempts (default 1 s), doubled up to 15 s.
	RetryFor time.Duration
	Backoff  time.Duration
}

// CheckDaemon runs a DaemonCheck with the default retries.
func CheckDaemon(ctx context.Context, c *client.Client, log *slog.Logger, m *Metrics) ([]Advisory, error) {
	return (&DaemonCheck{Client: c, Log: log, Metrics: m}).Run(ctx)
}

// daemonAskTimeout bounds one attempt: a daemon that accepts connections
// before it serves (it is starting) is asked again.
const daemonAskTimeout = 10 * time.Second

// Run asks until the daemon answers, RetryFor has passed or ctx is done,
// and returns the advisories reported.
func (c *DaemonCheck) Run(ctx context.Context) ([]Advisory, error) {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retryFor, wait := c.RetryFor, c.Backoff
	if retryFor <= 0 {
		retryFor = DaemonRetryFor
	}
	if wait <= 0 {
		wait = time.Second
	}
	deadline := time.Now().Add(retryFor)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, daemonAskTimeout)
		v, err := c.Client.ServerVersion(actx, client.ServerVersionOptions{})
		cancel()
		if err == nil {
			return c.report(log, v), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt == 1 {
			log.Info("daemon not answering yet: its version will be asked again", "engine", c.Client.DaemonHost(), "for", retryFor.String(), "error", err.Error())
		}
		if time.Now().Add(wait).After(deadline) {
			log.Warn("daemon version unknown: it was not checked against known authorization bypasses", "engine", c.Client.DaemonHost(), "attempts", attempt, "error", err.Error())
			return nil, fmt.Errorf("daemon %s did not answer within %v: %w", c.Client.DaemonHost(), retryFor, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// report logs the version and the advisories, and sets the gauges.
func (c *DaemonCheck) report(log *slog.Logger, v client.ServerVersionResult) []Advisory {
	log.Info("daemon", "version", v.Version, "api_version", v.APIVersion, "min_api_version", v.MinAPIVersion,
		"platform", v.Platform.Name, "os", v.Os, "arch", v.Arch)
	var found []Advisory
	if _, ok := cves.Parse(v.Version); !ok {
		log.Warn("daemon version could not be read: it was not checked against known authorization bypasses", "version", v.Version)
	} else {
		found = KnownBypasses(v.Version)
	}
	distro := cves.DistributionBuild(v.Version)
	for _, a := range found {
		attrs := []any{"cve", a.CVE, "advisory", a.GHSA, "version", v.Version, "api_version", v.APIVersion,
			"allows", a.Allows, "fixed", a.Fixed, "dockguard", a.Dockguard}
		if distro {
			attrs = append(attrs, "note", fmt.Sprintf("%s is a distribution build: distributions backport fixes under old version numbers "+
				"(Debian's docker.io 20.10.24+dfsg1-1+deb12u1 carries the CVE-2024-41110 fix), so this may be a false alarm; "+
				"check the package's changelog for %s", v.Version, a.CVE))
		}
		log.Warn("daemon version has a known authorization bypass", attrs...)
	}
	c.Metrics.Daemon(v.Version, v.APIVersion, found)
	return found
}
