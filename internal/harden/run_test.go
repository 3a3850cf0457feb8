package harden_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/harden"
)

// runFixtureLines returns every command line of the run fixtures, without
// their `# want:` comments.
func runFixtureLines(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../rules/testdata/run/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no run fixtures: %v", err)
	}
	var lines []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			l := sc.Text()
			if i := strings.Index(l, "# want:"); i >= 0 {
				l = l[:i]
			}
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// TestRunFixtures hardens every run fixture line: the result parses, a
// second pass changes nothing, and re-auditing it reports none of the
// rules harden says it fixed.
func TestRunFixtures(t *testing.T) {
	lines := runFixtureLines(t)
	hardened := 0
	for _, opt := range fixtureOptions(t) {
		for _, line := range lines {
			res, err := harden.Run(line, opt)
			if err != nil {
				// Lines the CLI refuses are errors by design; audit refuses them too.
				if a := audit.Run(context.Background(), audit.Options{RunLines: []string{line}}); len(a.Errors) == 0 {
					t.Errorf("%s: harden failed on a line audit accepts: %v", line, err)
				}
				continue
			}
			again, err := harden.Run(res.Line, opt)
			if err != nil {
				t.Errorf("%s\n  hardened to %s, which does not parse: %v", line, res.Line, err)
				continue
			}
			if again.Line != res.Line {
				t.Errorf("not idempotent:\n  %s\n  %s\n  %s", line, res.Line, again.Line)
			}
			a := audit.Run(context.Background(), audit.Options{RunLines: []string{res.Line}})
			if len(a.Errors) > 0 {
				t.Errorf("%s: re-audit of %s failed: %v", line, res.Line, a.Errors[0])
				continue
			}
			fixed := map[string]bool{}
			for _, s := range res.Fixed {
				fixed[s] = true
			}
			for _, f := range a.Findings {
				if fixed[f.Rule.Slug] {
					t.Errorf("%s\n  hardened to %s\n  still has %s: %s", line, res.Line, f.Rule.Slug, f.Message)
				}
			}
			hardened++
		}
	}
	t.Logf("%d hardenings of %d fixture lines (each line once per option set), idempotent and re-audited clean for the fixed controls", hardened, len(lines))
}

func TestRunExamples(t *testing.T) {
	cases := []struct{ in, want string }{
		{`docker run -d -p 80:80 nginx:1.27`,
			`docker run -d -p 127.0.0.1:80:80 --user 10001:10001 --read-only --tmpfs /tmp --tmpfs /var/cache/nginx --tmpfs /var/run --cap-drop ALL --security-opt no-new-privileges --memory 512m --memory-swap 512m --cpus 1 --pids-limit 256 --ulimit nofile=1024:2048 --ulimit nproc=512 nginx:1.27`},
		{`docker run --restart=always -m 1g --privileged -v /:/host alpine sh -c 'echo hi'`,
			`docker run --restart=on-failure:5 -m 1g --privileged -v /:/host --user 10001:10001 --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory-swap 1g --cpus 1 --pids-limit 256 --ulimit nofile=1024:2048 --ulimit nproc=512 alpine sh -c 'echo hi'`},
		// Root in another spelling is root: the one predicate (facts.IsRootUser).
		{`docker run --user 00 -d alpine:3.20 sleep 1`,
			`docker run --user 10001:10001 -d --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory 512m --memory-swap 512m --cpus 1 --pids-limit 256 --ulimit nofile=1024:2048 --ulimit nproc=512 alpine:3.20 sleep 1`},
		{`docker run --user root:1000 -d alpine:3.20 sleep 1`,
			`docker run --user 10001:10001 -d --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory 512m --memory-swap 512m --cpus 1 --pids-limit 256 --ulimit nofile=1024:2048 --ulimit nproc=512 alpine:3.20 sleep 1`},
	}
	for _, c := range cases {
		res, err := harden.Run(c.in, harden.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Line != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.in, res.Line, c.want)
		}
	}
}
