package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir finds ../shared/corpus beside the repository. CI sets
// DOCKGUARD_TEST_CORPUS=required so a missing corpus fails instead of
// skipping.
func corpusDir(tb testing.TB, sub string) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "corpus", sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("DOCKGUARD_TEST_CORPUS") == "required" {
			tb.Fatalf("corpus not found at %s: %v", dir, err)
		}
		tb.Skipf("corpus not found at %s", dir)
	}
	return dir
}

func corpusFiles(tb testing.TB) []string {
	dir := corpusDir(tb, "compose")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if !d.IsDir() && (strings.HasPrefix(name, "compose.") || strings.HasPrefix(name, "docker-compose")) &&
			(strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestCorpus loads every compose file of the corpus on its own. None may
// fail; the only problems reported are real ones: the vscode-dev-containers
// templates name an env_file `.env` that the user is meant to create, and
// `docker compose up` refuses to start without it, so each of their
// services carries an "env_file … not found" error (and loads without it).
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 80 {
		t.Errorf("found %d compose files, want the corpus' 81", len(files))
	}
	start := time.Now()
	services := 0
	for _, f := range files {
		p, err := Load(context.Background(), Options{Files: []string{f}})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if len(p.Services) == 0 {
			t.Errorf("%s: no service", f)
		}
		services += len(p.Services)
		for _, e := range p.Errors {
			dotenv := filepath.Join(filepath.Dir(f), ".env")
			if strings.Contains(f, "vscode-dev-containers") && strings.HasSuffix(e.Message, "env_file "+dotenv+" not found") {
				if _, err := os.Stat(dotenv); os.IsNotExist(err) {
					continue
				}
			}
			t.Errorf("unexpected error: %v", e)
		}
		for _, s := range p.Services {
			if s.Spec.Origin.Path != f || s.Spec.Origin.Line == 0 {
				t.Errorf("%s: service %s declared at %v", f, s.Name, s.Spec.Origin)
			}
		}
	}
	t.Logf("loaded %d compose files (%d services) in %v", len(files), services, time.Since(start))
}

// BenchmarkCorpus measures loading every compose file of the corpus.
func BenchmarkCorpus(b *testing.B) {
	files := corpusFiles(b)
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			if _, err := Load(context.Background(), Options{Files: []string{f}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
