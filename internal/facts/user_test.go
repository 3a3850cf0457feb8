package facts

import "testing"

func TestIsRootUser(t *testing.T) {
	for u, want := range map[string]bool{
		"root": true, "ROOT": true, "0": true, "00": true, "+0": true, "0:0": true, "root:1000": true, " 0 ": true,
		"4294967296": true, "-4294967296": true, "1000": false, "app": false, "": false, "1000:0": false,
		"4294967297": false, ":": true, ":1000": true, " :0": true,
	} {
		if got := IsRootUser(u); got != want {
			t.Errorf("IsRootUser(%q) = %v, want %v", u, got, want)
		}
	}
}
