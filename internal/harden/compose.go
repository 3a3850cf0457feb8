package harden

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/audit"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/compose"
	"go.yaml.in/yaml/v3"
)

// FileResult is a hardened file.
type FileResult struct {
	Path     string
	Old, New string
	// Fixed are the rule slugs harden fixed, by subject (service name for
	// compose, stage for a Dockerfile).
	Fixed map[string][]string
	Notes []Note
	// Manual are the findings of the original file harden did not fix.
	Manual []rules.Finding
}

// Changed reports whether the file changes.
func (r *FileResult) Changed() bool { return r.Old != r.New }

// Compose hardens one compose file. The decisions come from auditing it
// (so merges, anchors, extends and the image's user joined from the
// Dockerfile count as docker compose sees them); the changes are spliced
// into the file's bytes at the positions of its YAML nodes, so comments,
// key order, quoting and anchors stay as written. A file that does not
// parse or load is an error and is never rewritten.
func Compose(ctx context.Context, path string, opt Options) (*FileResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src := string(data)
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: not rewritten: cannot parse YAML: %v", path, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: not rewritten: files of several YAML documents are not hardened", path)
	}
	a := audit.Run(ctx, audit.Options{ComposeFiles: []string{path}, Config: opt.Config})
	if len(a.Errors) > 0 {
		return nil, fmt.Errorf("%s: not rewritten: %v", path, a.Errors[0])
	}
	proj, err := compose.Load(ctx, compose.Options{Files: []string{path}, WorkingDir: filepath.Dir(path)})
	if err != nil {
		return nil, fmt.Errorf("%s: not rewritten: %v", path, err)
	}
	specs := map[string]*container.Spec{}
	for _, s := range proj.Services {
		specs[s.Name] = s.Spec
	}
	found := map[string]map[string]bool{}
	for _, f := range a.Findings {
		if f.Subject.Kind != facts.SubjectService {
			continue
		}
		if found[f.Subject.Name] == nil {
			found[f.Subject.Name] = map[string]bool{}
		}
		found[f.Subject.Name][f.Rule.Slug] = true
	}
	res := &FileResult{Path: path, Old: src, Fixed: map[string][]string{}}
	t := newText(src)
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	services := mapGet(doc, "services")
	if services == nil || services.Kind != yaml.MappingNode {
		res.New = src
		return res, nil
	}
	for i := 0; i+1 < len(services.Content); i += 2 {
		k, v := services.Content[i], services.Content[i+1]
		name := k.Value
		f := found[name]
		spec := specs[name]
		if spec == nil || (len(f) == 0 && opt.Resolve == nil) {
			continue
		}
		if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 || k.Line == v.Content[0].Line {
			res.Notes = append(res.Notes, Note{Message: fmt.Sprintf("service %s is not written as a block mapping: not rewritten", name)})
			continue
		}
		s := &svc{t: t, name: name, key: k, m: v, spec: spec, f: f, opt: opt, fixed: map[string]bool{}}
		lo := opt
		if lo.Project == "" {
			// Containers of this file carry its project name
			// (COMPOSE_PROJECT_NAME, name:, or the folder's).
			lo.Project = proj.Name
		}
		s.lim = lo.LimitsFor(name, spec.Config.Image)
		if len(opt.Observed) > 0 {
			if _, ok := opt.Observed.lookup(name, lo.Project); !ok {
				s.note("", "no running container of project %s, service %s, was observed: its limits come from the configuration and defaults", lo.Project, name)
			}
		}
		s.harden()
		if s.fixed["memory-limit"] || s.fixed["pids-limit"] {
			for _, w := range s.lim.Why {
				s.note("", "%s", w)
			}
		}
		res.Notes = append(res.Notes, s.notes...)
		for slug := range s.fixed {
			res.Fixed[name] = append(res.Fixed[name], slug)
		}
		sort.Strings(res.Fixed[name])
	}
	res.New = t.result()
	res.Manual = unfixed(a.Findings, res.Fixed)
	var check yaml.Node
	if err := yaml.Unmarshal([]byte(res.New), &check); err != nil {
		return nil, fmt.Errorf("%s: not rewritten: the hardened file would not parse (a dockguard bug): %v", path, err)
	}
	return res, nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	_, v := mapPair(m, key)
	return v
}

func mapPair(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// svc hardens one service.
type svc struct {
	t      *text
	name   string
	key, m *yaml.Node
	spec   *container.Spec
	f      map[string]bool
	opt    Options
	lim    Limits
	adds   []string
	fixed  map[string]bool
	notes  []Note
}

func commentFor(slug string) string {
	id := ""
	if rs := rules.Lookup(slug); len(rs) > 0 {
		id = rs[0].ID
	}
	return fmt.Sprintf("# dockguard: %s (%s)", slug, id)
}

func (s *svc) comment(slug string) string {
	if s.opt.NoComments {
		return ""
	}
	return commentFor(slug)
}

func (s *svc) note(slug, format string, args ...any) {
	s.notes = append(s.notes, Note{Rule: slug, Message: "service " + s.name + ": " + fmt.Sprintf(format, args...)})
}

// add queues a new key of the service.
func (s *svc) add(line, slug string) {
	if c := s.comment(slug); c != "" {
		line += "  " + c
	}
	s.adds = append(s.adds, line)
}

// setScalar replaces a scalar value.
func (s *svc) setScalar(v *yaml.Node, value, slug string, flow bool) bool {
	if v == nil || v.Kind != yaml.ScalarNode || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false
	}
	off := s.t.offset(v.Line, v.Column)
	s.t.replace(off, s.t.scalarEnd(off, flow), value)
	s.t.comment(v.Line, s.comment(slug))
	return true
}

// appendItem adds an item to a sequence written under key k.
func (s *svc) appendItem(k, seq *yaml.Node, item, slug string) bool {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return false
	}
	t := s.t
	if seq.Style&yaml.FlowStyle != 0 {
		open := t.offset(seq.Line, seq.Column)
		from := open + 1
		sep := ""
		if n := len(seq.Content); n > 0 {
			last := seq.Content[n-1]
			if last.Kind != yaml.ScalarNode {
				return false
			}
			from = t.scalarEnd(t.offset(last.Line, last.Column), true)
			sep = ", "
		}
		end := t.lineEnd(t.lineOf(from))
		i := strings.IndexByte(t.src[from:end], ']')
		if i < 0 {
			return false
		}
		t.replace(from+i, from+i, sep+item)
		t.comment(t.lineOf(from), s.comment(slug))
		return true
	}
	if len(seq.Content) == 0 {
		return false
	}
	first := seq.Content[0]
	l := t.line(first.Line)
	dash := strings.IndexByte(l, '-')
	if dash < 0 || dash >= first.Column-1 {
		return false
	}
	last := t.blockEnd(k.Line, k.Column-1, true)
	line := l[:dash] + "- " + item
	if c := s.comment(slug); c != "" {
		line += "  " + c
	}
	t.insertLines(last, []string{line})
	return true
}

// lineOf is the line (1-based) holding offset off.
func (t *text) lineOf(off int) int {
	n := sort.Search(len(t.start), func(i int) bool { return t.start[i] > off })
	return n
}

func (s *svc) harden() {
	t := s.t
	h := s.spec.HostConfig
	indent := strings.Repeat(" ", s.m.Content[0].Column-1)
	// The image's own start and user count when the daemon holds it (the
	// audit of a compose file alone cannot see them).
	c := s.spec.Config
	info := s.opt.image(c.Image)
	drop := s.f["root-start-drop"] || (info != nil && dropsPrivileges(info.starts(s.spec)))
	_, userKey := mapPair(s.m, "user")
	if s.f["root-user"] && userKey == nil {
		if tool := info.scriptDrop(s.spec, drop); tool != "" {
			drop = true
			s.note("root-user", "the image's entrypoint script switches user with %s", tool)
		}
	}

	switch {
	case !s.f["root-user"]:
	case drop && userKey == nil:
		// No user: the root start is needed; the note below says so.
	case userKey == nil && info.nonRootUser() != "":
		s.note("root-user", "the image runs as its own user %s: no user set", info.nonRootUser())
	default:
		u, own := userFor(c.Image)
		if own {
			s.note("root-user", "%s switches to its own user %s when started as root: user %s starts it as that user", c.Image, u, u)
		}
		if _, v := mapPair(s.m, "user"); v != nil {
			if s.setScalar(v, `"`+u+`"`, "root-user", false) {
				s.fixed["root-user"] = true
			}
		} else {
			s.add(`user: "`+u+`"`, "root-user")
			s.fixed["root-user"] = true
		}
	}
	if drop {
		s.note("root-start-drop", "the image starts as root and drops privileges itself: no user set; CHOWN, SETUID and SETGID are kept for it")
	}

	if s.f["read-only-rootfs"] {
		ok := true
		if _, v := mapPair(s.m, "read_only"); v != nil {
			ok = s.setScalar(v, "true", "read-only-rootfs", false)
		} else {
			s.add("read_only: true", "read-only-rootfs")
		}
		tmpfs, data := s.opt.writablePaths(s.spec.Config.Image, s.lim)
		var missing []string
		for _, p := range tmpfs {
			if !hasTarget(s.spec, p) {
				missing = append(missing, p)
			}
		}
		if ok && len(missing) > 0 {
			switch k, v := mapPair(s.m, "tmpfs"); {
			case v == nil:
				s.add("tmpfs: ["+strings.Join(missing, ", ")+"]", "read-only-rootfs")
			case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle != 0:
				s.appendItem(k, v, strings.Join(missing, ", "), "read-only-rootfs")
			case v.Kind == yaml.SequenceNode:
				for _, p := range missing {
					s.appendItem(k, v, p, "read-only-rootfs")
				}
			case v.Kind == yaml.ScalarNode:
				off := t.offset(v.Line, v.Column)
				end := t.scalarEnd(off, false)
				s.setScalar(v, "["+t.src[off:end]+", "+strings.Join(missing, ", ")+"]", "read-only-rootfs", false)
			}
		}
		for _, p := range data {
			if ok && !mountedAround(s.spec, p) {
				s.note("read-only-rootfs", "the image's VOLUME %s is not mounted: Docker creates an anonymous volume there, writable under read_only; mount a named volume (volumes: [NAME:%s]) so the data outlives this container", p, p)
			}
		}
		if ok {
			s.fixed["read-only-rootfs"] = true
		}
	}

	if s.f["capabilities-not-dropped"] {
		ok := false
		if k, v := mapPair(s.m, "cap_drop"); v != nil {
			ok = s.appendItem(k, v, "ALL", "capabilities-not-dropped")
		} else {
			s.add("cap_drop: [ALL]", "capabilities-not-dropped")
			ok = true
		}
		if ok {
			s.fixed["capabilities-not-dropped"] = true
			// No NET_BIND_SERVICE for ports under 1024: see the run-line
			// hardener (Docker lets any user bind them in the container's
			// network namespace; the capability never reaches a non-root
			// process).
			var need []string
			if drop {
				need = append(need, "CHOWN", "SETUID", "SETGID")
			}
			var missing []string
			for _, n := range need {
				if !capIn(h.CapAdd, n) {
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 {
				if k, v := mapPair(s.m, "cap_add"); v != nil {
					for _, n := range missing {
						s.appendItem(k, v, n, "capabilities-not-dropped")
					}
				} else {
					all := append(append([]string{}, h.CapAdd...), missing...)
					s.add("cap_add: ["+strings.Join(all, ", ")+"]", "capabilities-not-dropped")
				}
			}
		}
	}

	if s.f["no-new-privileges-disabled"] {
		if _, v := mapPair(s.m, "security_opt"); v != nil && v.Kind == yaml.SequenceNode {
			for _, it := range v.Content {
				if strings.HasPrefix(it.Value, "no-new-privileges") {
					if s.setScalar(it, `"no-new-privileges:true"`, "no-new-privileges-disabled", v.Style&yaml.FlowStyle != 0) {
						s.fixed["no-new-privileges-disabled"] = true
						s.fixed["no-new-privileges-missing"] = true
					}
				}
			}
		}
	}
	if s.f["no-new-privileges-missing"] && !s.fixed["no-new-privileges-missing"] {
		if k, v := mapPair(s.m, "security_opt"); v != nil {
			if s.appendItem(k, v, `"no-new-privileges:true"`, "no-new-privileges-missing") {
				s.fixed["no-new-privileges-missing"] = true
			}
		} else {
			items := []string{}
			for _, o := range h.SecurityOpt {
				items = append(items, strconv.Quote(o))
			}
			items = append(items, `"no-new-privileges:true"`)
			s.add("security_opt: ["+strings.Join(items, ", ")+"]", "no-new-privileges-missing")
			s.fixed["no-new-privileges-missing"] = true
		}
	}

	s.pinImage()
	s.memory()
	s.scalarKey("cpu-limit", "cpus", s.lim.CPUs)
	s.scalarKey("pids-limit", "pids_limit", strconv.FormatInt(s.lim.Pids, 10))

	if s.f["ulimits-missing"] {
		k, v := mapPair(s.m, "ulimits")
		nofile := "nofile: " + composeUlimit(s.lim.NoFile)
		nproc := "nproc: " + composeUlimit(s.lim.NProc)
		switch {
		case v == nil:
			s.add("ulimits: {"+nofile+", "+nproc+"}", "ulimits-missing")
			s.fixed["ulimits-missing"] = true
		case v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0:
			in := strings.Repeat(" ", v.Content[0].Column-1)
			c := ""
			if cc := s.comment("ulimits-missing"); cc != "" {
				c = "  " + cc
			}
			var lines []string
			if mapGet(v, "nofile") == nil {
				lines = append(lines, in+nofile+c)
			}
			if mapGet(v, "nproc") == nil {
				lines = append(lines, in+nproc+c)
			}
			t.insertLines(t.blockEnd(k.Line, k.Column-1, false), lines)
			s.fixed["ulimits-missing"] = true
		default:
			s.note("ulimits-missing", "ulimits is not a block mapping: add nofile and nproc by hand")
		}
	}

	if s.f["restart-policy"] {
		if _, v := mapPair(s.m, "restart"); v != nil {
			if s.setScalar(v, `"on-failure:`+strconv.Itoa(s.lim.Retries)+`"`, "restart-policy", false) {
				s.fixed["restart-policy"] = true
			}
		} else {
			s.note("restart-policy", "the restart policy comes from deploy.restart_policy or elsewhere: set condition: on-failure with max_attempts: %d", s.lim.Retries)
		}
	}

	if s.f["port-all-interfaces"] && !s.lim.Public {
		s.ports()
	}
	if s.f["publish-all"] {
		s.note("publish-all", "publishes every exposed port on all interfaces: list the ports bound to 127.0.0.1")
	}

	if len(s.adds) > 0 {
		lines := make([]string, len(s.adds))
		for i, a := range s.adds {
			lines[i] = indent + a
		}
		t.insertLines(t.blockEnd(s.key.Line, s.key.Column-1, false), lines)
	}
}

// pinImage adds the digest to the service's image (--resolve), keeping its
// tag; not for a service that builds its image (the name is the build's
// output) or an image with a variable in it.
func (s *svc) pinImage() {
	_, v := mapPair(s.m, "image")
	if v == nil || v.Kind != yaml.ScalarNode || mapGet(s.m, "build") != nil || v.Value != s.spec.Config.Image {
		return
	}
	pinned, n := s.opt.pin(v.Value)
	if n != nil {
		s.note(n.Rule, "%s", n.Message)
	}
	if pinned != "" && s.setScalar(v, pinned, "image-unpinned", false) {
		s.fixed["image-unpinned"] = true
	}
}

// scalarKey sets a service key holding one scalar when its rule fired.
func (s *svc) scalarKey(slug, key, value string) {
	if !s.f[slug] {
		return
	}
	if _, v := mapPair(s.m, key); v != nil {
		if s.setScalar(v, value, slug, false) {
			s.fixed[slug] = true
		}
		return
	}
	s.add(key+": "+value, slug)
	s.fixed[slug] = true
}

func (s *svc) memory() {
	h := s.spec.HostConfig
	mem := ""
	if s.f["memory-limit"] {
		mem = s.lim.Memory
		if _, v := mapPair(s.m, "mem_limit"); v != nil {
			if !s.setScalar(v, mem, "memory-limit", false) {
				return
			}
		} else if s.spec.At[container.FieldMemory] != (facts.Location{}) && h.Memory > 0 {
			s.note("memory-limit", "the memory limit is set in deploy.resources.limits.memory: lower it to %s", mem)
			return
		} else {
			s.add("mem_limit: "+mem, "memory-limit")
		}
		s.fixed["memory-limit"] = true
	} else if s.f["memory-swap"] && h.Memory > 0 {
		mem = bytesText(h.Memory)
	}
	if mem == "" {
		return
	}
	memBytes, _ := parseBytes(mem)
	if _, v := mapPair(s.m, "memswap_limit"); v != nil {
		if h.MemorySwap != memBytes {
			if !s.setScalar(v, mem, "memory-swap", false) {
				return
			}
		}
	} else {
		s.add("memswap_limit: "+mem, "memory-swap")
	}
	s.fixed["memory-swap"] = true
}

func (s *svc) ports() {
	k, v := mapPair(s.m, "ports")
	if v == nil || v.Kind != yaml.SequenceNode {
		s.note("port-all-interfaces", "the published ports are not written in this service: bind them to 127.0.0.1 where they are")
		return
	}
	_ = k
	ok := true
	flow := v.Style&yaml.FlowStyle != 0
	for _, it := range v.Content {
		switch it.Kind {
		case yaml.ScalarNode:
			if nv, changed := localPublish(it.Value); changed {
				if !s.setScalar(it, strconv.Quote(nv), "port-all-interfaces", flow) {
					ok = false
				}
			}
		case yaml.MappingNode:
			hk, hv := mapPair(it, "host_ip")
			switch {
			case hv != nil:
				if hv.Value == "" || hv.Value == "0.0.0.0" || hv.Value == "::" {
					if !s.setScalar(hv, "127.0.0.1", "port-all-interfaces", it.Style&yaml.FlowStyle != 0) {
						ok = false
					}
				}
				_ = hk
			case it.Style&yaml.FlowStyle != 0 || len(it.Content) == 0:
				ok = false
			default:
				first := it.Content[0]
				in := strings.Repeat(" ", first.Column-1)
				line := in + "host_ip: 127.0.0.1"
				if c := s.comment("port-all-interfaces"); c != "" {
					line += "  " + c
				}
				s.t.insertLines(s.t.blockEnd(it.Line, first.Column-2, false), []string{line})
			}
		default:
			ok = false
		}
	}
	if ok {
		s.fixed["port-all-interfaces"] = true
	} else {
		s.note("port-all-interfaces", "some published ports could not be rewritten: bind them to 127.0.0.1 by hand")
	}
}

// hasTarget reports whether something is mounted at path.
func hasTarget(spec *container.Spec, path string) bool {
	h := spec.HostConfig
	if _, ok := h.Tmpfs[path]; ok {
		return true
	}
	if _, ok := spec.Config.Volumes[path]; ok {
		return true
	}
	for _, m := range h.Mounts {
		if m.Target == path {
			return true
		}
	}
	for _, b := range h.Binds {
		if p := strings.Split(b, ":"); len(p) >= 2 && p[1] == path {
			return true
		}
	}
	return false
}

// mountedAround reports whether something is mounted at path, inside it
// or above it: the data folder is taken care of (postgres keeps its data
// in /var/lib/postgresql/data up to 17 and declares /var/lib/postgresql
// from 18; a mount of either counts).
func mountedAround(spec *container.Spec, path string) bool {
	h := spec.HostConfig
	var targets []string
	for t := range h.Tmpfs {
		targets = append(targets, t)
	}
	for t := range spec.Config.Volumes {
		targets = append(targets, t)
	}
	for _, m := range h.Mounts {
		targets = append(targets, m.Target)
	}
	for _, b := range h.Binds {
		if p := strings.Split(b, ":"); len(p) >= 2 {
			targets = append(targets, p[1])
		}
	}
	within := func(a, b string) bool { return a == b || strings.HasPrefix(a, strings.TrimSuffix(b, "/")+"/") }
	for _, t := range targets {
		if within(t, path) || within(path, t) {
			return true
		}
	}
	return false
}

// composeUlimit is a soft:hard ulimit in compose syntax: one number when
// both are equal.
func composeUlimit(v string) string {
	soft, hard, _ := strings.Cut(v, ":")
	if hard == "" || soft == hard {
		return soft
	}
	return "{soft: " + soft + ", hard: " + hard + "}"
}

func capIn(list []string, name string) bool {
	for _, c := range list {
		if strings.EqualFold(strings.TrimPrefix(strings.ToUpper(c), "CAP_"), name) {
			return true
		}
	}
	return false
}

// unfixed are the findings whose rule harden did not fix for their subject.
func unfixed(findings []rules.Finding, fixed map[string][]string) []rules.Finding {
	var out []rules.Finding
	for _, f := range findings {
		done := false
		for _, s := range fixed[f.Subject.Name] {
			if s == f.Rule.Slug {
				done = true
			}
		}
		if !done {
			out = append(out, f)
		}
	}
	return out
}
