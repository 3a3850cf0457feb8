package image

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
)

// Result is an image read by a source.
type Result struct {
	Image *facts.Image
	// ConfigDigest is the image ID; Tags the archive's tags.
	ConfigDigest string
	Tags         []string
}

// configFile is the part of an image config dockguard reads.
type configFile struct {
	Config struct {
		User         string
		ExposedPorts map[string]struct{}
		Env          []string
		Entrypoint   []string
		Cmd          []string
		Labels       map[string]string
		Healthcheck  *struct{ Test []string }
		WorkingDir   string
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		CreatedBy  string `json:"created_by"`
		EmptyLayer bool   `json:"empty_layer"`
	} `json:"history"`
	OS string `json:"os"`
}

// assemble turns a config and the scans of its layers (in order) into the
// image fact: verifies the diff IDs, resolves whiteouts and replaced files.
func assemble(ref string, cfgJSON []byte, layers []*layerScan, all bool) (*Result, error) {
	var cf configFile
	if err := json.Unmarshal(cfgJSON, &cf); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if len(cf.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("image config lists %d layers, the manifest %d", len(cf.RootFS.DiffIDs), len(layers))
	}
	im := &facts.Image{Ref: ref, Subject: facts.Subject{Kind: facts.SubjectImage, Name: ref}}
	for i, ls := range layers {
		if cf.RootFS.DiffIDs[i] != ls.DiffID {
			return nil, fmt.Errorf("layer %d: digest mismatch: the config expects %s, the content is %s", i, cf.RootFS.DiffIDs[i], ls.DiffID)
		}
		im.Layers = append(im.Layers, ls.DiffID)
	}
	at := func(field string) facts.Location { return facts.Location{Image: ref, File: "config " + field} }
	c := &facts.Container{Subject: im.Subject, Origin: at(""), BuiltFrom: ref}
	c.Image = facts.SetAt(ref, at("image"))
	if cf.Config.User != "" {
		c.User = facts.SetAt(cf.Config.User, at("User"))
	} else {
		c.User = facts.Value[string]{At: at("User"), Why: "root (the image config sets no User)"}
	}
	if cf.Config.Entrypoint != nil {
		c.Entrypoint = facts.SetAt(cf.Config.Entrypoint, at("Entrypoint"))
	}
	if cf.Config.Cmd != nil {
		c.Cmd = facts.SetAt(cf.Config.Cmd, at("Cmd"))
	}
	for _, e := range cf.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		c.Env = append(c.Env, facts.EnvVar{Name: k, Value: v, At: at("Env " + k)})
	}
	ports := make([]string, 0, len(cf.Config.ExposedPorts))
	for p := range cf.Config.ExposedPorts {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	for _, p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, _ := strings.Cut(num, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if hi != "" {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		c.ExposedPorts = append(c.ExposedPorts, facts.ExposedPort{Port: a, EndPort: b, Proto: proto, At: at("ExposedPorts " + p)})
	}
	if hc := cf.Config.Healthcheck; hc != nil && len(hc.Test) > 0 {
		c.Healthcheck = facts.SetAt(hc.Test[0] != "NONE", at("Healthcheck"))
	} else {
		c.Healthcheck = facts.Value[bool]{At: at("Healthcheck")}
	}
	if len(cf.Config.Labels) > 0 {
		c.Labels = map[string]facts.Value[string]{}
		for k, v := range cf.Config.Labels {
			c.Labels[k] = facts.SetAt(v, at("Labels "+k))
		}
	}
	im.Config = c
	for i, h := range cf.History {
		im.History = append(im.History, facts.HistoryEntry{CreatedBy: h.CreatedBy, EmptyLayer: h.EmptyLayer, At: facts.Location{Image: ref, File: "history " + strconv.Itoa(i)}})
	}
	for _, ls := range layers {
		for _, n := range ls.Notes {
			im.Notes = append(im.Notes, facts.Note{At: facts.Location{Image: ref}, Message: n})
		}
	}
	resolve(layers)
	keepNotable(im, layers, all)
	c.PrivilegeDrop = privilegeDrop(im, cf.Config.WorkingDir)
	return &Result{Image: im}, nil
}

// binDirs are where an entrypoint's tools (gosu, su-exec, sudo) are looked
// up, as PATH does.
var binDirs = []string{"usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"}

// notable reports whether an entry is one the image rules judge: set-id
// files (also those a later layer removed: they are still in the image),
// world-writable directories without the sticky bit, files with secrets,
// credential or script text (entrypoint scripts), and what the final
// filesystem holds in the PATH folders (drop tools, sudo).
func notable(f *scanned) bool {
	switch {
	case f.whiteout:
		return false
	case f.isRegular() && f.mode&0o6000 != 0:
		return true
	case f.isDir():
		return f.final && f.mode&0o002 != 0 && f.mode&0o1000 == 0
	case f.text != nil:
		return true
	case f.final:
		return slices.Contains(binDirs, parentDir(f.path))
	}
	return false
}

// keepNotable turns, once whiteouts are resolved, the notable entries
// (every entry with all) into the image's files with their locations, and
// lets go of each layer's scan: memory then follows what an image holds
// that matters, not its file count (a 3 GiB image of 240,000 files peaked
// near 280 MB resident when every entry was kept as a fact).
func keepNotable(im *facts.Image, layers []*layerScan, all bool) {
	for li, ls := range layers {
		im.Entries += len(ls.Files)
		where := shortLayer(li, ls.DiffID)
		for i := range ls.Files {
			f := &ls.Files[i]
			if !all && !notable(f) {
				continue
			}
			fact := f.fact(li)
			fact.At = facts.Location{Image: im.Ref, Layer: where, File: "/" + f.path}
			im.Files = append(im.Files, fact)
		}
		ls.Files = nil
	}
}

// entryRef is an entry's place: its layer and its index in that layer.
type entryRef struct{ layer, i int32 }

// resolve lays the layers over each other in memory (paths and metadata
// only): each layer's whiteouts and opaque directories hide what the layers
// below hold, and an entry replaces the one below at its path. It marks
// the entries final or removed.
func resolve(layers []*layerScan) {
	at := func(r entryRef) *scanned { return &layers[r.layer].Files[r.i] }
	live := map[string]entryRef{}     // path -> what shows there
	children := map[string][]string{} // dir -> paths below it
	registered := map[string]bool{}   // paths listed in children
	var removeTree func(p string)
	removeTree = func(p string) {
		if r, ok := live[p]; ok {
			at(r).removed = true
			delete(live, p)
		}
		delete(registered, p)
		kids := children[p]
		delete(children, p)
		for _, c := range kids {
			if registered[c] {
				removeTree(c)
			}
		}
	}
	for li, ls := range layers {
		cur := ls.Files
		// Whiteouts hide the layers below only.
		for i := range cur {
			f := &cur[i]
			if !f.whiteout {
				continue
			}
			if f.opaque {
				kids := children[f.path]
				delete(children, f.path)
				for _, c := range kids {
					if registered[c] {
						removeTree(c)
					}
				}
			} else {
				removeTree(f.path)
			}
		}
		for i := range cur {
			f := &cur[i]
			if f.whiteout {
				continue
			}
			if old, ok := live[f.path]; ok {
				if !(f.isDir() && at(old).isDir()) {
					if !f.isDir() {
						removeTree(f.path)
					}
				}
				at(old).removed = true
			}
			live[f.path] = entryRef{int32(li), int32(i)}
			for p := f.path; p != "." && !registered[p]; p = parentDir(p) {
				registered[p] = true
				children[parentDir(p)] = append(children[parentDir(p)], p)
			}
		}
	}
	for _, r := range live {
		at(r).final = true
	}
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

// shortLayer names a layer in locations: its index and a short digest.
func shortLayer(i int, diffID string) string {
	d := strings.TrimPrefix(diffID, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return strconv.Itoa(i) + " (" + d + ")"
}
