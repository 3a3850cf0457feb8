package workflow

import (
	"strings"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/runcmd"
	"github.com/dockguard/dockguard/internal/source/script"
	api "github.com/moby/moby/api/types/container"
	"go.yaml.in/yaml/v3"
)

// gitlabGlobal are the top-level keys of .gitlab-ci.yml that are not jobs.
var gitlabGlobal = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "cache": true, "before_script": true, "after_script": true,
	"types": true, "spec": true,
}

// RunnerDecides is why the runtime settings of a GitLab CI container are
// unknown: the pipeline cannot set them.
const RunnerDecides = "runtime settings (privileged, capabilities, resources, mounts) are decided by the GitLab Runner's configuration (config.toml), not by the pipeline"

// gitlabRuntime are the fields the runner, not the pipeline, decides.
var gitlabRuntime = []string{
	container.FieldPrivileged, container.FieldCapAdd, container.FieldCapDrop,
	container.FieldReadonlyRootfs, container.FieldMemory, container.FieldMemorySwap,
	container.FieldNanoCPUs, container.FieldCPUPeriod, container.FieldCPUQuota,
	container.FieldCPUShares, container.FieldPidsLimit, container.FieldRestartPolicy,
}

// GitLab reads a GitLab CI pipeline: the script, before_script and
// after_script of every job (hidden template jobs included, each where it
// is written; `!reference` tags and YAML aliases are not read twice), the
// default ones, the variables the pipeline and its jobs set, and the
// containers the runner starts: each job's image and services.
func GitLab(path string, data []byte) (*Result, error) {
	d, err := parse(path, data, "pipeline")
	if err != nil {
		return nil, err
	}
	r := &Result{}
	global := &script.Unit{Path: path, Subject: facts.Subject{Kind: facts.SubjectScript, Name: "pipeline"}}
	if _, v := get(d.root, "variables"); v != nil {
		global.Env = d.env(v, false)
	}
	r.gitlabJob(d, global, d.root, "pipeline")
	if _, def := get(d.root, "default"); def != nil {
		r.gitlabJob(d, global, def, "default")
	}
	if len(global.Chunks) > 0 || len(global.Env) > 0 {
		r.Units = append(r.Units, global)
	}
	for _, p := range pairs(d.root) {
		if gitlabGlobal[p.key.Value] || p.value.Kind != yaml.MappingNode {
			continue
		}
		u := &script.Unit{Path: path, Subject: facts.Subject{Kind: facts.SubjectScript, Name: "job " + p.key.Value}}
		if _, v := get(p.value, "variables"); v != nil {
			u.Env = d.env(v, false)
		}
		r.gitlabJob(d, u, p.value, "job "+p.key.Value)
		if len(u.Chunks) > 0 || len(u.Env) > 0 {
			r.Units = append(r.Units, u)
		}
	}
	return r, nil
}

// gitlabJob reads the scripts, image and services of a job (or of the
// default section, or the deprecated top-level ones).
func (r *Result) gitlabJob(d *doc, u *script.Unit, job *yaml.Node, name string) {
	for _, key := range []string{"before_script", "script", "after_script"} {
		_, s := get(job, key)
		d.scripts(u, s, key+" line", 0)
	}
	if k, img := get(job, "image"); img != nil {
		r.gitlabContainer(d, k, img, facts.Subject{Kind: facts.SubjectContainer, Name: name})
	}
	if _, svcs := get(job, "services"); svcs != nil {
		for _, s := range items(svcs) {
			r.gitlabContainer(d, s, s, facts.Subject{Kind: facts.SubjectService})
		}
	}
}

// scripts cuts out a script: a string or a list of strings (nested lists
// are flattened, as GitLab does).
func (d *doc) scripts(u *script.Unit, n *yaml.Node, what string, depth int) {
	if n == nil || depth > 10 || n.Tag == "!reference" {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if ch, ok := d.chunk(n, what, false); ok {
			u.Chunks = append(u.Chunks, ch)
		}
	case yaml.SequenceNode:
		if d.seen[n] {
			return
		}
		d.seen[n] = true
		for _, it := range items(n) {
			d.scripts(u, it, what, depth+1)
		}
	}
}

// gitlabContainer reads an image or service: a name, or name, alias,
// entrypoint, command, variables and docker.user. The runner starts it,
// under its own configuration, so the settings the pipeline cannot give
// are unknown.
func (r *Result) gitlabContainer(d *doc, key, n *yaml.Node, subject facts.Subject) {
	if d.seen[n] {
		return
	}
	d.seen[n] = true
	spec := &container.Spec{
		Config: &api.Config{}, HostConfig: &api.HostConfig{},
		Subject: subject, Origin: d.at(key), Engine: "docker",
		At: map[string]facts.Location{}, Unknown: map[string]string{},
	}
	var image *yaml.Node
	switch {
	case isScalar(n):
		image = n
	case n.Kind == yaml.MappingNode:
		_, image = get(n, "name")
		if _, a := get(n, "alias"); isScalar(a) && subject.Kind == facts.SubjectService {
			// Several aliases may be given, separated by commas.
			if f := strings.Fields(strings.ReplaceAll(a.Value, ",", " ")); len(f) > 0 {
				spec.Subject.Name = f[0]
			}
		}
		if _, ep := get(n, "entrypoint"); ep != nil {
			spec.Config.Entrypoint = d.list(ep)
			spec.At[container.FieldEntrypoint] = d.at(ep)
		}
		if _, cmd := get(n, "command"); cmd != nil {
			spec.Config.Cmd = d.list(cmd)
			spec.At[container.FieldCmd] = d.at(cmd)
		}
		if _, vars := get(n, "variables"); vars != nil {
			for i, e := range d.env(vars, false) {
				spec.Config.Env = append(spec.Config.Env, e.Name+"="+e.Value)
				spec.At[container.Item(container.FieldEnv, i)] = e.At
			}
		}
		_, dk := get(n, "docker")
		if uk, user := get(dk, "user"); isScalar(user) {
			spec.Config.User = user.Value
			spec.At[container.FieldUser] = d.at(uk)
			if strings.Contains(user.Value, "$") {
				spec.Unknown[container.FieldUser] = "the user " + user.Value + " depends on a CI variable"
			}
		}
	default:
		return
	}
	if !isScalar(image) || image.Value == "" {
		return
	}
	spec.Config.Image = image.Value
	spec.At[container.FieldImage] = d.at(image)
	if strings.Contains(image.Value, "$") {
		spec.Unknown[container.FieldImage] = "the image " + image.Value + " depends on a CI variable"
	}
	if spec.Subject.Name == "" {
		spec.Subject.Name = image.Value
	}
	if spec.Config.User == "" {
		spec.Unknown[container.FieldUser] = "the user is the image's, unless the GitLab Runner's configuration sets one"
	}
	for _, f := range gitlabRuntime {
		spec.Unknown[f] = RunnerDecides
	}
	r.Containers = append(r.Containers, Container{Result: &runcmd.Result{Spec: spec}, DecidedBy: "GitLab Runner configuration"})
}

// list reads an entrypoint or command: a list of strings, or one string.
func (d *doc) list(n *yaml.Node) []string {
	if isScalar(n) {
		return []string{n.Value}
	}
	var out []string
	for _, it := range items(n) {
		if isScalar(it) {
			out = append(out, it.Value)
		}
	}
	return out
}
