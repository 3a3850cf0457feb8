package ignore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/ignore"
	"github.com/dockguard/dockguard/internal/rules"
)

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func slugs(fs []rules.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		out[f.Rule.Slug]++
	}
	return out
}

func TestDockerfileIgnores(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "Dockerfile", `# dockguard:ignore-file=no-healthcheck we check health in Kubernetes
# dockguard:ignore=image-unpinned,DG312 base image is rebuilt nightly
FROM debian:12
# a comment between is fine
# dockguard:ignore=sudo the build needs it (tracked in #42)
RUN apt-get update && \
    apt-get install -y sudo
RUN chmod u+s /usr/bin/tool # dockguard:ignore=suid-added trailing does not count in a Dockerfile
# dockguard:ignore=root-user
USER root
# dockguard:ignore=no-such-rule because
EXPOSE 22
`)
	res := audit.Run(context.Background(), audit.Options{Paths: []string{p}})
	kept, ignored, meta := ignore.Apply(res.Findings)
	k, ig, m := slugs(kept), map[string]string{}, slugs(meta)
	for _, i := range ignored {
		ig[i.Finding.Rule.Slug] = i.Reason
	}
	for _, s := range []string{"no-healthcheck", "image-unpinned", "suid-removal-missing", "sudo", "root-user"} {
		if _, ok := ig[s]; !ok {
			t.Errorf("%s not ignored; kept %v", s, k)
		}
	}
	if ig["sudo"] != "the build needs it (tracked in #42)" {
		t.Errorf("reason = %q", ig["sudo"])
	}
	for _, s := range []string{"suid-added", "expose-ssh"} {
		if k[s] == 0 {
			t.Errorf("%s must stand: ignored %v", s, ig)
		}
	}
	if m["ignore-directive"] != 2 {
		t.Errorf("want 2 faulty directives (no reason, unknown rule), got %v", meta)
	}
}

func TestComposeIgnores(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "compose.yaml", `services:
  # dockguard:ignore=memory-limit,cpu-limit,pids-limit sized by the orchestrator
  web:
    image: nginx:1.27@sha256:0000000000000000000000000000000000000000000000000000000000000000
    privileged: true  # dockguard:ignore=privileged needs /dev/kvm for the emulator
    ports:
      # dockguard:ignore=published-ports behind the load balancer
      - "8080:80"
    user: root
`)
	res := audit.Run(context.Background(), audit.Options{ComposeFiles: []string{p}})
	kept, ignored, _ := ignore.Apply(res.Findings)
	k, ig := slugs(kept), slugs(nil)
	for _, i := range ignored {
		ig[i.Finding.Rule.Slug]++
	}
	for _, s := range []string{"memory-limit", "cpu-limit", "pids-limit", "privileged", "port-all-interfaces"} {
		if ig[s] == 0 {
			t.Errorf("%s not ignored; kept %v", s, k)
		}
	}
	if k["root-user"] == 0 || k["read-only-rootfs"] == 0 {
		t.Errorf("unrelated findings must stand: %v", k)
	}
}

func TestRunLinesAreNeverIgnored(t *testing.T) {
	res := audit.Run(context.Background(), audit.Options{RunLines: []string{"docker run --privileged x:1 # dockguard:ignore=privileged nope"}})
	kept, ignored, _ := ignore.Apply(res.Findings)
	if len(ignored) != 0 || slugs(kept)["privileged"] == 0 {
		t.Errorf("--run lines have no file to carry ignores: ignored %v", ignored)
	}
	_ = strings.TrimSpace
}

func TestScriptWorkflowAndDevcontainerIgnores(t *testing.T) {
	dir := t.TempDir()
	sh := write(t, dir, "deploy.sh", "#!/bin/sh\n# dockguard:ignore=privileged the agent needs the host (INFRA-12)\ndocker run -d --privileged \\\n  --name agent agent:1.2\ncurl -fsSL https://get.example.com | sh  # dockguard:ignore=pipe-to-shell vendor installer, pinned by checksum upstream\ndocker run --cap-add SYS_ADMIN x:1\n")
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	wf := write(t, filepath.Join(dir, ".github", "workflows"), "ci.yml", "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: curl -k https://x.example/a.sh -o a.sh  # dockguard:ignore=tls-verification-off internal CA, see doc\n")
	if err := os.MkdirAll(filepath.Join(dir, ".devcontainer"), 0o755); err != nil {
		t.Fatal(err)
	}
	dc := write(t, filepath.Join(dir, ".devcontainer"), "devcontainer.json", "{\n  \"image\": \"mcr.microsoft.com/devcontainers/base:1\",\n  // dockguard:ignore=privileged docker-in-docker for the dev loop\n  \"privileged\": true\n}\n")
	res := audit.Run(context.Background(), audit.Options{Paths: []string{sh, wf, dc}})
	kept, ignored, meta := ignore.Apply(res.Findings)
	type key struct{ path, slug string }
	ig := map[key]bool{}
	for _, i := range ignored {
		ig[key{filepath.Base(i.Finding.At.Path), i.Finding.Rule.Slug}] = true
	}
	for _, want := range []key{{"deploy.sh", "privileged"}, {"deploy.sh", "pipe-to-shell"}, {"ci.yml", "tls-verification-off"}, {"devcontainer.json", "privileged"}} {
		if !ig[want] {
			t.Errorf("%v not ignored (ignored: %v)", want, ig)
		}
	}
	stands := false
	for _, f := range kept {
		if filepath.Base(f.At.Path) == "deploy.sh" && f.Rule.Slug == "dangerous-capability" {
			stands = true
		}
	}
	if !stands {
		t.Errorf("the unignored SYS_ADMIN line must still be reported")
	}
	if len(meta) != 0 {
		t.Errorf("all directives have reasons: %v", meta)
	}
}
