package cli_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// liveDaemon starts a private daemon with a privileged container whose
// environment holds a token, and a hardened one.
func liveDaemon(t *testing.T) *testenv.Daemon {
	t.Helper()
	d := testenv.Start(t, testenv.Options{})
	d.BuildImage(t, "dgtest/app:1", "FROM scratch\nCOPY app /\nUSER 10001\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	ctx := context.Background()
	for name, hc := range map[string]*container.HostConfig{
		"web":    {Privileged: true},
		"worker": {ReadonlyRootfs: true, CapDrop: []string{"ALL"}},
	} {
		cfg := &container.Config{Image: "dgtest/app:1", Env: []string{"GITHUB_TOKEN=ghp_" + secretBody}}
		if _, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc}); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestLiveAudit audits a live engine, an unreachable one and a Dockerfile
// in one run: the live findings carry the engine, the unreachable engine
// is an input error (exit 2) and the rest is still reported.
func TestLiveAudit(t *testing.T) {
	d := liveDaemon(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "Dockerfile"), withMedium)
	missing := "unix://" + filepath.Join(t.TempDir(), "missing.sock")
	r := run(t, "audit", "-H", d.Host, "-H", missing, "--format", "json", dir)
	if r.code != 2 {
		t.Errorf("exit %d, want 2 (an engine is unreachable); stderr %s", r.code, r.err)
	}
	if strings.Contains(r.out, secretBody) {
		t.Errorf("the token is printed whole")
	}
	doc := parseReport(t, r.out)
	var live, file int
	for _, f := range doc.Findings {
		switch {
		case f.Location.Engine == d.Host && f.Subject.Kind == "host":
			t.Logf("host finding %s: %s", f.Slug, f.Message)
		case f.Location.Engine == d.Host:
			live++
			if f.Subject.Host != d.Host || (f.Subject.Name != "web" && f.Subject.Name != "worker") {
				t.Errorf("live finding subject %+v", f.Subject)
			}
			if f.Slug == "privileged" && (f.Subject.Name != "web" || f.Location.Object != "container web" || f.Location.Field != "HostConfig.Privileged") {
				t.Errorf("privileged finding at %+v about %+v", f.Location, f.Subject)
			}
		case strings.HasSuffix(f.Location.Path, "Dockerfile"):
			file++
		}
	}
	if live == 0 || file == 0 {
		t.Errorf("%d live and %d file findings, want both", live, file)
	}
	if len(doc.Errors) != 1 || doc.Errors[0].Path != missing || !strings.Contains(doc.Errors[0].Message, "cannot reach") {
		t.Errorf("errors %+v, want one naming %s", doc.Errors, missing)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.out))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(inst); err != nil {
		t.Errorf("report does not match the schema: %v", err)
	}

	// Only the live engine: no folder is audited by default.
	r = run(t, "audit", "-H", d.Host, "--format", "json", "--fail-on", "critical")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (privileged is critical); stderr %s", r.code, r.err)
	}
	for _, f := range parseReport(t, r.out).Findings {
		if f.Location.Engine == "" && f.Subject.Kind != "host" {
			t.Errorf("a file finding without a path: %+v", f)
		}
	}

	// --timeout bounds the whole audit.
	r = run(t, "audit", "-H", d.Host, "--timeout", "1ns", "--format", "json")
	if r.code != 2 || !strings.Contains(r.out, "audit stopped") {
		t.Errorf("--timeout 1ns: exit %d, report %s", r.code, r.out)
	}
}

// TestEngineFromContext: --engine alone reads DOCKER_HOST, else the docker
// CLI's current context.
func TestEngineFromContext(t *testing.T) {
	d := liveDaemon(t)
	cfg := t.TempDir()
	write(t, filepath.Join(cfg, "config.json"), `{"currentContext": "dgtest"}`)
	sum := sha256.Sum256([]byte("dgtest"))
	write(t, filepath.Join(cfg, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json"),
		`{"Name":"dgtest","Metadata":{},"Endpoints":{"docker":{"Host":"`+d.Host+`","SkipTLSVerify":false}}}`)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("DOCKER_CONFIG", cfg)
	r := run(t, "audit", "--engine", "--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.err, r.out)
	}
	found := false
	for _, f := range parseReport(t, r.out).Findings {
		found = found || (f.Slug == "privileged" && f.Location.Engine == d.Host)
	}
	if !found {
		t.Errorf("no privileged finding from the context's engine: %s", r.out)
	}
	t.Setenv("DOCKER_HOST", d.Host)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if r := run(t, "audit", "--engine", "--format", "json", "--fail-on", "none"); r.code != 0 || !strings.Contains(r.out, d.Host) {
		t.Errorf("DOCKER_HOST: exit %d: %s", r.code, r.out)
	}
}
