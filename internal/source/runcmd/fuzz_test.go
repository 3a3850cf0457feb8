package runcmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
)

var seeds = []string{
	`docker run -d --privileged -v /:/host nginx`,
	`docker run -m512m --memory-swap=-1 --cpus 1.5 -itd --rm=false alpine sh -c 'echo hi'`,
	`sudo docker -H tcp://x container run --restart on-failure:3 --ulimit nofile=2048:1024 nginx`,
	`podman --remote run --userns=keep-id --cap-add NET_ADMIN,SYS_TIME -p 127.0.0.1:8080:80 quay.io/x`,
	`docker run --memory "$MEM" -u "$(id -u)" -v "$(pwd)":/app -e "A=$B" --env-file "$F" $IMAGE`,
	`docker run -p "[::1]:80:80" -p 8080-8090:80-90 --expose 7000-7002/udp -P nginx`,
	`docker run --mount type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock --device /dev/sda:/dev/xvda:r nginx`,
	"docker run \\\n --security-opt label:disable \\\n --security-opt=no-new-privileges:false nginx",
	`docker run -- nginx -x; docker create -test.v --name a b && sh -c 'podman run c'`,
	`docker run --$X -$Y -i$Z --env-file /dev/null nginx`,
	`docker run --memory 12q nginx`,
	`docker run -`,
	`docker run ---x`,
	`docker run --=x`,
	`docker run -mtest.x`,
	`docker --cloud run x`,
}

// FuzzParseLine: no command line may panic; every error is an *Error at a
// location; every result maps; and pflag and the position scanner always
// read a line the same way.
func FuzzParseLine(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	onDisagree = func(words []string) { panic("scanner and pflag disagree on " + strings.Join(words, " ")) }
	defer func() { onDisagree = func([]string) {} }()
	f.Fuzz(func(t *testing.T, line string) {
		res, err := ParseLine(line, 3)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if !strings.Contains(e.Error(), "--run #3") {
				t.Fatalf("error %q does not name --run #3", e.Error())
			}
			if res != nil {
				t.Fatal("results with an error")
			}
			return
		}
		if len(res) == 0 {
			t.Fatal("no result and no error")
		}
		for _, r := range res {
			c := container.Map(r.Spec)
			if c.Origin.Path != facts.RunPath || c.Origin.Index != 3 {
				t.Fatalf("origin %+v", c.Origin)
			}
			for f, at := range r.Spec.At {
				if at.Path != facts.RunPath && at.Line == 0 {
					t.Fatalf("%s at %+v", f, at)
				}
			}
		}
	})
}

// TestScannerAgreesWithPflag reads tricky word lists both ways.
func TestScannerAgreesWithPflag(t *testing.T) {
	lists := [][]string{
		{"-itd", "--rm", "nginx"},
		{"-m512m", "-p80:80", "x"},
		{"-p=80:80", "-i=false", "x"},
		{"-it=false", "x"},
		{"--memory", "--cpus", "x"},
		{"-m"},
		{"--bogus"},
		{"-Z"},
		{"---x"},
		{"--=x"},
		{"--", "-x"},
		{"-", "x"},
		{"", "x"},
		{"-itest.x", "-d", "y"},
		{"-test.v", "y"},
		{"--privileged=maybe", "x"},
		{"-e", "A=1", "--env=B", "x", "-e", "C"},
		{"--help"},
		{"-h", "host", "x"},
		{"--disable-content-trust", "false"},
		{"--tls-verify", "x"},
	}
	for _, tab := range []*flagTable{dockerRunTable, dockerCreateTable, podmanRunTable, podmanCreateTable, dockerGlobalTable, podmanGlobalTable, nerdctlGlobalTable} {
		for _, words := range lists {
			lit := make([]bool, len(words))
			for i := range lit {
				lit[i] = true
			}
			disagreed := false
			onDisagree = func([]string) { disagreed = true }
			tab.parseFlags(words, lit)
			onDisagree = func([]string) {}
			if disagreed {
				t.Errorf("scanner and pflag disagree on %q", words)
			}
		}
	}
}

// TestTables: every table builds a pflag set (pflag panics on a shorthand
// defined twice) and aliases point at real flags.
func TestTables(t *testing.T) {
	for _, tab := range []*flagTable{dockerRunTable, dockerCreateTable, podmanRunTable, podmanCreateTable, dockerGlobalTable, podmanGlobalTable, nerdctlGlobalTable} {
		tab.flagSet()
		for _, d := range tab.defs {
			if d.canon != "" && tab.long[d.canon] == nil {
				t.Errorf("%s is an alias of %s, which is not defined", d.name, d.canon)
			}
		}
	}
}
