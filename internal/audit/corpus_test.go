package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
)

// corpusDir finds ../shared/corpus beside the repository. CI sets
// DOCKGUARD_TEST_CORPUS=required so a missing corpus fails instead of
// skipping.
func corpusDir(tb testing.TB, sub string) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("DOCKGUARD_TEST_CORPUS") == "required" {
			tb.Fatalf("corpus not found at %s: %v", dir, err)
		}
		tb.Skipf("corpus not found at %s", dir)
	}
	return dir
}

// knownBad lists corpus files that really are broken, with the reason; any
// other error fails the test.
var knownBad = map[string]string{}

// TestCorpusDockerfiles audits every Dockerfile of the corpus: no crash, and
// no error that is not a real problem with the file.
func TestCorpusDockerfiles(t *testing.T) {
	dir := corpusDir(t, "dockerfiles")
	res := audit.Run(context.Background(), audit.Options{Paths: []string{dir}})
	if res.Inputs < 1600 {
		t.Errorf("audited %d Dockerfiles, want the corpus' ~1,680", res.Inputs)
	}
	for _, e := range res.Errors {
		rel, _ := filepath.Rel(dir, e.Path)
		if _, ok := knownBad[rel]; !ok {
			t.Errorf("unexpected error: %v", e)
		}
	}
	if len(res.Findings) == 0 {
		t.Errorf("no findings over the whole corpus")
	}
	for _, f := range res.Findings {
		if f.At.Path == "" || f.At.Line == 0 || f.Message == "" {
			t.Errorf("finding without place or message: %+v", f)
		}
	}
}

// BenchmarkCorpusDockerfiles measures a whole-folder audit; report files/s
// from ns/op and the Dockerfile count.
func BenchmarkCorpusDockerfiles(b *testing.B) {
	dir := corpusDir(b, "dockerfiles")
	var n int
	for i := 0; i < b.N; i++ {
		res := audit.Run(context.Background(), audit.Options{Paths: []string{dir}})
		n = res.Inputs
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// TestCorpusCompose audits every compose file of the corpus, with the
// Dockerfiles they build. The only errors allowed are the env files five
// dev-container samples name but do not ship (users create them; `docker
// compose up` refuses to start without them).
func TestCorpusCompose(t *testing.T) {
	dir := corpusDir(t, "compose")
	res := audit.Run(context.Background(), audit.Options{Paths: []string{dir}})
	if res.Inputs < 100 {
		t.Errorf("audited %d inputs, want the corpus' 81 compose files and their Dockerfiles", res.Inputs)
	}
	for _, e := range res.Errors {
		if !strings.Contains(e.Path, "vscode-dev-containers") || !strings.Contains(e.Message, "env_file") || !strings.Contains(e.Message, "not found") {
			t.Errorf("unexpected error: %v", e)
		}
	}
	services := map[string]bool{}
	for _, f := range res.Findings {
		if f.At.Path == "" || f.Message == "" {
			t.Errorf("finding without place or message: %+v", f)
		}
		if f.Subject.Kind == "service" {
			services[f.At.Path+" "+f.Subject.Name] = true
		}
	}
	if len(services) < 150 {
		t.Errorf("findings for %d services, want most of the corpus' ~176", len(services))
	}
}

// BenchmarkCorpus audits the whole corpus (Dockerfiles, compose files).
func BenchmarkCorpus(b *testing.B) {
	dir := corpusDir(b, "")
	var n int
	for i := 0; i < b.N; i++ {
		n = audit.Run(context.Background(), audit.Options{Paths: []string{dir}}).Inputs
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inputs/s")
}

// BenchmarkCorpusKubernetes measures recognizing the corpus' 1,014
// Kubernetes manifests (read up to their first 8 KiB, then skipped).
func BenchmarkCorpusKubernetes(b *testing.B) {
	dir := corpusDir(b, "k8s")
	var n int
	for b.Loop() {
		n = len(audit.Run(context.Background(), audit.Options{Paths: []string{dir}}).Skipped)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkEmbedded audits every embedded-shell fixture (scripts,
// Makefiles, GitHub Actions, GitLab CI, dev containers) through the whole
// pipeline, discovery included.
func BenchmarkEmbedded(b *testing.B) {
	var dirs []string
	for _, k := range []string{"shell", "makefile", "github-actions", "gitlab-ci", "devcontainer"} {
		dirs = append(dirs, filepath.Join("..", "rules", "testdata", k))
	}
	var n int
	for b.Loop() {
		n = audit.Run(context.Background(), audit.Options{Paths: dirs}).Inputs
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// TestCorpusKubernetes: every manifest of the corpus is recognized and
// skipped as not audited yet, none is taken for another kind, and nothing
// is an error.
func TestCorpusKubernetes(t *testing.T) {
	dir := corpusDir(t, "k8s")
	res := audit.Run(context.Background(), audit.Options{Paths: []string{dir}})
	if res.Inputs != 0 || len(res.Errors) != 0 || len(res.Findings) != 0 {
		t.Errorf("inputs %v, errors %v, %d findings", res.ByKind, res.Errors, len(res.Findings))
	}
	if len(res.Skipped) < 1000 {
		t.Errorf("%d manifests recognized, want the corpus' 1,014", len(res.Skipped))
	}
	for _, s := range res.Skipped {
		if s.Reason != audit.SkipKubernetes {
			t.Errorf("%s skipped: %s", s.Path, s.Reason)
		}
	}
}
