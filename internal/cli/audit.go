package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/report"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/spf13/cobra"
)

type auditOptions struct {
	files     []string
	envFiles  []string
	profiles  []string
	runs      []string
	format    string
	output    string
	failOn    string
	target    string
	trusted   []string
	maxSizeMB int
}

func newAuditCmd(s Streams) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [PATH...] [-f COMPOSE_FILE...] [--run 'docker run …'...]",
		Short: "Audit Dockerfiles, compose files and docker run command lines",
		Long: `Audit the Dockerfiles and compose files named, or found under the folders
named (default: the current folder, unless -f or --run is given). Found by
name: Dockerfile, Dockerfile.*, Dockerfile-*, *.Dockerfile, *.dockerfile,
Containerfile; compose.y*ml, docker-compose*.y*ml (a folder's main compose
file is merged with its override file, as docker compose does). A file named
explicitly is audited whatever its name (YAML as compose, anything else as a
Dockerfile).

-f files form one compose project, merged the way 'docker compose -f a -f b'
merges them. --run takes a docker/podman run or create command line.

Exit codes: 2 when an input could not be read or parsed (findings are still
reported); otherwise 1 when a finding is at or above --fail-on; else 0.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && len(o.files) == 0 && len(o.runs) == 0 {
				args = []string{"."}
			}
			return runAudit(cmd, s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "a compose file; repeat to merge several into one project, as docker compose -f does")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "an env file for compose interpolation (repeatable); default: .env in the project folder")
	f.StringArrayVar(&o.profiles, "profile", nil, "a compose profile to enable (repeatable)")
	f.StringArrayVar(&o.runs, "run", nil, "a docker/podman run or create command line to audit (repeatable)")
	f.StringVar(&o.format, "format", "text", "report format: text or json")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity: critical, high, medium, low, info, or none")
	f.StringVar(&o.target, "target", "", "judge this build stage instead of the last one")
	f.StringArrayVar(&o.trusted, "trusted-registry", nil, "a registry (or registry/path prefix) images may come from; repeatable; default: any")
	f.IntVar(&o.maxSizeMB, "max-file-size", inputs.MaxFileSize>>20, "largest input file read, in MiB")
	return cmd
}

func runAudit(cmd *cobra.Command, s Streams, o *auditOptions, paths []string) error {
	format := strings.ToLower(o.format)
	if format != "text" && format != "json" {
		return fmt.Errorf("--format %q: want text or json", o.format)
	}
	var failOn rules.Severity
	if !strings.EqualFold(o.failOn, "none") {
		sev, err := rules.ParseSeverity(o.failOn)
		if err != nil {
			return fmt.Errorf("--fail-on: %w", err)
		}
		failOn = sev
	}
	if o.maxSizeMB <= 0 {
		return fmt.Errorf("--max-file-size must be positive")
	}
	res := audit.Run(cmd.Context(), audit.Options{
		Paths:        paths,
		ComposeFiles: o.files,
		EnvFiles:     o.envFiles,
		Profiles:     o.profiles,
		RunLines:     o.runs,
		Target:       o.target,
		Config:       rules.Config{TrustedRegistries: o.trusted},
		MaxSize:      int64(o.maxSizeMB) << 20,
	})
	doc := report.Build(res)
	var buf bytes.Buffer
	var err error
	if format == "json" {
		err = report.JSON(&buf, doc)
	} else {
		err = report.Text(&buf, doc, report.TextOptions{Color: o.output == "" && isTerminal(s.Out)})
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
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("--output: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}
