package enforce

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/rules"
)

// reName finds the rules a message names: "slug (DGnnn)".
var reName = regexp.MustCompile(`([a-z][a-z0-9-]+) \((DG\d+)\)`)

// TestDenialMessage: the rules that denied come first under the profile,
// each with the field, the fix and the key that would allow it; what did
// not deny comes after, apart; every name resolves as explain resolves it.
func TestDenialMessage(t *testing.T) {
	ctx := context.Background()
	d := newDecider(config.Enforce{})
	dec := d.Decide(ctx, req("POST", "/v1.41/containers/create", `{"Image":"alpine","HostConfig":{"Privileged":true,"PidMode":"host"}}`))
	if dec.Allow {
		t.Fatal("privileged create allowed")
	}
	t.Log(dec.Msg)
	deny, other, ok := strings.Cut(dec.Msg, alsoFound)
	if !ok {
		t.Fatalf("no %q part: %s", alsoFound, dec.Msg)
	}
	for _, want := range []string{
		"denied by baseline@v1: ",
		"privileged (DG330): ", "HostConfig.Privileged]", "fix: Remove `--privileged`", "to allow: enforce.rules: {privileged: warn}",
		"host-pid-ipc (DG335): ", "[HostConfig.IpcMode, HostConfig.PidMode]", "to allow: enforce.rules: {host-pid-ipc: warn}",
	} {
		if !strings.Contains(deny, want) {
			t.Errorf("denying part lacks %q: %s", want, deny)
		}
	}
	if !strings.HasPrefix(deny, "denied by baseline@v1: ") {
		t.Errorf("message does not open with the profile: %s", dec.Msg)
	}
	for _, want := range []string{"root-user (DG301): ", "memory-limit (DG201): "} {
		if !strings.Contains(other, want) {
			t.Errorf("not-denied part lacks %q: %s", want, other)
		}
		if strings.Contains(deny, want) {
			t.Errorf("%s is among the denials under baseline: %s", want, deny)
		}
	}
	checkNames(t, dec.Msg)

	// restricted denies root-user; the profile is named.
	dr := New(Settings{Config: config.Enforce{Profile: rules.Restricted}}, testImages)
	dec = dr.Decide(ctx, req("POST", "/containers/create", `{"Image":"rootimg:1"}`))
	if dec.Allow || !strings.HasPrefix(dec.Msg, "denied by restricted@v1: ") || !strings.Contains(strings.Split(dec.Msg, alsoFound)[0], "root-user (DG301)") {
		t.Errorf("restricted root create: %+v", dec)
	}
	// An allow-list rule names its list; a fail-closed one says nothing
	// allows it, and its check stands beside it.
	dec = d.Decide(ctx, req("POST", "/containers/create", `{"Image":"app:1","User":"10001","HostConfig":{"CapAdd":["SYS_ADMIN"]}}`))
	if !strings.Contains(dec.Msg, "dangerous-capability (DG") || !strings.Contains(dec.Msg, "to allow: allow.capabilities") {
		t.Errorf("capability: %s", dec.Msg)
	}
	dec = d.Decide(ctx, req("POST", "/containers/create", `{"Image":"app:1","Bogus":1}`))
	if !strings.HasPrefix(dec.Msg, "denied by baseline@v1: request-unjudged (DG366): unknown-field: ") || !strings.Contains(dec.Msg, "no setting allows it") {
		t.Errorf("unknown field: %s", dec.Msg)
	}
	checkNames(t, dec.Msg)
}

// checkNames fails on a name in a message that explain would not resolve,
// or whose slug and ID are not one rule.
func checkNames(t *testing.T, msg string) {
	t.Helper()
	for _, m := range reName.FindAllStringSubmatch(msg, -1) {
		bySlug, byID := rules.Lookup(m[1]), rules.Lookup(m[2])
		if len(bySlug) != 1 || len(byID) != 1 || bySlug[0] != byID[0] {
			t.Errorf("%q does not resolve to one rule: %s", m[0], msg)
		}
	}
}

// TestDenialMessageCap: whatever the violations, the message stays within
// MaxMessage, opens with the profile and the first denying rule, names
// the denying rules before anything that did not deny, and counts what
// it leaves out.
func TestDenialMessageCap(t *testing.T) {
	all := rules.All()
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		var vs []Violation
		nd, no := 1+rng.IntN(40), rng.IntN(20)
		for i, k := range rng.Perm(len(all))[:nd+no] {
			r := all[k]
			msg := strings.Repeat("x", rng.IntN(400))
			vs = append(vs, Violation{Rule: r.ID, Slug: r.Slug, Message: msg, Fix: strings.Repeat("f", rng.IntN(200)), Deny: i < nd})
		}
		got := message("baseline@v1", "/containers/create", vs)
		if len(got) > MaxMessage {
			t.Fatalf("%d bytes: %s", len(got), got)
		}
		first := "denied by baseline@v1: " + itemName(vs[0])
		if !strings.HasPrefix(got, first) {
			t.Fatalf("does not open with %q: %s", first, got)
		}
		deny, _, _ := strings.Cut(got, alsoFound)
		named := 0
		for _, v := range vs[:nd] {
			if strings.Contains(deny, itemName(v)) {
				named++
			}
		}
		if named < nd && !strings.Contains(deny, fmt.Sprintf("and %d more", nd-named)) {
			t.Fatalf("%d of %d denying rules named and the rest not counted: %s", named, nd, got)
		}
	}
}

// TestUnjudgedChecksExplained: every check a request-unjudged denial
// names (failClosed, unjudged, Check: in this package's code) is
// explained by `dockguard explain request-unjudged`.
func TestUnjudgedChecksExplained(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	checks := map[string]bool{}
	lit := func(e ast.Expr) {
		if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			s, _ := strconv.Unquote(bl.Value)
			checks[s] = true
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					switch sel.Sel.Name {
					case "failClosed":
						lit(n.Args[0])
					case "unjudged":
						lit(n.Args[2])
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Check" {
					lit(n.Value)
				}
			}
			return true
		})
	}
	if len(checks) < 20 {
		t.Fatalf("found only %d checks: %v", len(checks), checks)
	}
	r := rules.Lookup("request-unjudged")[0]
	for c := range checks {
		if !strings.Contains(r.Doc, c+": ") {
			t.Errorf("check %s is not explained in request-unjudged's Doc", c)
		}
	}
}
