package harden_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/harden"
)

func TestDaemon(t *testing.T) {
	cases := []string{
		"",
		"{}",
		"{\n    \"log-driver\": \"json-file\",\n    \"icc\": true,\n    \"userland-proxy\": true\n}\n",
		"{\"debug\":true}",
		"{\n  \"icc\": false,\n  \"userns-remap\": \"dockremap\",\n  \"no-new-privileges\": true,\n  \"live-restore\": true,\n  \"userland-proxy\": false,\n  \"default-ulimits\": {\"nofile\": {\"Name\": \"nofile\", \"Soft\": 1, \"Hard\": 2}, \"nproc\": {\"Name\": \"nproc\", \"Soft\": 3, \"Hard\": 3}}\n}\n",
	}
	for _, src := range cases {
		path := filepath.Join(t.TempDir(), "daemon.json")
		if src != "" {
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := harden.Daemon(path)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(res.New), &m); err != nil {
			t.Fatalf("%q → %q: %v", src, res.New, err)
		}
		if m["icc"] != false || m["no-new-privileges"] != true || m["live-restore"] != true || m["userland-proxy"] != false || m["userns-remap"] == "" || m["default-ulimits"] == nil {
			t.Errorf("%q → %s", src, res.New)
		}
		if strings.Contains(src, "log-driver") && (!strings.Contains(res.New, "\n    \"log-driver\": \"json-file\",\n    \"icc\": false,\n") || !strings.Contains(res.New, "\n    \"userns-remap\"")) {
			t.Errorf("formatting not kept:\n%s", res.New)
		}
		if strings.Contains(src, "dockremap") && res.Changed() {
			t.Errorf("a hardened file changed:\n%s", res.New)
		}
		if err := os.WriteFile(path, []byte(res.New), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := harden.Daemon(path)
		if err != nil || again.Changed() {
			t.Errorf("not idempotent: %v\n%s\n%s", err, res.New, again.New)
		}
	}
	bad := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(bad, []byte("{\"icc\": tru"), 0o644)
	if _, err := harden.Daemon(bad); err == nil {
		t.Error("invalid JSON accepted")
	}
}
