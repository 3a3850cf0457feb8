package enforce

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/client"
)

// TestProxyWarnModeWarnings: in warn mode the proxy lets a create the
// profile denies through and adds the would-be denial to the answer's
// Warnings, which the real docker CLI prints; the daemon has the
// container as asked. In enforce mode the same create is refused and the
// daemon has nothing.
func TestProxyWarnModeWarnings(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI")
	}
	d := testenv.Start(t, testenv.Options{})
	d.BuildImage(t, "dg-hardened:test", "FROM scratch\nCOPY app /\nUSER 10001:10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	upstream := strings.TrimPrefix(d.Host, "unix://")
	ctx := context.Background()
	run := func(sock string, args ...string) (string, string, error) {
		cmd := exec.Command(docker, append([]string{"-H", "unix://" + sock}, args...)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}

	warn := startProxy(t, New(Settings{Config: config.Enforce{Mode: "warn"}}, &EngineImages{Client: d.Client}), upstream)
	out, errOut, err := run(warn, "create", "--name", "tried", "--privileged", "dg-hardened:test")
	if err != nil {
		t.Fatalf("warn mode: docker create --privileged: %v: %s%s", err, out, errOut)
	}
	t.Log(errOut)
	if want := "WARNING: dockguard warn mode let this through; enforced, it would be denied by baseline@v1: privileged (DG330): "; !strings.Contains(errOut, want) {
		t.Errorf("the CLI printed no dockguard warning %q: %s", want, errOut)
	}
	res, err := d.Client.ContainerInspect(ctx, "tried", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("the container warn mode let through is not on the daemon: %v", err)
	}
	if id := strings.TrimSpace(out); id != res.Container.ID || !res.Container.HostConfig.Privileged {
		t.Errorf("the CLI printed %q; the daemon has %s, privileged %v", id, res.Container.ID, res.Container.HostConfig.Privileged)
	}
	// A create the profile allows gets no warning.
	if _, errOut, err := run(warn, "create", "--name", "fine", "--cap-drop", "ALL", "dg-hardened:test"); err != nil || strings.Contains(errOut, "dockguard") {
		t.Errorf("allowed create: %v: %s", err, errOut)
	}

	enforce := startProxy(t, New(Settings{}, &EngineImages{Client: d.Client}), upstream)
	if _, errOut, err := run(enforce, "create", "--name", "refused", "--privileged", "dg-hardened:test"); err == nil || !strings.Contains(errOut, "authorization denied by dockguard: denied by baseline@v1: privileged (DG330)") {
		t.Errorf("enforce mode: docker create --privileged: %v: %s", err, errOut)
	}
	if _, err := d.Client.ContainerInspect(ctx, "refused", client.ContainerInspectOptions{}); err == nil {
		t.Errorf("enforce mode: the refused container is on the daemon")
	}
}
