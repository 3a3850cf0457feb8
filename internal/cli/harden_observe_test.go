package cli_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestHardenObserveCLI: harden --observe -H reads a private daemon's
// running container (150 MiB held in a tmpfs) and writes its memory limit
// from that usage; the image's VOLUME, read from the same daemon, is
// named in a note.
func TestHardenObserveCLI(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	d.BuildImage(t, "dg-bb:1", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\nVOLUME /data\n",
		testenv.Files{"busybox": testenv.Busybox(t)})
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "eater",
		Config:     &container.Config{Image: "dg-bb:1", Cmd: []string{"sh", "-c", "dd if=/dev/zero of=/mem/x bs=1M count=150 2>/dev/null && echo written && sleep 3600"}},
		HostConfig: &container.HostConfig{Tmpfs: map[string]string{"/mem": "size=200m"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	// Wait until the container says it wrote the file.
	for try := 0; ; try++ {
		logs, err := d.Client.ContainerLogs(ctx, res.ID, client.ContainerLogsOptions{ShowStdout: true})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(logs)
		logs.Close()
		if strings.Contains(string(b), "written") {
			break
		}
		if try == 120 {
			t.Fatal("the container never wrote its 150 MiB")
		}
		time.Sleep(250 * time.Millisecond)
	}
	r := run(t, "harden", "--observe", "-H", d.Host, "--run", "docker run -d --name eater dg-bb:1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	t.Logf("stdout: %sstderr:\n%s", r.out, r.err)
	// 150 MiB (plus a little) x 2, rounded up to 64 MiB: 320m or 384m.
	if !strings.Contains(r.out, "--memory 320m --memory-swap 320m") && !strings.Contains(r.out, "--memory 384m --memory-swap 384m") {
		t.Errorf("memory not from usage: %s", r.out)
	}
	if !strings.Contains(r.err, "from the observed peak") || !strings.Contains(r.err, "VOLUME /data is not mounted") {
		t.Errorf("notes: %s", r.err)
	}
}
