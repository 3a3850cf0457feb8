package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/agent"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// The repository's own Dockerfile passes its own audit with no finding at
// all: not one hidden by an ignore comment or the configuration.
func TestOwnDockerfileAudit(t *testing.T) {
	df := filepath.Join("..", "..", "Dockerfile")
	r := run(t, "audit", "--format", "json", "--show-ignored", df)
	if r.code != 0 {
		t.Errorf("audit %s: exit %d, stderr %s", df, r.code, r.err)
	}
	doc := parseReport(t, r.out)
	for _, f := range doc.Findings {
		t.Errorf("%s:%d: %s (%s): %s", df, f.Location.Line, f.Slug, f.Severity, f.Message)
	}
	if len(doc.Errors) > 0 || len(doc.Ignored) > 0 {
		t.Errorf("errors %+v, ignored %+v", doc.Errors, doc.Ignored)
	}
}

const (
	imageTestVersion = "v0.0.0-imagetest"
	imageTestCommit  = "0123456789abcdef0123456789abcdef01234567"
)

// buildStamped builds dockguard as the release does (static, -trimpath,
// version and commit stamped) for linux/GOARCH.
func buildStamped(t *testing.T, goarch string) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build the image's binary: %v", err)
	}
	out := filepath.Join(t.TempDir(), "dockguard")
	pkg := "github.com/dockguard/dockguard/internal/cli"
	cmd := exec.Command(goBin, "build", "-trimpath", "-buildvcs=false",
		"-ldflags", fmt.Sprintf("-s -w -X %s.Version=%s -X %s.Commit=%s", pkg, imageTestVersion, pkg, imageTestCommit),
		"-o", out, "github.com/dockguard/dockguard/cmd/dockguard")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runToEnd runs a container to its exit and returns its exit code and
// output.
func runToEnd(t *testing.T, d *testenv.Daemon, cfg *container.Config, hc *container.HostConfig) (int64, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cr, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Client.ContainerRemove(context.Background(), cr.ID, client.ContainerRemoveOptions{Force: true})
	if _, err := d.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start %v: %v", cfg.Cmd, err)
	}
	w := d.Client.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{})
	var code int64
	select {
	case r := <-w.Result:
		code = r.StatusCode
	case err := <-w.Error:
		t.Fatal(err)
	}
	logs, err := d.Client.ContainerLogs(ctx, cr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, logs); err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// TestOwnImage builds dockguard's image from the repository's Dockerfile
// and .dockerignore on a private daemon, with a binary built as the
// release builds it, then runs it locked down (read-only root, no
// capabilities, no-new-privileges, its own non-root user): `version`
// prints the stamped version and commit, there is no shell to start, the
// agent it runs by default follows the daemon's socket, its HEALTHCHECK
// turns healthy and its /report names the host files not mounted, and the
// image's own audit finds nothing about the image (asked by tag, one low
// finding says so).
func TestOwnImage(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		// The legacy builder has no TARGETARCH of its own: the
		// Dockerfile's default is amd64.
		t.Skipf("the Dockerfile's default TARGETARCH is amd64; this is %s", runtime.GOARCH)
	}
	d := testenv.Start(t, testenv.Options{})
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := os.ReadFile(filepath.Join("..", "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	const ref = "dockguard:imagetest"
	id := d.BuildImage(t, ref, string(dockerfile), testenv.Files{
		".dockerignore":              ignore,
		"dist/linux_amd64/dockguard": buildStamped(t, "amd64"),
	})
	ctx := context.Background()
	img, err := d.Client.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	cfg := img.Config
	if cfg.User != "65532:65532" || len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != "/dockguard" || cfg.Healthcheck == nil || len(cfg.Healthcheck.Test) < 4 || cfg.Healthcheck.Test[1] != "/dockguard" || cfg.Healthcheck.Test[3] != "health" {
		t.Errorf("image config: user %q, entrypoint %q, healthcheck %+v", cfg.User, cfg.Entrypoint, cfg.Healthcheck)
	}
	if v := cfg.Labels["org.opencontainers.image.title"]; v != "dockguard" {
		t.Errorf("title label %q", v)
	}
	if n := len(img.RootFS.Layers); n != 1 {
		t.Errorf("%d layers, want 1 (the binary alone)", n)
	}

	locked := func() *container.HostConfig {
		return &container.HostConfig{ReadonlyRootfs: true, CapDrop: []string{"ALL"}, SecurityOpt: []string{"no-new-privileges"}, NetworkMode: "none"}
	}
	code, out := runToEnd(t, d, &container.Config{Image: ref, Cmd: []string{"version"}}, locked())
	if want := "dockguard " + imageTestVersion + " (commit " + imageTestCommit + ")\n"; code != 0 || out != want {
		t.Errorf("version in the image: exit %d, %q; want %q", code, out, want)
	}
	// No shell: a container asked to run one does not start.
	if cr, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: ref, Entrypoint: []string{"/bin/sh"}, Cmd: []string{"-c", "true"}}, HostConfig: locked(),
	}); err == nil {
		_, serr := d.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{})
		if serr == nil {
			t.Errorf("/bin/sh started in the image")
		}
		d.Client.ContainerRemove(ctx, cr.ID, client.ContainerRemoveOptions{Force: true})
	}

	// The default command is the agent. Given the daemon's socket (and
	// its group), it follows the daemon, and the image's HEALTHCHECK,
	// run more often here, reports it healthy.
	sock := strings.TrimPrefix(d.Host, "unix://")
	var st syscall.Stat_t
	if err := syscall.Stat(sock, &st); err != nil {
		t.Fatal(err)
	}
	// Host files, read-only at their own paths: the daemon's daemon.json
	// (a readable copy) and the package records; the rest are missing.
	daemonJSON, err := os.ReadFile(filepath.Join(d.Dir, "daemon.json"))
	if err != nil {
		t.Fatal(err)
	}
	hostDir := t.TempDir()
	write(t, filepath.Join(hostDir, "daemon.json"), string(daemonJSON))
	write(t, filepath.Join(hostDir, "status"), "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+deb12u1\n\n")
	hc := locked()
	hc.Binds = []string{sock + ":/var/run/docker.sock",
		filepath.Join(hostDir, "daemon.json") + ":/etc/docker/daemon.json:ro",
		filepath.Join(hostDir, "status") + ":/var/lib/dpkg/status:ro"}
	hc.GroupAdd = []string{strconv.Itoa(int(st.Gid))}
	cr, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "dockguard-agent",
		Config:     &container.Config{Image: ref, Healthcheck: &container.HealthConfig{Interval: 500 * time.Millisecond, StartPeriod: 10 * time.Second}},
		HostConfig: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Client.ContainerRemove(context.Background(), cr.ID, client.ContainerRemoveOptions{Force: true})
	if _, err := d.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for {
		res, err := d.Client.ContainerInspect(ctx, cr.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Container.State
		if s.Health != nil && s.Health.Status == container.Healthy {
			t.Logf("the agent in the image is healthy after %v: %s", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(s.Health.Log[len(s.Health.Log)-1].Output))
			break
		}
		if !s.Running || time.Since(t0) > 45*time.Second {
			var last string
			if s.Health != nil && len(s.Health.Log) > 0 {
				last = s.Health.Log[len(s.Health.Log)-1].Output
			}
			logs, _ := d.Client.ContainerLogs(ctx, cr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
			var lb bytes.Buffer
			if logs != nil {
				_, _ = stdcopy.StdCopy(&lb, &lb, logs)
				logs.Close()
			}
			t.Fatalf("agent container: running %v, health %+v, last check %q\nlogs:\n%s", s.Running, s.Health, last, lb.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// /report, asked inside the container by the binary itself (there is
	// no curl), names the host checks it could not make, and only those.
	report := execOut(t, d, cr.ID, "/dockguard", "agent", "health", "--url", "http://127.0.0.1:9323/report")
	doc := parseReport(t, report)
	notes := map[string]bool{}
	for _, n := range doc.Notes {
		if f, ok := strings.CutPrefix(n.Message, "host check not made: "); ok {
			t.Logf("/report note: %s", n.Message)
			notes[strings.Fields(f)[0]] = true
		}
	}
	for _, f := range []string{"/usr/share/doc", "/etc/passwd", "/etc/group", "/sys/fs/selinux", agent.DockerdCommandLine} {
		if !notes[f] {
			t.Errorf("/report notes do not name %s as missing: %+v", f, doc.Notes)
		}
	}
	for _, f := range []string{"/etc/docker/daemon.json", "/var/lib/dpkg/status"} {
		if notes[f] {
			t.Errorf("/report notes name the mounted %s as missing", f)
		}
	}
	// The same, logged at start.
	logs, err := d.Client.ContainerLogs(ctx, cr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var lb bytes.Buffer
	_, _ = stdcopy.StdCopy(&lb, &lb, logs)
	logs.Close()
	if !strings.Contains(lb.String(), `level=WARN msg="host check not made: /etc/passwd is not mounted`) || strings.Contains(lb.String(), "made: /etc/docker/daemon.json") {
		t.Errorf("the agent's start-up log does not name exactly the missing host files:\n%s", lb.String())
	}
	// The mounted daemon.json is read: host findings point into it.
	var fromFile int
	for _, f := range doc.Findings {
		if f.Location.Path == "/etc/docker/daemon.json" {
			fromFile++
		}
	}
	if fromFile == 0 {
		t.Errorf("no finding located in the mounted /etc/docker/daemon.json")
	}

	// The image's own audit, read from the daemon (DOCKER_HOST, not -H,
	// which would audit the engine's containers and host as well).
	t.Setenv("DOCKER_HOST", d.Host)
	r := run(t, "audit", "--format", "json", "--image", "daemon:"+ref, "--image", "daemon:"+id)
	doc = parseReport(t, r.out)
	if len(doc.Errors) > 0 {
		t.Errorf("audit --image: errors %+v (stderr %s)", doc.Errors, r.err)
	}
	// Its one finding is about how it was named here (a tag, not a
	// digest), and none about the image: asked by ID, it has none.
	for _, f := range doc.Findings {
		t.Logf("image finding: %s (%s): %s", f.Slug, f.Severity, f.Message)
		if f.Slug != "image-unpinned" || !strings.Contains(f.Message, "named by tag") || f.Severity.Rank() > rules.Low.Rank() {
			t.Errorf("image finding: %s (%s): %s", f.Slug, f.Severity, f.Message)
		}
	}
	t.Logf("audit --image daemon:%s --image daemon:%s: %d findings", ref, id, len(doc.Findings))
}

// execOut runs a command in a running container and returns its standard
// output.
func execOut(t *testing.T, d *testenv.Daemon, id string, cmd ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := d.Client.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	ea, err := d.Client.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ea.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, ea.Reader); err != nil {
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Errorf("%v: stderr %s", cmd, stderr.String())
	}
	return stdout.String()
}
