package enforce

import (
	"strings"

	"github.com/dockguard/dockguard/internal/config"
)

// readOnlyRoutes are the routes the read-only API profile forwards: what
// monitoring tools read (dockguard agent, Traefik's docker provider,
// Prometheus' docker and dockerswarm discovery) and nothing that changes
// the daemon, hands out a stream into a container, copies data out of it
// or reveals credentials. Each names a route of the full allow-list, so
// the path is parsed exactly as for every other request.
var readOnlyRoutes = map[string]bool{
	"GET /_ping": true, "HEAD /_ping": true,
	"GET /version": true, "GET /info": true, "GET /events": true, "GET /system/df": true,

	"GET /containers/json":      true,
	"GET /containers/{id}/json": true,
	// The agent reads the user of a running container's first process.
	"GET /containers/{id}/top":   true,
	"GET /containers/{id}/stats": true,

	"GET /images/json": true,
	"GET /images/{*}":  true, // inspect only: readOnlyImage

	"GET /networks": true, "GET /networks/{id}": true,
	"GET /volumes": true, "GET /volumes/{name}": true,

	"GET /services": true, "GET /services/{id}": true,
	"GET /tasks": true, "GET /tasks/{id}": true,
	"GET /nodes": true, "GET /nodes/{id}": true,
}

// readOnlyWhy says why a route that changes nothing on the daemon is still
// refused by the read-only profile; every write route is refused as one.
var readOnlyWhy = map[string]string{
	"GET /swarm":                     "it returns the Swarm join tokens",
	"GET /swarm/unlockkey":           "it returns the Swarm unlock key",
	"GET /secrets":                   "Swarm secrets are not for monitoring tools",
	"GET /secrets/{id}":              "Swarm secrets are not for monitoring tools",
	"GET /configs":                   "it returns the configs' data",
	"GET /configs/{id}":              "it returns the config's data",
	"GET /containers/{id}/logs":      "logs often carry secrets (tokens, connection strings, stack traces)",
	"GET /services/{id}/logs":        "logs often carry secrets (tokens, connection strings, stack traces)",
	"GET /tasks/{id}/logs":           "logs often carry secrets (tokens, connection strings, stack traces)",
	"GET /containers/{id}/export":    "it copies a container's filesystem out",
	"GET /containers/{id}/archive":   "it copies files out of a container (docker cp)",
	"HEAD /containers/{id}/archive":  "it reads files of a container (docker cp)",
	"GET /containers/{id}/attach/ws": "it attaches to a container's standard streams, stdin included",
	"GET /containers/{id}/changes":   "it lists a container's file changes, which no monitoring tool needs",
	"GET /exec/{id}/json":            "no monitoring tool needs it (an exec's command line is also in /events and top)",
	"GET /images/get":                "it exports images",
	"GET /images/search":             "it queries a registry",
	"GET /distribution/{*}":          "it asks a registry, with the credentials the client forwards",
	"GET /plugins":                   "plugin settings may carry credentials",
	"GET /plugins/{name}/json":       "plugin settings may carry credentials",
	"GET /plugins/privileges":        "it asks a registry",
}

// readOnlyImage reports whether a GET /images/{*} path is an image
// inspect (/images/NAME/json): the daemon routes a path ending in /json
// there whatever the name holds, and /NAME/get (export) or /NAME/history
// (build commands) elsewhere.
func readOnlyImage(rest string) bool {
	name, ok := strings.CutSuffix(rest, "/json")
	return ok && name != ""
}

// readOnlyRefusal returns why the read-only profile refuses a routed
// request, "" when it allows it.
func readOnlyRefusal(method string, t *target) string {
	if t.route == nil {
		return "it is not on dockguard's allow-list"
	}
	key := method + " " + t.route.pattern
	if key == "GET /containers/{id}/top" {
		if why := topArgsRisk(t.query.Get("ps_args")); why != "" {
			return why
		}
	}
	if readOnlyRoutes[key] {
		if t.route.pattern == "/images/{*}" && !readOnlyImage(t.params["*"]) {
			return "only image inspect (/images/NAME/json) is read: history shows build commands, get exports the image"
		}
		return ""
	}
	if why, ok := readOnlyWhy[key]; ok {
		return why
	}
	return "it changes the daemon or reaches into a container"
}

// readOnly applies the read-only profile; it reports whether the request
// was refused.
func (j *judgement) readOnly(method string, t *target) bool {
	why := readOnlyRefusal(method, t)
	if why == "" {
		return false
	}
	route := t.path
	if t.route != nil {
		route = t.route.pattern
	}
	j.denied = true
	r := requestRule("request-unjudged")
	j.vs = append(j.vs, Violation{Rule: r.ID, Slug: r.Slug, Check: "read-only-api", Severity: r.Severity, Deny: true,
		Message: "read-only-api: " + method + " " + truncate(route, 80) + " is refused by the read-only API (enforce.api: " + config.APIReadOnly + ", --api " + config.APIReadOnly + "): " + why})
	return true
}

// topFields are the ps fields a top request may ask for: what a process
// is, who runs it and what it costs. None prints the environment.
var topFields = map[string]bool{
	"pid": true, "ppid": true, "pgid": true, "sid": true, "uid": true, "euid": true, "ruid": true, "suid": true,
	"user": true, "euser": true, "ruser": true, "gid": true, "egid": true, "group": true, "comm": true, "args": true,
	"cmd": true, "command": true, "etime": true, "etimes": true, "time": true, "stime": true, "start": true, "stat": true,
	"pcpu": true, "%cpu": true, "pmem": true, "%mem": true, "rss": true, "vsz": true, "tty": true, "c": true, "nlwp": true,
}

// topArgsRisk says why a top request's ps_args are refused where env
// values are hidden ("" when they pass): ps's BSD options (words without
// a dash) include e, which prints every process's environment, so only
// -e, -f, -A and -o with fields from topFields pass. The daemon's default
// (no ps_args) is -ef.
func topArgsRisk(args string) string {
	w := strings.Fields(args)
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case "-e", "-f", "-ef", "-fe", "-A", "-Af":
			continue
		case "-o", "-eo", "-Ao", "-ao":
			if i+1 == len(w) {
				return "ps_args " + w[i] + " has no field list"
			}
			i++
			for _, f := range strings.Split(w[i], ",") {
				name, _, _ := strings.Cut(f, "=")
				if !topFields[strings.ToLower(name)] {
					return "ps field " + truncate(name, 20) + " is not one dockguard lets through where env values are hidden"
				}
			}
			continue
		}
		return "ps_args " + truncate(w[i], 20) + " is refused where env values are hidden: only -e, -f, -A and -o FIELDS pass (BSD options such as e print each process's environment)"
	}
	return ""
}
