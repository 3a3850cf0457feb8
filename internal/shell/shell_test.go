package shell_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

func parse(t *testing.T, src string) []*facts.Command {
	t.Helper()
	cmds, err := shell.Parse(src, func(off int) facts.Location {
		line := 1 + strings.Count(src[:off], "\n")
		return facts.Location{Line: line, Column: off - strings.LastIndex(src[:off], "\n")}
	})
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return cmds
}

func TestWordsAfterQuoteRemoval(t *testing.T) {
	cmds := parse(t, `echo "a b" 'c d' e\ f $HOME "x$Y" $'t\tu'`)
	want := []string{"echo", "a b", "c d", "e f", "$HOME", "x$Y", "t\tu"}
	if !reflect.DeepEqual(cmds[0].Args, want) {
		t.Fatalf("got %q, want %q", cmds[0].Args, want)
	}
	lit := []bool{true, true, true, true, false, false, true}
	if !reflect.DeepEqual(cmds[0].Literal, lit) {
		t.Fatalf("literal flags %v, want %v", cmds[0].Literal, lit)
	}
}

func TestPipelinesAndFailure(t *testing.T) {
	cmds := parse(t, "curl -s x | tee f | sh && a || true\nb || echo failed\nc || d")
	names := map[string]*facts.Command{}
	for _, c := range cmds {
		names[c.Name()] = c
	}
	if c := names["curl"]; len(c.Pipeline) != 3 || c.PipeIndex != 0 || c.Pipeline[2].Name() != "sh" {
		t.Fatalf("curl pipeline = %d commands, index %d", len(c.Pipeline), c.PipeIndex)
	}
	for n, want := range map[string]bool{"curl": true, "a": true, "b": true, "c": false, "d": false} {
		if names[n].FailureIgnored != want {
			t.Errorf("%s: FailureIgnored = %v, want %v", n, names[n].FailureIgnored, want)
		}
	}
	if ifc := parse(t, "if grep -q x f; then y; fi"); !ifc[0].FailureIgnored || ifc[1].FailureIgnored {
		t.Errorf("an if condition's failure only picks a branch")
	}
}

func TestSubstitutionsAndNestedScripts(t *testing.T) {
	cmds := parse(t, `sh -c "$(curl -fsSL x)"; bash <(wget -qO- y); su app -c 'sudo make install'`)
	var curl, wget, mk *facts.Command
	for _, c := range cmds {
		switch c.Name() {
		case "curl":
			curl = c
		case "wget":
			wget = c
		case "sudo":
			mk = c
		}
	}
	if curl == nil || curl.Parent == nil || curl.Parent.Name() != "sh" {
		t.Fatalf("curl inside $(…) must have sh as parent: %+v", curl)
	}
	if wget == nil || wget.Parent == nil || wget.Parent.Name() != "bash" {
		t.Fatalf("wget inside <(…) must have bash as parent")
	}
	if mk == nil || mk.Parent == nil || mk.Parent.Name() != "su" {
		t.Fatalf("the -c script of su must be parsed")
	}
}

func TestPositions(t *testing.T) {
	cmds := parse(t, "a &&\n  b x")
	if cmds[1].At.Line != 2 || cmds[1].At.Column != 3 {
		t.Fatalf("b at %d:%d, want 2:3", cmds[1].At.Line, cmds[1].At.Column)
	}
	if cmds[1].WordAt(1).Column != 5 {
		t.Fatalf("x at column %d, want 5", cmds[1].WordAt(1).Column)
	}
}

func TestRedirects(t *testing.T) {
	cmds := parse(t, "echo 'app ALL=(ALL) NOPASSWD: ALL' >> /etc/sudoers.d/app")
	if len(cmds[0].Redirects) != 1 || cmds[0].Redirects[0].Target != "/etc/sudoers.d/app" || cmds[0].Redirects[0].Op != ">>" {
		t.Fatalf("redirects = %+v", cmds[0].Redirects)
	}
}

func TestEffective(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"exec gosu app x", "gosu app x"},
		{"env -u X A=1 B=2 curl y", "curl y"},
		{"nohup nice -n 5 sh z", "sh z"},
		{"xargs -0 -n 1 chmod a-s", "chmod a-s"},
		{"timeout 10 curl x", "curl x"},
		{"sudo -u app apt-get install sudo", "sudo -u app apt-get install sudo"},
	} {
		got := strings.Join(shell.Effective(strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("Effective(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := strings.Join(shell.WithoutSudo(strings.Fields("sudo -E -u app env X=1 apt-get install y")), " "); got != "apt-get install y" {
		t.Errorf("WithoutSudo = %q", got)
	}
}

func TestRunsAsShellProgram(t *testing.T) {
	for src, want := range map[string]bool{
		"x | sh":                 true,
		"x | sudo bash -s -- -y": true,
		"x | bash -":             true,
		"x | python3":            true,
		"x | bash script.sh":     false,
		"x | tar xz":             false,
		"x | sh -c 'cat'":        false,
	} {
		cmds := parse(t, src)
		last := cmds[len(cmds)-1]
		if got := shell.RunsAsShellProgram(last); got != want {
			t.Errorf("%q: %v, want %v", src, got, want)
		}
	}
}

func TestSyntaxErrorHasPlace(t *testing.T) {
	_, err := shell.Parse("a &&\n  (b", func(off int) facts.Location { return facts.Location{Line: 1 + off} })
	se, ok := err.(*shell.Error)
	if !ok || se.At.Line == 0 || se.Msg == "" {
		t.Fatalf("want a located *shell.Error, got %#v", err)
	}
}
