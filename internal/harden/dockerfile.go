package harden

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// SUIDRemoval is the step that strips set-id bits from the image's files.
const SUIDRemoval = "RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true"

var permPlus = regexp.MustCompile(`(-perm\s+)\+([0-7]{4})`)

// Dockerfile hardens a Dockerfile's final stage: USER 10001:10001 when it
// runs as root (numeric, so it works on scratch and distroless), a step
// removing SUID/SGID bits where the stage can RUN, and `-perm +6000`
// removal steps (a no-op) turned into `-perm /6000`. No HEALTHCHECK is
// invented. The decisions come from auditing the file; a file that does
// not parse is an error and is never rewritten.
func Dockerfile(ctx context.Context, path string, opt Options) (*FileResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ast, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not rewritten: %v", path, err)
	}
	a := audit.Run(ctx, audit.Options{Paths: []string{path}, Config: opt.Config})
	if len(a.Errors) > 0 {
		return nil, fmt.Errorf("%s: not rewritten: %v", path, a.Errors[0])
	}
	src := string(data)
	res := &FileResult{Path: path, Old: src, Fixed: map[string][]string{}}
	nodes := ast.AST.Children
	final := -1
	for i, n := range nodes {
		if strings.EqualFold(n.Value, "from") {
			final = i
		}
	}
	if final < 0 {
		res.New = src
		return res, nil
	}
	base := ""
	if n := nodes[final].Next; n != nil {
		base = strings.ToLower(n.Value)
	}
	found := map[string][]facts.Location{}
	subject := map[string]string{}
	for _, f := range a.Findings {
		if f.Subject.Kind != facts.SubjectStage {
			continue
		}
		found[f.Rule.Slug] = append(found[f.Rule.Slug], f.At)
		subject[f.Rule.Slug] = f.Subject.Name
	}
	t := newText(src)
	fixed := map[string]bool{}
	comment := func(slug string) []string {
		if opt.NoComments {
			return nil
		}
		return []string{commentFor(slug)}
	}

	// -perm +6000 finds nothing with GNU find: make it /6000.
	for _, at := range found["suid-removal-noop"] {
		for _, n := range nodes {
			if at.Line < n.StartLine || at.Line > n.EndLine {
				continue
			}
			for l := n.StartLine; l <= n.EndLine; l++ {
				line := t.line(l)
				for _, m := range permPlus.FindAllStringSubmatchIndex(line, -1) {
					off := t.start[l-1] + m[4] - 1 // the '+'
					t.replace(off, off+1, "/")
					fixed["suid-removal-noop"] = true
				}
			}
		}
	}

	last := nodes[len(nodes)-1].EndLine
	if len(found["suid-removal-missing"]) > 0 {
		switch {
		case base == "scratch" || strings.Contains(base, "distroless") || strings.Contains(base, "static"):
			res.Notes = append(res.Notes, Note{Rule: "suid-removal-missing", Message: "the final stage's base (" + base + ") cannot RUN: strip set-id bits in a build stage before copying files in"})
		default:
			// Before the final stage's first USER, so it runs as root.
			after := last
			for _, n := range nodes[final+1:] {
				if strings.EqualFold(n.Value, "user") {
					after = n.StartLine - 1
					break
				}
			}
			t.insertLines(after, append(comment("suid-removal-missing"), SUIDRemoval))
			fixed["suid-removal-missing"] = true
		}
	}

	if len(found["root-user"]) > 0 && len(found["root-start-drop"]) == 0 {
		t.insertLines(last, append(comment("root-user"), "USER "+User))
		fixed["root-user"] = true
	} else if len(found["root-start-drop"]) > 0 {
		res.Notes = append(res.Notes, Note{Rule: "root-start-drop", Message: "the image starts as root and drops privileges itself: no USER added"})
	}

	res.Notes = append(res.Notes, pinFroms(t, nodes, opt, fixed, comment)...)

	for s := range fixed {
		res.Fixed[subject[s]] = append(res.Fixed[subject[s]], s)
	}
	res.New = t.result()
	if _, err := parser.Parse(strings.NewReader(res.New)); err != nil {
		return nil, fmt.Errorf("%s: not rewritten: the hardened file would not parse (a dockguard bug): %v", path, err)
	}
	res.Manual = unfixed(a.Findings, res.Fixed)
	return res, nil
}

// pinFroms adds the digest to every FROM image of a registry (--resolve),
// keeping the tag: not scratch, not an earlier stage, not an image with an
// ARG in it.
func pinFroms(t *text, nodes []*parser.Node, opt Options, fixed map[string]bool, comment func(string) []string) []Note {
	if opt.Resolve == nil {
		return nil
	}
	var notes []Note
	stages := map[string]bool{}
	for _, n := range nodes {
		if !strings.EqualFold(n.Value, "from") || n.Next == nil {
			continue
		}
		img := n.Next.Value
		earlier := stages[strings.ToLower(img)]
		if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
			stages[strings.ToLower(as.Next.Value)] = true
		}
		if earlier || n.StartLine != n.EndLine {
			continue
		}
		pinned, note := opt.pin(img)
		if note != nil {
			notes = append(notes, *note)
		}
		if pinned == "" {
			continue
		}
		// The image is the first word after FROM and its --flags.
		line := t.line(n.StartLine)
		off := -1
		words := strings.Fields(line)
		pos := 0
		for i, w := range words {
			at := strings.Index(line[pos:], w) + pos
			pos = at + len(w)
			if i == 0 || strings.HasPrefix(w, "--") {
				continue
			}
			if w == img {
				off = at
			}
			break
		}
		if off < 0 {
			notes = append(notes, Note{Rule: "image-unpinned", Message: fmt.Sprintf("line %d: FROM %s not pinned: the image is not written as one word", n.StartLine, img)})
			continue
		}
		lineStart := t.start[n.StartLine-1]
		// A Dockerfile has no trailing comments: the comment goes on the
		// line above.
		if c := comment("image-unpinned"); len(c) > 0 {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			t.replace(lineStart, lineStart, indent+c[0]+t.newline())
		}
		t.replace(lineStart+off, lineStart+off+len(img), pinned)
		fixed["image-unpinned"] = true
	}
	return notes
}
