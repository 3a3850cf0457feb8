package cli

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/atomicfile"
	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/spf13/cobra"
)

type auditOptions struct {
	files    []string
	envFiles []string
	profiles []string
	// composeProfiles are --compose-profile values: always compose's.
	composeProfiles []string
	runs            []string
	format          string
	output          string
	failOn          string
	target          string
	trusted         []string
	maxSizeMB       int

	configPath    string
	baseline      string
	writeBaseline string
	showIgnored   bool
	quiet         bool
	noColor       bool

	live engineFlags
	in   inputFlags
	img  imageFlags
}

func newAuditCmd(s Streams) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [PATH...] [-f COMPOSE_FILE...] [--run 'docker run …'...]",
		Short: "Audit Dockerfiles, compose files, scripts, CI files, dev containers and docker run lines",
		Long: `Audit the inputs named, or found under the folders named (default: the
current folder, unless -f or --run is given). Found by name: Dockerfile,
Dockerfile.*, Dockerfile-*, *.Dockerfile, *.dockerfile, Containerfile;
compose.y*ml, docker-compose*.y*ml (a folder's main compose file is merged
with its override file, as docker compose does); *.sh, *.bash and files with
a shell #! line; Makefile, makefile, GNUmakefile, *.mk;
.github/workflows/*.y*ml; .gitlab-ci.yml; .devcontainer.json and
.devcontainer/[NAME/]devcontainer.json. node_modules and vendor folders, and
what .dockguardignore (gitignore syntax) in a folder named matches, are
skipped. A file named explicitly is audited whatever its name, by content.
- reads standard input, of the kind --stdin-type names.

-f files form one compose project, merged the way 'docker compose -f a -f b'
merges them. --run takes a docker/podman run or create command line.

Exit codes: 2 when an input could not be read or parsed (findings are still
reported); otherwise 1 when a finding is at or above --fail-on; else 0.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && len(o.files) == 0 && len(o.runs) == 0 && !o.live.enabled() && len(o.img.images) == 0 {
				args = []string{"."}
			}
			return runAudit(cmd, s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "a compose file; repeat to merge several into one project, as docker compose -f does")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "an env file for compose interpolation (repeatable); default: .env in the project folder")
	f.StringArrayVar(&o.profiles, "profile", nil, "an enforcement profile (baseline, restricted, or with a version: baseline@v1) whose denials to mark; any other name is a compose profile to enable (repeatable)")
	f.StringArrayVar(&o.composeProfiles, "compose-profile", nil, "a compose profile to enable, even one named baseline or restricted (repeatable)")
	f.StringArrayVar(&o.runs, "run", nil, "a docker/podman run or create command line to audit (repeatable)")
	f.StringVar(&o.format, "format", "text", "report format: text, json or sarif")
	f.StringVar(&o.configPath, "config", "", "configuration file (default: .dockguard.yaml in the working folder or a parent)")
	f.StringVar(&o.baseline, "baseline", "", "hide the findings recorded in this baseline file; report the recorded ones that are gone")
	f.StringVar(&o.writeBaseline, "write-baseline", "", "record every finding of this audit in a baseline file")
	f.BoolVar(&o.showIgnored, "show-ignored", false, "list the findings inline ignores silenced (they are always counted)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "text format: print only errors and the summary line")
	f.BoolVar(&o.noColor, "no-color", false, "no colors in the text format (NO_COLOR does the same)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity: critical, high, medium, low, info, or none")
	f.StringVar(&o.target, "target", "", "judge this build stage instead of the last one")
	f.StringArrayVar(&o.trusted, "trusted-registry", nil, "a registry (or registry/path prefix) images may come from; repeatable; default: any")
	f.IntVar(&o.maxSizeMB, "max-file-size", inputs.MaxFileSize>>20, "largest input file read, in MiB")
	o.live.register(f)
	o.in.register(f)
	o.img.register(f)
	return cmd
}

func runAudit(cmd *cobra.Command, s Streams, o *auditOptions, paths []string) error {
	format := strings.ToLower(o.format)
	if format != "text" && format != "json" && format != "sarif" {
		return fmt.Errorf("--format %q: want text, json or sarif", o.format)
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return err
	}
	// --fail-on wins over the file's failOn, which wins over the default.
	failOnName := o.failOn
	if !cmd.Flags().Changed("fail-on") && cfg.FailOn != "" {
		failOnName = cfg.FailOn
	}
	var failOn rules.Severity
	if !strings.EqualFold(failOnName, "none") {
		sev, err := rules.ParseSeverity(failOnName)
		if err != nil {
			return fmt.Errorf("--fail-on: %w", err)
		}
		failOn = sev
	}
	if o.maxSizeMB <= 0 {
		return fmt.Errorf("--max-file-size must be positive")
	}
	// --profile names an enforcement profile (baseline, restricted) or a
	// compose profile; --compose-profile is only the latter.
	var prof rules.Profile
	composeProfiles := append([]string(nil), o.composeProfiles...)
	for _, p := range o.profiles {
		name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(p)), "@")
		if name != "baseline" && name != "restricted" {
			composeProfiles = append(composeProfiles, p)
			continue
		}
		pp, err := rules.ParseProfile(p)
		if err != nil {
			return fmt.Errorf("--profile: %w", err)
		}
		if !prof.IsZero() && prof != pp {
			return fmt.Errorf("--profile: %s and %s: name one enforcement profile", prof, pp)
		}
		prof = pp
	}
	rc := cfg.Rules
	rc.TrustedRegistries = append(append([]string{}, rc.TrustedRegistries...), o.trusted...)
	ctx, cancel, err := o.live.context(cmd.Context())
	if err != nil {
		return err
	}
	defer cancel()
	live, stopProgress := o.live.options(s.Err)
	imgOpt, err := o.img.options(&o.live, cfg.ImageSignature)
	if err != nil {
		return err
	}
	o.img.limitMemory()
	stopImageProgress := imageProgress(&imgOpt, s.Err, len(o.img.images))
	paths, stdin, err := o.in.stdin(s.In, paths, int64(o.maxSizeMB)<<20)
	if err != nil {
		return err
	}
	res := audit.Run(ctx, audit.Options{
		Stdin:        stdin,
		Engines:      o.live.endpoints(),
		Live:         live,
		Images:       o.img.images,
		Image:        imgOpt,
		Paths:        paths,
		ComposeFiles: o.files,
		EnvFiles:     o.envFiles,
		Profiles:     composeProfiles,
		Profile:      prof,
		EnforceRules: cfg.Enforce.Rules,
		RunLines:     o.runs,
		Target:       o.target,
		Config:       rc,
		MaxSize:      int64(o.maxSizeMB) << 20,
	})
	stopProgress()
	stopImageProgress()
	o.in.report(s.Err, res)
	ignored := applyIgnores(res, rc)
	doc := report.Build(res)
	withIgnored(doc, ignored, o.showIgnored)
	if o.baseline != "" {
		if err := applyBaseline(doc, o.baseline); err != nil {
			return err
		}
	}
	if o.writeBaseline != "" {
		if err := writeBaseline(doc, o.writeBaseline); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	switch format {
	case "json":
		err = report.JSON(&buf, doc)
	case "sarif":
		// Paths are made relative to the working folder, which is the
		// checkout root when code scanning runs it.
		err = report.SARIF(&buf, doc, report.SARIFOptions{Version: version()})
	default:
		color := o.output == "" && !o.noColor && isTerminal(s.Out)
		width := 0
		if o.output == "" && isTerminal(s.Out) {
			width = terminalWidth(s.Out)
		}
		err = report.Text(&buf, doc, report.TextOptions{Color: color, Width: width, Quiet: o.quiet})
	}
	if err != nil {
		return err
	}
	if o.output != "" {
		if err := writeFileAtomic(o.output, buf.Bytes()); err != nil {
			return err
		}
	} else if _, err := s.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	return &exitError{code: exitCode(doc, failOn)}
}

func exitCode(d *report.Document, failOn rules.Severity) int {
	if len(d.Errors) > 0 {
		return ExitError
	}
	if failOn == "" {
		return ExitOK
	}
	for _, f := range d.Findings {
		if f.Severity.Rank() >= failOn.Rank() {
			return ExitFindings
		}
	}
	return ExitOK
}

// writeFileAtomic replaces path only once the whole report is written, so an
// interrupted run never leaves half a report where a full one was.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}
