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
	"GET /exec/{id}/json":            "an exec's command line may carry secrets",
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
