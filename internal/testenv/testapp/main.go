// Command testapp is the program inside dockguard's test images: built
// static (CGO_ENABLED=0) so it runs in an image FROM scratch.
//
//	testapp                    print the ids and exit 0
//	testapp sleep SECONDS      sleep, then exit 0 (0 or less: forever)
//	testapp exit CODE          exit with CODE at once (for restart loops)
//	testapp serve ADDR         answer HTTP on ADDR
//	testapp setuid UID CMD…    switch to UID, as gosu does, then run CMD…
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
		return
	}
	switch args[0] {
	case "sleep":
		n := arg(args, 1)
		d := time.Duration(n) * time.Second
		if n <= 0 {
			d = 1 << 62
		}
		// As PID 1 a signal without a handler is ignored: stop on SIGTERM
		// so containers stop at once.
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		select {
		case <-time.After(d):
		case <-stop:
		}
	case "exit":
		os.Exit(arg(args, 1))
	case "serve":
		addr := ":8080"
		if len(args) > 1 {
			addr = args[1]
		}
		http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		fmt.Fprintln(os.Stderr, http.ListenAndServe(addr, nil))
		os.Exit(1)
	case "setuid":
		uid := arg(args, 1)
		if len(args) < 3 {
			fail("setuid UID CMD…")
		}
		if err := syscall.Setgid(uid); err != nil {
			fail("setgid: " + err.Error())
		}
		if err := syscall.Setuid(uid); err != nil {
			fail("setuid: " + err.Error())
		}
		if err := syscall.Exec(args[2], args[2:], os.Environ()); err != nil {
			fail("exec: " + err.Error())
		}
	default:
		fail("unknown command " + args[0])
	}
}

func arg(args []string, i int) int {
	if len(args) <= i {
		return 0
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		fail(err.Error())
	}
	return n
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "testapp:", msg)
	os.Exit(2)
}
