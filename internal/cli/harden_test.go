package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHardenRun(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, filepath.Join(dir, ".dockguard.yaml"), "maxMemory: 256m\nmaxPids: 100\nmaxRestartRetries: 3\n")
	r := run(t, "harden", "--config", cfg, "--run", "docker run -d --restart always -p 8080:80 --privileged nginx:1.27")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	want := "docker run -d --restart on-failure:3 -p 127.0.0.1:8080:80 --privileged --user 10001:10001 --read-only --tmpfs /tmp --tmpfs /var/cache/nginx --tmpfs /var/run --cap-drop ALL --security-opt no-new-privileges --memory 256m --memory-swap 256m --cpus 1 --pids-limit 100 --ulimit nofile=1024:2048 --ulimit nproc=512 nginx:1.27\n"
	if r.out != want {
		t.Errorf("stdout\n got %q\nwant %q", r.out, want)
	}
	if !strings.Contains(r.err, "manual: privileged (DG330)") {
		t.Errorf("the privileged flag is not listed for a manual fix:\n%s", r.err)
	}
	// Idempotent through the CLI too.
	again := run(t, "harden", "--config", cfg, "--run", strings.TrimSpace(r.out))
	if again.out != r.out {
		t.Errorf("second pass changed the line:\n%s%s", r.out, again.out)
	}
	// Public ports stay public with --public.
	pub := run(t, "harden", "--public", "--config", cfg, "--run", "docker run -p 8080:80 nginx:1.27")
	if !strings.Contains(pub.out, " -p 8080:80 ") {
		t.Errorf("--public rebound the port: %s", pub.out)
	}
	// A line docker refuses is an error, with nothing on stdout.
	bad := run(t, "harden", "--run", "docker run --frobnicate nginx")
	if bad.code == 0 || bad.out != "" {
		t.Errorf("a bad line: exit %d, stdout %q", bad.code, bad.out)
	}
	_ = os.Remove(cfg)
}

func TestHardenCompose(t *testing.T) {
	dir := t.TempDir()
	src := "# the app\nservices:\n  web:   # front\n    image: nginx:1.27\n    ports:\n      - \"8080:80\"\n    restart: always\n"
	path := write(t, filepath.Join(dir, "compose.yaml"), src)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	r := run(t, "harden", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"-      - \"8080:80\"\n", "+      - \"127.0.0.1:8080:80\"  # dockguard: port-all-interfaces (DG402)\n", "+    restart: \"on-failure:5\"  # dockguard: restart-policy (DG205)\n", "+    cap_drop: [ALL]"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the diff has no %q:\n%s", want, r.out)
		}
	}
	if data, _ := os.ReadFile(path); string(data) != src {
		t.Fatal("a diff run changed the file")
	}
	w := run(t, "harden", "--write", "--no-comments", path)
	if w.code != 0 || w.out != "" {
		t.Fatalf("--write: exit %d, stdout %q, stderr %s", w.code, w.out, w.err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# the app\nservices:\n  web:   # front\n") || strings.Contains(string(data), "dockguard:") {
		t.Errorf("comments not kept or --no-comments ignored:\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("permissions %v, want 0640", st.Mode().Perm())
	}
	if bak, err := os.ReadFile(path + ".bak"); err != nil || string(bak) != src {
		t.Errorf("no .bak with the old content: %v", err)
	}
	again := run(t, "harden", path)
	if again.out != "" {
		t.Errorf("second pass has a diff:\n%s", again.out)
	}
	// A file that does not parse is never rewritten.
	bad := write(t, filepath.Join(t.TempDir(), "compose.yaml"), "services:\n  web: [\n")
	b := run(t, "harden", "--write", bad)
	if b.code == 0 {
		t.Error("a broken file was accepted")
	}
	if data, _ := os.ReadFile(bad); string(data) != "services:\n  web: [\n" {
		t.Error("a broken file was rewritten")
	}
}

func TestHardenDaemon(t *testing.T) {
	path := write(t, filepath.Join(t.TempDir(), "daemon.json"), "{\n  \"debug\": true\n}\n")
	r := run(t, "harden", "daemon", path)
	if r.code != 0 || !strings.Contains(r.out, "+  \"icc\": false,\n") || !strings.Contains(r.err, "userns-remap") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if w := run(t, "harden", "daemon", "--write", path); w.code != 0 {
		t.Fatalf("--write: %s", w.err)
	}
	if again := run(t, "harden", "daemon", path); again.out != "" {
		t.Errorf("second pass has a diff:\n%s", again.out)
	}
	if _, err := os.Stat(path + ".bak"); err != nil {
		t.Error("no .bak")
	}
}

// TestHardenEngineTLSFlags: -H takes the TLS flags the audit takes; a CA
// file that cannot be read is an error naming it, for --engine and for
// --observe, and nothing is printed on stdout.
func TestHardenEngineTLSFlags(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "missing-ca.pem")
	for _, args := range [][]string{
		{"harden", "--engine", "-H", "tcp://127.0.0.1:1", "--tlsverify", "--tlscacert", ca},
		{"harden", "--observe", "-H", "tcp://127.0.0.1:1", "--tlsverify", "--tlscacert", ca, "--run", "docker run nginx"},
	} {
		r := run(t, args...)
		if r.code == 0 || r.out != "" || !strings.Contains(r.err, ca) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.out, r.err)
		}
	}
}
