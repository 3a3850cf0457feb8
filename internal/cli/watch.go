package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/spf13/cobra"
)

type watchOptions struct {
	follow
	minSeverity string
}

func newWatchCmd(s Streams) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch [-H HOST] [--config FILE] [--min-severity low]",
		Short: "Follow one Docker engine in the terminal: its findings, then what changes",
		Long: `Audit the Docker engine, print its findings worst first, then follow its
events and print what changes: findings that appear (+) and go (-) as
containers and services come and go, restart storms and OOM kills as they
happen, and the engine lost and found again. The same event-driven audit as
` + "`dockguard agent`" + `, for a terminal. Runs until SIGINT or SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	o.follow.flags(f)
	f.StringVar(&o.minSeverity, "min-severity", "low", "lowest severity shown: critical, high, medium, low or info")
	return cmd
}

func runWatch(ctx context.Context, s Streams, o *watchOptions) error {
	sev, err := rules.ParseSeverity(o.minSeverity)
	if err != nil {
		return fmt.Errorf("--min-severity: %w", err)
	}
	if err := o.follow.check(); err != nil {
		return err
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return err
	}
	ep := o.follow.endpoint()
	name := o.host
	if r, err := engine.Resolve(ep); err == nil {
		name = r.Host
	}
	w := &watcher{out: s.Out, color: isTerminal(s.Out), min: sev, host: name, now: time.Now}
	a, err := agent.New(agent.Options{
		Endpoint:      ep,
		Config:        cfg.Rules,
		StormRestarts: o.storms,
		StormWindow:   o.stormWindow,
		Debounce:      o.debounce,
		Version:       version(),
		// What the agent would log, the watcher prints as it happens.
		Logger:   slog.New(slog.DiscardHandler),
		OnSync:   w.sync,
		OnNotice: w.notice,
	})
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	w.printf("", "watching %s (findings at or above %s; Ctrl-C to stop)\n", name, sev)
	return a.Run(ctx)
}

// watcher prints what the agent tells it. The agent calls it from two
// goroutines (audits and the event loop), so lines are written under a
// lock, each whole.
type watcher struct {
	out   io.Writer
	color bool
	min   rules.Severity
	host  string
	now   func() time.Time

	mu sync.Mutex
	// lost: the engine was lost and no audit has completed since, so the
	// next one says it is back before what changed.
	lost bool
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[1;31m"
	ansiWarn  = "\x1b[1;33m"
)

// watchSevColor follows the text report's colours, so a severity looks
// the same in `audit` and `watch`.
var watchSevColor = map[rules.Severity]string{
	rules.Critical: "\x1b[1;35m",
	rules.High:     "\x1b[1;31m",
	rules.Medium:   "\x1b[33m",
	rules.Low:      "\x1b[36m",
	rules.Info:     "\x1b[2m",
}

func (w *watcher) paint(code, s string) string {
	if !w.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

// printf writes one line; the caller holds no lock.
func (w *watcher) printf(code, format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.linef(code, format, args...)
}

func (w *watcher) linef(code, format string, args ...any) {
	fmt.Fprint(w.out, w.paint(code, fmt.Sprintf(format, args...)))
}

func (w *watcher) stamp() string { return w.paint(ansiDim, w.now().Format("15:04:05")) }

// findingKey is what makes a finding the same one in two audits: its rule,
// its subject and its place. The message is left out, since some say
// counts (restarts, ports) that change without the finding changing.
type findingKey struct {
	rule, slug, kind, name, at string
}

func keyOf(f report.Finding) findingKey {
	return findingKey{f.Rule, f.Slug, f.Subject.Kind, f.Subject.Name, f.Location.String()}
}

// shown is the findings of d at or above the minimum severity, worst
// first, then by subject and rule, so the list reads the same each time.
func (w *watcher) shown(d *report.Document) []report.Finding {
	if d == nil {
		return nil
	}
	min := w.min.Rank()
	var out []report.Finding
	for _, f := range d.Findings {
		if f.Severity.Rank() >= min {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
			cmp.Compare(a.Subject.Kind, b.Subject.Kind),
			cmp.Compare(a.Subject.Name, b.Subject.Name),
			cmp.Compare(a.Rule, b.Rule),
		)
	})
	return out
}

func (w *watcher) findingLine(sign, signColor string, f report.Finding) string {
	subject := f.Subject.Name
	if f.Subject.Kind != facts.SubjectContainer {
		subject = strings.TrimSpace(f.Subject.Kind + " " + f.Subject.Name)
	}
	return fmt.Sprintf("%s %s %s %s: %s", w.paint(signColor, sign), w.paint(watchSevColor[f.Severity], string(f.Severity)), f.Slug, subject, f.Message)
}

// sync prints the first audit whole, and after it what changed.
func (w *watcher) sync(prev, cur *report.Document) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.shown(cur)
	if w.lost {
		w.lost = false
		w.linef("", "%s %s\n", w.stamp(), w.paint(ansiGreen, "engine back: audited again"))
	}
	if prev == nil {
		w.linef(ansiBold, "%s\n", summary(now))
		for _, f := range now {
			w.linef("", "%s\n", w.findingLine(" ", "", f))
		}
		for _, e := range cur.Errors {
			w.linef("", "%s %s: %s\n", w.paint(ansiWarn, "!"), e.Path, e.Message)
		}
		return
	}
	before := w.shown(prev)
	count := func(fs []report.Finding) map[findingKey]int {
		m := make(map[findingKey]int, len(fs))
		for _, f := range fs {
			m[keyOf(f)]++
		}
		return m
	}
	had, has := count(before), count(now)
	changed := false
	// Gone first, then new, each worst first: a container replaced by a
	// better one reads as its old findings leaving and the rest arriving.
	for _, f := range before {
		if k := keyOf(f); has[k] > 0 {
			has[k]--
		} else {
			w.linef("", "%s %s\n", w.stamp(), w.findingLine("-", ansiGreen, f))
			changed = true
		}
	}
	for _, f := range now {
		if k := keyOf(f); had[k] > 0 {
			had[k]--
		} else {
			w.linef("", "%s %s\n", w.stamp(), w.findingLine("+", ansiRed, f))
			changed = true
		}
	}
	if changed {
		w.linef(ansiDim, "%s %s\n", w.now().Format("15:04:05"), summary(now))
	}
}

// summary counts findings by severity, worst first.
func summary(fs []report.Finding) string {
	if len(fs) == 0 {
		return "no findings"
	}
	n := map[rules.Severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range rules.Severities {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	word := "findings"
	if len(fs) == 1 {
		word = "finding"
	}
	return fmt.Sprintf("%d %s: %s", len(fs), word, strings.Join(parts, ", "))
}

func (w *watcher) notice(n agent.Notice) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch n.Kind {
	case agent.NoticeStorm:
		w.linef("", "%s %s restart storm %s: died %d times within %s\n", w.stamp(), w.paint(ansiWarn, "!"), n.Container, n.Deaths, n.Window)
	case agent.NoticeOOM:
		w.linef("", "%s %s OOM kill %s: the out-of-memory killer killed it\n", w.stamp(), w.paint(ansiWarn, "!"), n.Container)
	case agent.NoticeEngineLost:
		w.lost = true
		w.linef("", "%s %s engine lost: %s; reconnecting (what is shown may be stale until it is back)\n", w.stamp(), w.paint(ansiWarn, "!"), n.Reason)
	case agent.NoticeEngineBack:
		// Said by the audit that follows the reconnect, before its
		// changes (see sync).
	}
}
