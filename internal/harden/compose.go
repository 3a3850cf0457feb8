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
	api "github.com/moby/moby/api/types/container"
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
	// Plans are the plans of the compose services, by name.
	Plans map[string]*Plan
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
	findings := map[string][]rules.Finding{}
	for _, f := range a.Findings {
		if f.Subject.Kind != facts.SubjectService {
			continue
		}
		if found[f.Subject.Name] == nil {
			found[f.Subject.Name] = map[string]bool{}
		}
		found[f.Subject.Name][f.Rule.Slug] = true
		findings[f.Subject.Name] = append(findings[f.Subject.Name], f)
	}
	res := &FileResult{Path: path, Old: src, Fixed: map[string][]string{}, Plans: map[string]*Plan{}}
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
		s := &svc{t: t, name: name, key: k, m: v, spec: spec, f: f, findings: findings[name], opt: opt, fixed: map[string]bool{}}
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
		res.Plans[name] = s.plan
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
	// findings are the audit's findings on the service, f their rules.
	findings []rules.Finding
	opt      Options
	plan     *Plan
	lim      Limits
	adds     []string
	fixed    map[string]bool
	notes    []Note
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

// harden decides the service's plan and writes it into the file.
func (s *svc) harden() {
	t := s.t
	indent := strings.Repeat(" ", s.m.Content[0].Column-1)
	// The image is pinned only where the service names it as it is: not
	// the output name of a build, not a reference made from variables.
	_, img := mapPair(s.m, "image")
	pinnable := img != nil && img.Kind == yaml.ScalarNode && mapGet(s.m, "build") == nil && img.Value == s.spec.Config.Image
	plan := decide(planInput{spec: s.spec, findings: s.findings, found: s.f, lim: s.lim, opt: s.opt, pinnable: pinnable})
	s.plan = plan
	// A change that cannot be written stops the rest of its control: no
	// tmpfs without read_only, no cap_add without cap_drop, no swap limit
	// beside a memory limit left alone.
	failed := map[string]bool{}
	var ulimits []*Change
	for _, st := range plan.Steps {
		group := controlOf(st.Rule)
		if failed[group] {
			continue
		}
		if st.Note != nil {
			s.planNote(st.Rule, st.Note)
			continue
		}
		if st.Change.Field == container.FieldUlimits {
			ulimits = append(ulimits, st.Change)
			continue
		}
		if s.write(plan, st.Rule, st.Change) {
			s.fixed[st.Rule] = true
		} else {
			failed[group] = true
		}
	}
	if len(ulimits) > 0 {
		s.ulimits(ulimits)
	}
	if s.fixed["no-new-privileges-disabled"] {
		s.fixed["no-new-privileges-missing"] = true
	}

	if len(s.adds) > 0 {
		lines := make([]string, len(s.adds))
		for i, a := range s.adds {
			lines[i] = indent + a
		}
		t.insertLines(t.blockEnd(s.key.Line, s.key.Column-1, false), lines)
	}
}

// controlOf groups the rules whose changes stand or fall together.
func controlOf(rule string) string {
	switch rule {
	case "memory-limit", "memory-swap":
		return "memory"
	}
	return rule
}

// planNote words a plan's note for a compose service.
func (s *svc) planNote(rule string, n *PlanNote) {
	a := n.Args
	switch n.Kind {
	case noteScriptDrop:
		s.note(rule, "the image's entrypoint script switches user with %s", a[0])
	case noteDrop:
		s.note("root-start-drop", "the image starts as root and drops privileges itself: no user set; CHOWN, SETUID and SETGID are kept for it")
	case noteImageUser:
		s.note(rule, "the image runs as its own user %s: no user set", a[0])
	case noteOwnUser:
		s.note(rule, "%s switches to its own user %s when started as root: user %s starts it as that user", a[0], a[1], a[1])
	case noteDataVolume:
		s.note(rule, "the image's VOLUME %s is not mounted: Docker creates an anonymous volume there, writable under read_only; mount a named volume (volumes: [NAME:%s]) so the data outlives this container", a[0], a[0])
	case notePublishAll:
		s.note(rule, "publishes every exposed port on all interfaces: list the ports bound to 127.0.0.1")
	case notePin:
		s.note(rule, "%s", a[0])
	}
	// The other notes name a run-line flag the service does not have
	// (replaced --user, lowered --memory, …): the diff shows the change.
}

// write puts one change of the plan into the service: a key that is there
// has its value replaced, a missing one is added at the end of the
// service. It reports false when the file cannot take it where it is.
func (s *svc) write(plan *Plan, rule string, c *Change) bool {
	h := s.spec.HostConfig
	switch c.Field {
	case container.FieldUser:
		return s.setOrAdd("user", `"`+c.Text+`"`, rule)
	case container.FieldReadonlyRootfs:
		return s.setOrAdd("read_only", "true", rule)
	case container.FieldTmpfs:
		missing := c.Value.([]string)
		switch k, v := mapPair(s.m, "tmpfs"); {
		case v == nil:
			s.add("tmpfs: ["+strings.Join(missing, ", ")+"]", rule)
		case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle != 0:
			s.appendItem(k, v, strings.Join(missing, ", "), rule)
		case v.Kind == yaml.SequenceNode:
			for _, p := range missing {
				s.appendItem(k, v, p, rule)
			}
		case v.Kind == yaml.ScalarNode:
			off := s.t.offset(v.Line, v.Column)
			end := s.t.scalarEnd(off, false)
			s.setScalar(v, "["+s.t.src[off:end]+", "+strings.Join(missing, ", ")+"]", rule, false)
		}
		return true
	case container.FieldCapDrop:
		if k, v := mapPair(s.m, "cap_drop"); v != nil {
			return s.appendItem(k, v, c.Text, rule)
		}
		s.add("cap_drop: ["+c.Text+"]", rule)
		return true
	case container.FieldCapAdd:
		missing := c.Value.([]string)
		if k, v := mapPair(s.m, "cap_add"); v != nil {
			for _, n := range missing {
				s.appendItem(k, v, n, rule)
			}
		} else {
			all := append(append([]string{}, h.CapAdd...), missing...)
			s.add("cap_add: ["+strings.Join(all, ", ")+"]", rule)
		}
		return true
	case container.FieldSecurityOpt:
		item := `"` + c.Text + `:true"`
		k, v := mapPair(s.m, "security_opt")
		if !c.Add {
			ok := false
			if v != nil && v.Kind == yaml.SequenceNode {
				for _, it := range v.Content {
					if strings.HasPrefix(it.Value, "no-new-privileges") && s.setScalar(it, item, rule, v.Style&yaml.FlowStyle != 0) {
						ok = true
					}
				}
			}
			return ok
		}
		if v != nil {
			return s.appendItem(k, v, item, rule)
		}
		items := []string{}
		for _, o := range h.SecurityOpt {
			items = append(items, strconv.Quote(o))
		}
		s.add("security_opt: ["+strings.Join(append(items, item), ", ")+"]", rule)
		return true
	case container.FieldImage:
		_, v := mapPair(s.m, "image")
		return s.setScalar(v, c.Text, rule, false)
	case container.FieldMemory:
		if _, v := mapPair(s.m, "mem_limit"); v != nil {
			return s.setScalar(v, c.Text, rule, false)
		}
		if s.spec.At[container.FieldMemory] != (facts.Location{}) && h.Memory > 0 {
			s.note(rule, "the memory limit is set in deploy.resources.limits.memory: lower it to %s", c.Text)
			return false
		}
		s.add("mem_limit: "+c.Text, rule)
		return true
	case container.FieldMemorySwap:
		if _, ok := c.Value.(SameAs); ok {
			return false
		}
		return s.setOrAdd("memswap_limit", c.Text, rule)
	case container.FieldNanoCPUs:
		return s.setOrAdd("cpus", c.Text, rule)
	case container.FieldPidsLimit:
		return s.setOrAdd("pids_limit", c.Text, rule)
	case container.FieldRestartPolicy:
		if _, v := mapPair(s.m, "restart"); v != nil {
			return s.setScalar(v, `"`+c.Text+`"`, rule, false)
		}
		s.note(rule, "the restart policy comes from deploy.restart_policy or elsewhere: set condition: on-failure with max_attempts: %d", plan.Limits.Retries)
		return false
	case container.FieldPortBindings:
		return s.ports()
	}
	return false
}

// setOrAdd replaces the scalar value of a service key, or adds the key.
func (s *svc) setOrAdd(key, value, rule string) bool {
	if _, v := mapPair(s.m, key); v != nil {
		return s.setScalar(v, value, rule, false)
	}
	s.add(key+": "+value, rule)
	return true
}

// ulimits adds the missing nofile and nproc ulimits.
func (s *svc) ulimits(cs []*Change) {
	const rule = "ulimits-missing"
	var items []string
	for _, c := range cs {
		items = append(items, c.Value.(*api.Ulimit).Name+": "+composeUlimit(c.Text))
	}
	k, v := mapPair(s.m, "ulimits")
	switch {
	case v == nil:
		s.add("ulimits: {"+strings.Join(items, ", ")+"}", rule)
		s.fixed[rule] = true
	case v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0:
		in := strings.Repeat(" ", v.Content[0].Column-1)
		c := ""
		if cc := s.comment(rule); cc != "" {
			c = "  " + cc
		}
		var lines []string
		for _, it := range items {
			lines = append(lines, in+it+c)
		}
		s.t.insertLines(s.t.blockEnd(k.Line, k.Column-1, false), lines)
		s.fixed[rule] = true
	default:
		s.note(rule, "ulimits is not a block mapping: add nofile and nproc by hand")
	}
}

func (s *svc) ports() bool {
	k, v := mapPair(s.m, "ports")
	if v == nil || v.Kind != yaml.SequenceNode {
		s.note("port-all-interfaces", "the published ports are not written in this service: bind them to 127.0.0.1 where they are")
		return false
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
	if !ok {
		s.note("port-all-interfaces", "some published ports could not be rewritten: bind them to 127.0.0.1 by hand")
	}
	return ok
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
