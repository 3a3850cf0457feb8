package cli

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/spf13/pflag"
)

// inputFlags are the audit flags about where inputs come from besides
// paths (standard input) and how fast they were read (--stats).
type inputFlags struct {
	stdinType string
	stats     bool
	start     time.Time
}

func (f *inputFlags) register(fs *pflag.FlagSet) {
	var kinds []string
	for k, v := range audit.StdinKinds {
		if k == string(v) {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	fs.StringVar(&f.stdinType, "stdin-type", "", "what the path - (standard input) holds: "+strings.Join(kinds, ", "))
	fs.BoolVar(&f.stats, "stats", false, "print the inputs audited, the time taken and the files per second to standard error")
}

// stdin takes `-` out of the paths and reads standard input, up to limit
// bytes, as the kind --stdin-type names.
func (f *inputFlags) stdin(in io.Reader, paths []string, limit int64) ([]string, *audit.Stdin, error) {
	f.start = time.Now()
	dash := slices.Contains(paths, "-")
	if !dash {
		if f.stdinType != "" {
			return nil, nil, fmt.Errorf("--stdin-type %s: give - among the paths to read standard input", f.stdinType)
		}
		return paths, nil, nil
	}
	kind, ok := audit.StdinKinds[strings.ToLower(f.stdinType)]
	if !ok {
		if f.stdinType == "" {
			return nil, nil, fmt.Errorf("- reads standard input: say what it holds with --stdin-type")
		}
		return nil, nil, fmt.Errorf("--stdin-type %q: unknown kind", f.stdinType)
	}
	rest := slices.DeleteFunc(slices.Clone(paths), func(p string) bool { return p == "-" })
	s := &audit.Stdin{Kind: kind}
	if in == nil {
		in = strings.NewReader("")
	}
	data, err := io.ReadAll(io.LimitReader(in, limit+1))
	switch {
	case err != nil:
		s.Err = &inputs.Error{Path: audit.StdinPath, Message: "cannot read: " + err.Error()}
	case int64(len(data)) > limit:
		s.Err = &inputs.Error{Path: audit.StdinPath, Message: fmt.Sprintf("standard input is over the %d MB limit", limit>>20)}
	default:
		s.Data = data
	}
	return rest, s, nil
}

// report prints --stats: what was audited, how long it took, files per
// second.
func (f *inputFlags) report(w io.Writer, res *audit.Result) {
	if !f.stats {
		return
	}
	elapsed := time.Since(f.start)
	var parts []string
	for _, k := range audit.Kinds {
		if n := res.ByKind[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	rate := float64(res.Inputs) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "dockguard: %d inputs (%s), %d skipped, in %s: %.0f files/s\n",
		res.Inputs, strings.Join(parts, ", "), len(res.Skipped), elapsed.Round(time.Millisecond), rate)
}
