package container

import "testing"

func TestSeccompHash(t *testing.T) {
	a, err := SeccompHash([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// The same profile reformatted, keys reordered: the CLI may send either.
	b, err := SeccompHash([]byte("{\n  \"syscalls\": [ {\"action\": \"SCMP_ACT_ALLOW\", \"names\": [\"read\"]} ],\n  \"defaultAction\": \"SCMP_ACT_ERRNO\"\n}\n"))
	if err != nil || a != b {
		t.Errorf("reformatted profile: %s, %v; want %s", b, err, a)
	}
	c, _ := SeccompHash([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`))
	if c == a {
		t.Errorf("a profile that allows every call hashes like one that does not")
	}
	// A number is kept as written, not rounded through float64.
	d, _ := SeccompHash([]byte(`{"defaultErrnoRet":1,"x":12345678901234567890}`))
	e, _ := SeccompHash([]byte(`{"defaultErrnoRet":1,"x":12345678901234567891}`))
	if d == e {
		t.Errorf("numbers that differ hash alike")
	}
	for _, bad := range []string{``, `[]`, `{"a":1} {}`, `{"a":`, `"x"`} {
		if _, err := SeccompHash([]byte(bad)); err == nil {
			t.Errorf("%q hashed", bad)
		}
	}
}
