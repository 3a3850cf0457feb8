package host

import "testing"

// FuzzDaemonConfig feeds daemon.json contents: parsing never panics, and
// every recorded key line is inside the file.
func FuzzDaemonConfig(f *testing.F) {
	for _, s := range []string{"", "{}", `{"icc": false}`, "{\n \"default-ulimits\": {\"nofile\": {\"Soft\": 1}}\n}", `{"a": [1, {"b": 2}]}`, `{"\"q\"": 1}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseDaemonConfig("/etc/docker/daemon.json", data)
		if err != nil {
			return
		}
		lines := 1
		for _, b := range data {
			if b == '\n' {
				lines++
			}
		}
		for k, l := range c.lines {
			if l < 1 || l > lines {
				t.Fatalf("key %q at line %d of %d", k, l, lines)
			}
		}
		c.bool("icc")
		c.ulimits()
		c.strings("hosts")
	})
}

// FuzzCommandLine feeds /proc/<pid>/cmdline contents.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{"dockerd\x00-H\x00tcp://0.0.0.0:2375\x00", "dockerd\x00--icc=false\x00-Hunix:///a\x00-", "\x00\x00-", "dockerd\x00-\x00--\x00--x="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := parseCommandLine("/proc/1/cmdline", data)
		for name, vs := range c.flags {
			for _, v := range vs {
				if v.Offset < 0 || v.Offset > len(data) {
					t.Fatalf("flag %q at offset %d of %d", name, v.Offset, len(data))
				}
			}
		}
	})
}
