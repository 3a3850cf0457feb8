package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/dockguard/dockguard/internal/atomicfile"
	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/source/host"
	"github.com/spf13/cobra"
)

type hardenOpts struct {
	runs       []string
	configPath string
	public     bool
	noComments bool
	write      bool
	noBackup   bool
	engine     bool
	hosts      []string
	tls        engine.TLS
	apply      bool
	live       hardenLive
}

// endpoint is engine host h ("" for the default) with the TLS flags.
func (o *hardenOpts) endpoint(h string) engine.Endpoint {
	return engine.Endpoint{Host: h, TLS: o.tls}
}

func newHardenCmd(s Streams) *cobra.Command {
	o := &hardenOpts{}
	cmd := &cobra.Command{
		Use:   "harden [--run 'COMMAND LINE']... | FILE | daemon [DAEMON_JSON]",
		Short: "Print the hardened form of a docker run line, a compose file or a Dockerfile",
		Long: `harden writes the settings that fix what dockguard reports, in your own text:
a non-root user, a read-only root filesystem with a tmpfs /tmp, cap-drop ALL,
no-new-privileges, memory (with equal swap), CPU, PIDs and nofile/nproc limits,
a bounded restart policy and ports bound to 127.0.0.1. What it cannot fix
(a privileged container, a sensitive host mount) is listed on stderr with the
manual fix, never removed.

With --run, the hardened command line alone is printed on stdout.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(o.configPath)
			if err != nil {
				return err
			}
			opt := harden.Options{Config: cfg.Rules, Harden: cfg.Harden, PublicPorts: o.public, NoComments: o.noComments}
			engineMode := o.engine || (len(o.hosts) > 0 && len(args) == 0 && len(o.runs) == 0)
			closeLive, err := o.live.connect(cmd.Context(), s, o.hosts, o.endpoint, engineMode, &opt)
			defer closeLive()
			if err != nil {
				return err
			}
			if engineMode {
				if len(args) > 0 || len(o.runs) > 0 {
					return errors.New("--engine takes no file and no --run line")
				}
				return hardenEngines(cmd.Context(), s, o, opt)
			}
			if o.apply {
				return errors.New("--apply needs --engine or -H")
			}
			if len(o.runs) > 0 {
				if len(args) > 0 {
					return errors.New("give either --run lines or a file, not both")
				}
				return hardenRuns(s, o.runs, opt)
			}
			if len(args) >= 1 && args[0] == "daemon" {
				if len(args) > 2 {
					return errors.New("harden daemon takes at most one path")
				}
				path := host.DefaultConfigFile
				if len(args) == 2 {
					path = args[1]
				}
				return hardenDaemon(s, path, o)
			}
			if len(args) != 1 {
				return errors.New("harden needs --run 'COMMAND LINE' or one file")
			}
			return hardenFile(s, args[0], o, opt)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.runs, "run", nil, "a docker run / docker create / podman run command line to harden (repeatable)")
	f.StringVar(&o.configPath, "config", "", "configuration file (default: .dockguard.yaml found from the working folder upward)")
	f.BoolVar(&o.public, "public", false, "keep published ports on every interface instead of binding them to 127.0.0.1")
	f.BoolVar(&o.noComments, "no-comments", false, "do not add `# dockguard:` comments to changed lines")
	f.BoolVar(&o.write, "write", false, "rewrite the file in place instead of printing a diff")
	f.BoolVar(&o.noBackup, "no-backup", false, "with --write, keep no FILE.bak copy")
	f.BoolVar(&o.engine, "engine", false, "print `docker update` commands for every running container of the default engine, and the hardened docker run line of those that need re-creating")
	f.StringArrayVarP(&o.hosts, "host", "H", nil, "an engine to harden (repeatable), as for --engine")
	f.BoolVar(&o.apply, "apply", false, "with --engine, run the updates through the Engine API")
	f.BoolVar(&o.tls.Verify, "tlsverify", false, "-H: use TLS and verify the engine's certificate")
	f.StringVar(&o.tls.CACert, "tlscacert", "", "-H: trust certificates signed by this CA (PEM)")
	f.StringVar(&o.tls.Cert, "tlscert", "", "-H: TLS client certificate (PEM)")
	f.StringVar(&o.tls.Key, "tlskey", "", "-H: TLS client key (PEM)")
	o.live.register(f)
	return cmd
}

func hardenRuns(s Streams, lines []string, opt harden.Options) error {
	for _, line := range lines {
		res, err := harden.Run(line, opt)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.Out, res.Line)
		for _, n := range res.Notes {
			fmt.Fprintf(s.Err, "note: %s\n", n)
		}
		manual(s, audit.Run(context.Background(), audit.Options{RunLines: []string{res.Line}, Config: opt.Config}).Findings, res.Fixed)
	}
	return nil
}

// manual lists on stderr what a re-audit still finds: harden does not fix
// it, a person must.
func manual(s Streams, findings []rules.Finding, fixed []string) {
	done := map[string]bool{}
	for _, f := range fixed {
		done[f] = true
	}
	seen := map[string]bool{}
	for _, f := range findings {
		if done[f.Rule.Slug] {
			continue
		}
		key := f.Rule.Slug + "\x00" + f.Message
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintf(s.Err, "manual: %s (%s) %s: %s\n  fix: %s\n", f.Rule.Slug, f.Rule.ID, f.Severity, f.Message, f.Rule.Remediation)
	}
}

func hardenFile(s Streams, path string, o *hardenOpts, opt harden.Options) error {
	var res *harden.FileResult
	var err error
	base := filepath.Base(path)
	switch {
	case audit.MatchCompose(base) != "":
		res, err = harden.Compose(context.Background(), path, opt)
	case audit.MatchDockerfile(base) != "":
		res, err = harden.Dockerfile(context.Background(), path, opt)
	default:
		return fmt.Errorf("%s: harden reads docker run lines (--run), compose files (compose.yaml, docker-compose.yml, …) and Dockerfiles; this is none of them", path)
	}
	if err != nil {
		return err
	}
	return output(s, res, o, func() {
		var own []rules.Finding
		for _, f := range res.Manual {
			if f.Subject.Kind == facts.SubjectService || f.Subject.Kind == facts.SubjectStage {
				own = append(own, f)
			}
		}
		manual(s, own, nil)
	})
}

func hardenDaemon(s Streams, path string, o *hardenOpts) error {
	res, err := harden.Daemon(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil && o.write && res.Changed() {
		if err := atomicfile.Create(path, []byte(res.New), 0o644); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(s.Err, "%s: written; restart dockerd for it to take effect\n", path)
		return nil
	}
	return output(s, res, o, func() {})
}

// output prints the notes and a diff, or writes the file with --write.
func output(s Streams, res *harden.FileResult, o *hardenOpts, more func()) error {
	path := res.Path
	for _, n := range res.Notes {
		fmt.Fprintf(s.Err, "note: %s\n", n)
	}
	more()
	if !res.Changed() {
		fmt.Fprintf(s.Err, "%s: already hardened, nothing to change\n", path)
		return nil
	}
	if !o.write {
		d := udiff.Unified(path, path, res.Old, res.New)
		if !strings.HasSuffix(d, "\n") {
			d += "\n"
		}
		fmt.Fprint(s.Out, d)
		return nil
	}
	if err := writeAtomic(path, []byte(res.New), !o.noBackup); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "%s: rewritten\n", path)
	return nil
}

// writeAtomic replaces path with data (atomicfile), keeping the file's
// permissions; with backup, the old content is kept in path.bak first.
func writeAtomic(path string, data []byte, backup bool) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if backup {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := atomicfile.Write(path+".bak", old, info.Mode().Perm()); err != nil {
			return err
		}
	}
	return atomicfile.Write(path, data, info.Mode().Perm())
}

func hardenEngines(ctx context.Context, s Streams, o *hardenOpts, opt harden.Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	hosts := o.hosts
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	failed := false
	for _, h := range hosts {
		c, err := engine.Client(o.endpoint(h))
		if err != nil {
			return err
		}
		ups, err := harden.Engine(ctx, c, opt, o.apply)
		c.Close()
		if err != nil {
			return err
		}
		for _, u := range ups {
			if u.Command != "" {
				fmt.Fprintln(s.Out, u.Command)
			}
			switch {
			case u.Err != nil && u.Command == "":
				// Nothing was decided for it: its run line could not be
				// rebuilt.
				failed = true
				fmt.Fprintf(s.Err, "%s: not hardened: %v\n", u.Name, u.Err)
			case u.Err != nil:
				failed = true
				fmt.Fprintf(s.Err, "%s: update failed: %v\n", u.Name, u.Err)
			case u.Applied:
				fmt.Fprintf(s.Err, "%s: updated\n", u.Name)
			}
			if len(u.Recreate) > 0 {
				recreate(s, u)
			}
		}
	}
	if failed {
		return errors.New("some updates failed")
	}
	return nil
}

// recreate prints how to create a container again, hardened: on stdout the
// hardened docker run line, commented out so that piping stdout to a shell
// runs only the updates (a re-create removes the container, and with it
// what its writable layer and anonymous volumes hold); on stderr why, and
// what the line leaves out.
func recreate(s Streams, u harden.EngineUpdate) {
	why := strings.Join(u.Recreate, ", ")
	if u.RecreateErr != nil || u.Recreation == nil {
		fmt.Fprintf(s.Err, "%s: needs re-creating for %s; its run line could not be rebuilt: %v\n", u.Name, why, u.RecreateErr)
		return
	}
	r := u.Recreation
	// Every line commented: a value may hold a newline.
	fmt.Fprintf(s.Out, "# %s: re-create for %s: docker rm -f %s, then:\n%s\n", u.Name, why, u.Name, harden.Commented(r.Hardened.Line))
	fmt.Fprintf(s.Err, "%s: needs re-creating for %s (its hardened docker run line is on stdout, commented out)\n", u.Name, why)
	for _, n := range r.Notes {
		fmt.Fprintf(s.Err, "note: %s\n", n)
	}
	for _, n := range r.Hardened.Notes {
		fmt.Fprintf(s.Err, "note: %s: %s\n", u.Name, n)
	}
}
