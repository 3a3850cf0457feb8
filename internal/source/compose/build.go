package compose

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/dockguard/dockguard/internal/facts"
)

// buildJoin finds the Dockerfile of a service that builds, and its build
// arguments.
func (b *specBuilder) buildJoin() {
	bc := b.svc.Build
	if bc == nil {
		return
	}
	at := b.keyAt("build")
	b.out.BuildTarget = bc.Target
	names := sortedKeys(bc.Args)
	sort.SliceStable(names, func(i, j int) bool {
		return b.keyAtOr("build.args#"+names[i], at).Line < b.keyAtOr("build.args#"+names[j], at).Line
	})
	for _, n := range names {
		v := bc.Args[n]
		ev := facts.EnvVar{Name: n, At: b.keyAtOr("build.args#"+n, at), Dynamic: v == nil}
		if v != nil {
			ev.Value = *v
		}
		if l, ok := b.si.keys["build.args#"+n]; ok && len(l.missing) > 0 {
			ev.Dynamic = true
		}
		b.out.BuildArgs = append(b.out.BuildArgs, ev)
	}
	// compose-go drops arguments listed without a value when the
	// environment has none (`args: [NPM_TOKEN]`); they still say a secret
	// is meant to arrive as a build argument.
	var dropped []string
	for k := range b.si.keys {
		n, ok := strings.CutPrefix(k, "build.args#")
		if _, kept := bc.Args[n]; ok && !kept {
			dropped = append(dropped, n)
		}
	}
	sort.Strings(dropped)
	for _, n := range dropped {
		b.out.BuildArgs = append(b.out.BuildArgs, facts.EnvVar{Name: n, At: b.keyAtOr("build.args#"+n, at), Dynamic: true})
	}
	ctx := bc.Context
	switch {
	case strings.Contains(ctx, "://") || isRemote(ctx) || strings.HasPrefix(ctx, types.ServicePrefix):
		b.note(at, "service %s builds from %s: its Dockerfile is not audited", b.svc.Name, ctx)
		return
	case bc.DockerfileInline != "":
		b.note(at, "service %s builds from dockerfile_inline: its Dockerfile is not audited", b.svc.Name)
		return
	}
	if st, err := os.Stat(ctx); err != nil || !st.IsDir() {
		b.note(at, "service %s: build context %s does not exist: its Dockerfile is not audited", b.svc.Name, b.ld.display(ctx))
		return
	}
	b.out.BuildContext = b.ld.display(ctx)
	df := bc.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if !filepath.IsAbs(df) {
		df = filepath.Join(ctx, df)
	}
	if st, err := os.Stat(df); err != nil || st.IsDir() {
		b.note(at, "service %s: Dockerfile %s does not exist: it is not audited", b.svc.Name, b.ld.display(df))
		return
	}
	b.out.Dockerfile = b.ld.display(df)
}

func (b *specBuilder) keyAtOr(key string, or facts.Location) facts.Location {
	if l, ok := b.si.keys[key]; ok {
		return l.at
	}
	return or
}
