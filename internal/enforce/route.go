package enforce

import (
	"errors"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Route kinds: what the decision does with a request.
const (
	kindAllow       = "allow"
	kindCreate      = "create"
	kindUpdate      = "update"
	kindExec        = "exec"
	kindVolume      = "volume"
	kindService     = "service"
	kindBuild       = "build"
	kindBuildKit    = "buildkit"
	kindPlugin      = "plugin"
	kindArchivePut  = "archive-put"
	kindJSONAllowed = "json" // allowed once its body decodes into the route's type
	kindExecStart   = "exec-start"
	kindAttach      = "attach" // a stream: only with Upgrade
)

type route struct {
	method  string
	pattern string   // "/containers/{id}/exec"; "{*}" takes the rest
	parts   []string // pattern split on "/"
	kind    string
}

// routes is the allow-list: every route the daemon serves that dockguard
// lets through or judges. Anything else is denied.
var routes = func() []route {
	list := []struct{ method, pattern, kind string }{
		{"GET", "/_ping", kindAllow}, {"HEAD", "/_ping", kindAllow},
		{"GET", "/version", kindAllow}, {"GET", "/info", kindAllow},
		{"GET", "/events", kindAllow}, {"GET", "/system/df", kindAllow},
		{"POST", "/auth", kindAllow},

		{"GET", "/containers/json", kindAllow},
		{"POST", "/containers/create", kindCreate},
		{"POST", "/containers/prune", kindAllow},
		{"GET", "/containers/{id}/json", kindAllow},
		{"GET", "/containers/{id}/top", kindAllow},
		{"GET", "/containers/{id}/logs", kindAllow},
		{"GET", "/containers/{id}/changes", kindAllow},
		{"GET", "/containers/{id}/stats", kindAllow},
		{"GET", "/containers/{id}/export", kindAllow},
		{"GET", "/containers/{id}/archive", kindAllow},
		{"HEAD", "/containers/{id}/archive", kindAllow},
		{"PUT", "/containers/{id}/archive", kindArchivePut},
		{"GET", "/containers/{id}/attach/ws", kindAttach},
		{"POST", "/containers/{id}/start", kindAllow},
		{"POST", "/containers/{id}/stop", kindAllow},
		{"POST", "/containers/{id}/restart", kindAllow},
		{"POST", "/containers/{id}/kill", kindAllow},
		{"POST", "/containers/{id}/pause", kindAllow},
		{"POST", "/containers/{id}/unpause", kindAllow},
		{"POST", "/containers/{id}/wait", kindAllow},
		{"POST", "/containers/{id}/resize", kindAllow},
		{"POST", "/containers/{id}/attach", kindAttach},
		{"POST", "/containers/{id}/rename", kindAllow},
		{"POST", "/containers/{id}/update", kindUpdate},
		{"POST", "/containers/{id}/exec", kindExec},
		{"DELETE", "/containers/{id}", kindAllow},

		{"GET", "/exec/{id}/json", kindAllow},
		{"POST", "/exec/{id}/start", kindExecStart},
		{"POST", "/exec/{id}/resize", kindAllow},

		{"GET", "/images/json", kindAllow},
		{"GET", "/images/search", kindAllow},
		{"GET", "/images/get", kindAllow},
		{"POST", "/images/create", kindAllow},
		{"POST", "/images/load", kindAllow},
		{"POST", "/images/prune", kindAllow},
		{"GET", "/images/{*}", kindAllow},  // {name}/json, /history, /get
		{"POST", "/images/{*}", kindAllow}, // {name}/tag, /push
		{"DELETE", "/images/{*}", kindAllow},
		{"GET", "/distribution/{*}", kindAllow},
		{"POST", "/commit", kindAllow},
		{"POST", "/build", kindBuild},
		{"POST", "/build/prune", kindAllow},
		{"POST", "/build/cancel", kindAllow},
		{"POST", "/session", kindBuildKit},
		{"POST", "/grpc", kindBuildKit},

		{"GET", "/networks", kindAllow},
		{"GET", "/networks/{id}", kindAllow},
		{"POST", "/networks/create", kindJSONAllowed},
		{"POST", "/networks/{id}/connect", kindJSONAllowed},
		{"POST", "/networks/{id}/disconnect", kindJSONAllowed},
		{"POST", "/networks/prune", kindAllow},
		{"DELETE", "/networks/{id}", kindAllow},

		{"GET", "/volumes", kindAllow},
		{"GET", "/volumes/{name}", kindAllow},
		{"POST", "/volumes/create", kindVolume},
		{"POST", "/volumes/prune", kindAllow},
		{"DELETE", "/volumes/{name}", kindAllow},

		{"GET", "/services", kindAllow},
		{"GET", "/services/{id}", kindAllow},
		{"GET", "/services/{id}/logs", kindAllow},
		{"POST", "/services/create", kindService},
		{"POST", "/services/{id}/update", kindService},
		{"DELETE", "/services/{id}", kindAllow},
		{"GET", "/tasks", kindAllow},
		{"GET", "/tasks/{id}", kindAllow},
		{"GET", "/tasks/{id}/logs", kindAllow},
		{"GET", "/nodes", kindAllow},
		{"GET", "/nodes/{id}", kindAllow},
		{"GET", "/swarm", kindAllow},
		{"GET", "/swarm/unlockkey", kindAllow},
		{"GET", "/secrets", kindAllow},
		{"GET", "/secrets/{id}", kindAllow},
		{"GET", "/configs", kindAllow},
		{"GET", "/configs/{id}", kindAllow},

		{"GET", "/plugins", kindAllow},
		{"GET", "/plugins/privileges", kindAllow},
		{"GET", "/plugins/{name}/json", kindAllow},
		{"POST", "/plugins/pull", kindPlugin},
		{"POST", "/plugins/create", kindPlugin},
		{"POST", "/plugins/{name}/enable", kindPlugin},
		{"POST", "/plugins/{name}/disable", kindPlugin},
		{"POST", "/plugins/{name}/set", kindPlugin},
		{"POST", "/plugins/{name}/upgrade", kindPlugin},
		{"POST", "/plugins/{name}/push", kindPlugin},
		{"DELETE", "/plugins/{name}", kindPlugin},
	}
	out := make([]route, len(list))
	for i, r := range list {
		out[i] = route{method: r.method, pattern: r.pattern, parts: strings.Split(r.pattern, "/"), kind: r.kind}
	}
	return out
}()

var reVersion = regexp.MustCompile(`^/v[0-9][0-9.]*(/|$)`)

// target is a request path as the daemon routes it.
type target struct {
	path string // decoded, without the version prefix
	// version is the API version the path names ("1.41"), "" for none
	// (the daemon then uses its own).
	version string
	route   *route            // nil: not on the allow-list
	params  map[string]string // {id}, {name}, {*}
	query   url.Values
}

var errUnclean = errors.New("the path is not clean (the daemon would redirect it)")

// parseTarget normalizes a request-target as the daemon's router does:
// absolute or origin form, percent-decoded, the /vN.NN prefix stripped,
// matched exactly and case-sensitively; the query is kept apart.
func parseTarget(method, raw string) (*target, error) {
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return nil, err
	}
	p := u.Path
	if p == "" || p[0] != '/' {
		return nil, errors.New("the path is not absolute")
	}
	if path.Clean(p) != p {
		return nil, errUnclean
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, err
	}
	version := ""
	if m := reVersion.FindStringIndex(p); m != nil {
		version = strings.TrimSuffix(p[2:m[1]], "/")
		p = "/" + p[m[1]:]
		if m[1] > 0 && p == "/" {
			p = strings.TrimSuffix(p, "/")
		}
	}
	t := &target{path: p, query: q, version: version}
	segs := strings.Split(p, "/")
	for i := range routes {
		r := &routes[i]
		if r.method != method {
			continue
		}
		if params, ok := match(r.parts, segs); ok {
			t.route, t.params = r, params
			return t, nil
		}
	}
	return t, nil
}

func match(pattern, segs []string) (map[string]string, bool) {
	var params map[string]string
	for i, p := range pattern {
		if p == "{*}" {
			rest := strings.Join(segs[i:], "/")
			if i >= len(segs) || rest == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params["*"] = rest
			return params, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(p, "{}")] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, len(pattern) == len(segs)
}

// ReadsBody reports whether a route's body is read and judged: the
// proxy reads it whole before deciding, and forwards exactly it.
func ReadsBody(t *target) bool {
	if t == nil || t.route == nil {
		return false
	}
	switch t.route.kind {
	case kindCreate, kindUpdate, kindExec, kindExecStart, kindVolume, kindService, kindJSONAllowed, kindPlugin:
		return true
	}
	return t.route.pattern == "/containers/{id}/start"
}

// versionBelow reports whether an API version is lower than major.minor;
// a version that does not parse counts as lower.
func versionBelow(v string, major, minor int) bool {
	a, b, _ := strings.Cut(v, ".")
	if b2, _, ok := strings.Cut(b, "."); ok {
		b = b2
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if b == "" {
		y, err2 = 0, nil
	}
	if err1 != nil || err2 != nil {
		return true
	}
	return x < major || x == major && y < minor
}
