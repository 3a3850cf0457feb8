package host

import (
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// This file finds the dockerd process behind the engine under /proc, whose
// command line (cmdline.go) and environment say how it was started.

// findDockerd finds the dockerd that serves the engine's socket: the one
// whose -H names it, or, for the default socket, one without -H.
func (b *builder) findDockerd() int {
	entries, err := os.ReadDir(hostPath(b.root, "/proc"))
	if err != nil {
		return 0
	}
	want := strings.TrimPrefix(b.engine, "unix://")
	fallback := 0
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid)
		data, err := os.ReadFile(hostPath(b.root, dir+"/cmdline"))
		if err != nil || len(data) == 0 {
			continue
		}
		argv0, _, _ := strings.Cut(string(data), "\x00")
		if path.Base(argv0) != "dockerd" {
			continue
		}
		cmd := parseCommandLine(dir+"/cmdline", data)
		hosts := cmd.get("host")
		if len(hosts) == 0 {
			if want == "" || want == strings.TrimPrefix(DefaultSocket, "unix://") || want == "/run/docker.sock" {
				fallback = pid
			}
			continue
		}
		for _, hv := range hosts {
			if a := strings.TrimPrefix(hv.Value, "unix://"); a == want || hv.Value == b.engine {
				return pid
			}
		}
	}
	return fallback
}

// parseEnviron reads /proc/<pid>/environ: some dockerd defaults come from
// its environment (DOCKER_TLS_VERIFY).
func parseEnviron(data []byte) map[string]string {
	env := map[string]string{}
	for _, kv := range strings.Split(string(data), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
