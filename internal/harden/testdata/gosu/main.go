// Command gosu stands in for gosu in harden's integration test, built
// static so that it runs FROM scratch:
//
//	gosu UID:GID COMMAND [ARG]...
//
// Started as root, it does what a privilege-dropping entrypoint does: it
// gives /tmp to UID:GID (chown, which needs CAP_CHOWN), drops the
// supplementary groups and switches group (CAP_SETGID) and user
// (CAP_SETUID), then runs COMMAND in its place. Started as any other user
// it runs COMMAND at once, as the service still has to work when a
// hardened configuration sets a user.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: gosu UID:GID COMMAND [ARG]...")
	}
	u, g, ok := strings.Cut(os.Args[1], ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || uid <= 0 || gid <= 0 {
		fail("gosu: " + os.Args[1] + " is not UID:GID (numbers, not root)")
	}
	if os.Getuid() == 0 {
		if err := os.Chown("/tmp", uid, gid); err != nil {
			fail("gosu: " + err.Error())
		}
		if err := syscall.Setgroups(nil); err != nil {
			fail("gosu: setgroups: " + err.Error())
		}
		if err := syscall.Setgid(gid); err != nil {
			fail("gosu: setgid: " + err.Error())
		}
		if err := syscall.Setuid(uid); err != nil {
			fail("gosu: setuid: " + err.Error())
		}
		if os.Getuid() != uid || os.Getgid() != gid {
			fail(fmt.Sprintf("gosu: still uid %d gid %d", os.Getuid(), os.Getgid()))
		}
	}
	if err := syscall.Exec(os.Args[2], os.Args[2:], os.Environ()); err != nil {
		fail("gosu: exec " + os.Args[2] + ": " + err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}
