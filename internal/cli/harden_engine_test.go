package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestHardenEngineRecreate runs harden -H against a private daemon with a
// running container that needs a re-create: stdout holds its docker update
// command and, commented out, its hardened docker run line (which parses);
// stderr says why and which environment values were left out; the token in
// its environment is printed nowhere.
func TestHardenEngineRecreate(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	d.BuildImage(t, "dgtest/app:1", "FROM scratch\nCOPY app /\nENTRYPOINT [\"/app\"]\nCMD [\"sleep\", \"0\"]\n", testenv.Files{"app": testenv.App(t)})
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "web",
		Config:     &container.Config{Image: "dgtest/app:1", Env: []string{"GITHUB_TOKEN=ghp_" + secretBody}},
		HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "always"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	r := run(t, "harden", "-H", d.Host)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", r.out, r.err)
	if strings.Contains(r.out+r.err, secretBody) {
		t.Errorf("the token is printed")
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "docker update ") ||
		!strings.HasPrefix(lines[1], "# web: re-create for root-user, ") || !strings.HasPrefix(lines[2], "# docker run -d --name web ") {
		t.Fatalf("stdout:\n%s", r.out)
	}
	run := strings.TrimPrefix(lines[2], "# ")
	// The image's own command is left to the image.
	if !strings.HasSuffix(run, " dgtest/app:1") {
		t.Errorf("hardened line does not end with the image: %s", run)
	}
	for _, want := range []string{"-e GITHUB_TOKEN ", "--user 10001:10001", "--restart on-failure:5", "--read-only", "--cap-drop ALL"} {
		if !strings.Contains(run, want) {
			t.Errorf("hardened line lacks %q: %s", want, run)
		}
	}
	if _, err := runcmd.ParseLine(run, 1); err != nil {
		t.Errorf("hardened line does not parse: %v", err)
	}
	if !strings.Contains(r.err, "web: needs re-creating for root-user") || !strings.Contains(r.err, "not printed (they may be secrets): GITHUB_TOKEN") {
		t.Errorf("stderr:\n%s", r.err)
	}
}
