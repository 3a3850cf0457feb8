package audit

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/dockguard/dockguard/internal/source/dockerfile"
)

// buildCache reads and parses each Dockerfile once per target, for the
// Dockerfile audit and for every compose service that builds from it.
type buildCache struct {
	opt Options
	mu  sync.Mutex
	m   map[buildKey]*buildEntry
}

type buildKey struct{ path, target, context string }

type buildEntry struct {
	once  sync.Once
	build *facts.Build
	notes []dockerfile.Note
	err   error
}

func newBuildCache(opt Options) *buildCache {
	return &buildCache{opt: opt, m: map[buildKey]*buildEntry{}}
}

func (c *buildCache) exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// get returns the build facts of a Dockerfile for a target stage ("" is
// the last stage) and build context ("" is the Dockerfile's folder).
func (c *buildCache) get(path, target, context string) (*facts.Build, []dockerfile.Note, error) {
	if context == "" {
		context = filepath.Dir(path)
	}
	k := buildKey{filepath.Clean(path), target, filepath.Clean(context)}
	c.mu.Lock()
	e, ok := c.m[k]
	if !ok {
		e = &buildEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		data, err := inputs.Read(path, c.opt.MaxSize)
		if err != nil {
			e.err = err
			return
		}
		e.build, e.notes, e.err = dockerfile.Load(path, data, dockerfile.Options{Target: target, ContextDir: context})
	})
	return e.build, e.notes, e.err
}

// peek returns a cached build without caching a new one: a Dockerfile
// audited on its own is not kept in memory after its audit.
func (c *buildCache) peek(path, target string) (*facts.Build, []dockerfile.Note, error) {
	k := buildKey{filepath.Clean(path), target, filepath.Clean(filepath.Dir(path))}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		e.once.Do(func() {})
		if e.build != nil || e.err != nil {
			return e.build, e.notes, e.err
		}
	}
	data, err := inputs.Read(path, c.opt.MaxSize)
	if err != nil {
		return nil, nil, err
	}
	return dockerfile.Load(path, data, dockerfile.Options{Target: target, ContextDir: filepath.Dir(path)})
}

func auditDockerfile(path string, opt Options, pol *policy.Policy, builds *buildCache) ([]rules.Finding, []Note, *inputs.Error) {
	b, notes, err := builds.peek(path, opt.Target)
	var out []Note
	for _, n := range notes {
		out = append(out, Note{Path: n.At.Path, Line: n.At.Line, Message: n.Message})
	}
	if err != nil {
		return nil, out, asInputError(path, err)
	}
	return pol.Build(b), out, nil
}

func asInputError(path string, err error) *inputs.Error {
	if ie, ok := err.(*inputs.Error); ok {
		return ie
	}
	return &inputs.Error{Path: path, Message: err.Error()}
}
