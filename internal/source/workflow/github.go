package workflow

import (
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/source/script"
	"go.yaml.in/yaml/v3"
)

// GitHub reads a GitHub Actions workflow: every `run:` step of every job
// (those whose shell is bash or sh; others are noted), the job's
// container and services (image, options, ports, volumes, env,
// credentials), and the environment the workflow, its jobs and steps set.
func GitHub(path string, data []byte) (*Result, error) {
	d, err := parse(path, data, "workflow")
	if err != nil {
		return nil, err
	}
	r := &Result{}
	wfShell := defaultShell(d.root)
	if _, env := get(d.root, "env"); env != nil {
		r.Units = append(r.Units, &script.Unit{Path: path, Subject: facts.Subject{Kind: facts.SubjectScript, Name: "workflow"}, Env: d.env(env, true)})
	}
	_, jobs := get(d.root, "jobs")
	for _, j := range pairs(jobs) {
		r.githubJob(d, j.key.Value, j.value, wfShell)
	}
	return r, nil
}

// defaultShell is defaults.run.shell of a workflow or job, or "".
func defaultShell(n *yaml.Node) string {
	_, def := get(n, "defaults")
	_, run := get(def, "run")
	_, sh := get(run, "shell")
	if isScalar(sh) {
		return sh.Value
	}
	return ""
}

// onWindows reports a job whose runs-on names a Windows runner, where run
// steps default to PowerShell.
func onWindows(job *yaml.Node) bool {
	_, ro := get(job, "runs-on")
	var labels []*yaml.Node
	switch {
	case isScalar(ro):
		labels = []*yaml.Node{ro}
	case ro != nil && ro.Kind == yaml.SequenceNode:
		labels = items(ro)
	case ro != nil && ro.Kind == yaml.MappingNode:
		_, l := get(ro, "labels")
		if isScalar(l) {
			labels = []*yaml.Node{l}
		} else {
			labels = items(l)
		}
	}
	for _, l := range labels {
		if isScalar(l) && strings.Contains(strings.ToLower(l.Value), "windows") {
			return true
		}
	}
	return false
}

// shellName is the program of a shell: setting (`bash`, `sh -e {0}`).
func shellName(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return base(f[0])
}

func base(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (r *Result) githubJob(d *doc, id string, job *yaml.Node, wfShell string) {
	u := &script.Unit{Path: d.path, Subject: facts.Subject{Kind: facts.SubjectScript, Name: "job " + id}}
	if _, env := get(job, "env"); env != nil {
		u.Env = append(u.Env, d.env(env, true)...)
	}
	sh := defaultShell(job)
	if sh == "" {
		sh = wfShell
	}
	if sh == "" {
		sh = "bash"
		if onWindows(job) {
			sh = "pwsh"
		}
	}
	if ck, c := get(job, "container"); c != nil {
		r.githubContainer(d, u, ck, c, facts.Subject{Kind: facts.SubjectContainer, Name: "job " + id}, "container")
	}
	if _, svcs := get(job, "services"); svcs != nil {
		for _, s := range pairs(svcs) {
			r.githubContainer(d, u, s.key, s.value, facts.Subject{Kind: facts.SubjectService, Name: s.key.Value}, "service "+s.key.Value)
		}
	}
	_, steps := get(job, "steps")
	for _, st := range items(steps) {
		if _, env := get(st, "env"); env != nil {
			u.Env = append(u.Env, d.env(env, true)...)
		}
		rk, run := get(st, "run")
		if run == nil {
			continue
		}
		stepShell := sh
		if _, s := get(st, "shell"); isScalar(s) {
			stepShell = s.Value
		}
		name := shellName(stepShell)
		if name != "bash" && name != "sh" {
			r.Notes = append(r.Notes, facts.Note{At: d.at(rk), Message: fmt.Sprintf("run step with shell %s is not POSIX shell; not audited", name)})
			continue
		}
		if ch, ok := d.chunk(run, "run step", true); ok {
			ch.Dialect = name
			u.Chunks = append(u.Chunks, ch)
		}
	}
	if len(u.Chunks) > 0 || len(u.Env) > 0 || len(u.Credentials) > 0 {
		r.Units = append(r.Units, u)
	}
}

// githubContainer reads a job's container or one of its services: an
// image name alone, or image, options, ports, volumes, env, credentials.
// GitHub creates it with `docker create`, passing options as they are.
func (r *Result) githubContainer(d *doc, u *script.Unit, key, n *yaml.Node, subject facts.Subject, what string) {
	w := newWords(d.at(key), "docker", "create")
	var image *yaml.Node
	switch {
	case isScalar(n):
		image = n
	case n.Kind == yaml.MappingNode:
		_, image = get(n, "image")
		if _, opts := get(n, "options"); isScalar(opts) {
			if err := d.shellWords(w, opts, what+" options"); err != nil {
				r.Errors = append(r.Errors, err)
				return
			}
		}
		if _, ports := get(n, "ports"); ports != nil {
			for _, p := range items(ports) {
				if v, lit := d.value(p, true); v != "" {
					w.add("-p", true, d.at(p))
					w.add(v, lit, d.at(p))
				}
			}
		}
		if _, vols := get(n, "volumes"); vols != nil {
			for _, p := range items(vols) {
				if v, lit := d.value(p, true); v != "" {
					w.add("-v", true, d.at(p))
					w.add(v, lit, d.at(p))
				}
			}
		}
		if _, env := get(n, "env"); env != nil {
			for _, e := range d.env(env, true) {
				w.add("-e", true, e.At)
				w.add(e.Name+"="+e.Value, !e.Dynamic, e.At)
			}
		}
		if _, cred := get(n, "credentials"); cred != nil {
			if pk, pw := get(cred, "password"); isScalar(pw) {
				if v, lit := d.value(pw, true); lit && v != "" {
					u.Credentials = append(u.Credentials, facts.Credential{What: what + " credentials.password", Value: v, At: d.at(pk)})
				}
			}
		}
	default:
		return
	}
	if !isScalar(image) || image.Value == "" {
		// An empty image (`container: ${{ matrix.image }}` that is empty)
		// runs the job on the runner itself.
		return
	}
	v, lit := d.value(image, true)
	w.add(v, lit, d.at(image))
	r.fromCommand(d, w, subject, "")
}
