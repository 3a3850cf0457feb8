package compose

import (
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/format"
	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-units"
)

// env is the environment a compose file is interpolated with.
type env map[string]string

func (e env) lookup(k string) (string, bool) {
	v, ok := e[k]
	return v, ok
}

// expand interpolates s the way compose does (`$$` escapes, `${A:-default}`,
// `${A-default}`, `${A:+alt}`, `${A:?error}`) and returns the variables that
// had no value and no default, in order, without duplicates. compose uses a
// blank string for them, and so does expand; a required variable
// (`${A:?msg}`) that is missing, which stops `docker compose`, is one of
// them here too, so an audit goes on. Only an invalid template (`${}`) is
// an error.
func expand(s string, lookup template.Mapping) (string, []string, error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var missing []string
	note := func(name string) {
		for _, m := range missing {
			if m == name {
				return
			}
		}
		missing = append(missing, name)
	}
	replace := func(sub string, mapping template.Mapping, cfg *template.Config) (string, error) {
		v, applied, err := template.DefaultReplacementAppliedFunc(sub, mapping, cfg)
		var req *template.MissingRequiredError
		switch {
		case errors.As(err, &req):
			note(req.Variable)
			return "", nil
		case err != nil:
			return v, err
		case !applied:
			note(varName(sub))
		}
		return v, nil
	}
	out, err := template.SubstituteWithOptions(s, lookup, template.WithoutLogging, template.WithReplacementFunction(replace))
	return out, missing, err
}

// varName returns the variable a `$NAME` or `${NAME…}` reference names.
func varName(ref string) string {
	ref = strings.TrimPrefix(ref, "$")
	ref = strings.TrimPrefix(ref, "{")
	end := 0
	for end < len(ref) {
		c := ref[end]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || end > 0 && c >= '0' && c <= '9' {
			end++
			continue
		}
		break
	}
	return ref[:end]
}

// interpolation builds the interpolation options given to compose-go. The
// substitution records, for the value being interpolated, whether a variable
// had no value; compose-go casts that value right after substituting it, so
// the casts below can tell a value that is blank because a variable is
// missing (its field is unknown: load it as a zero value) from a value that
// is wrong as written (an error, as in `docker compose`).
type interpolation struct {
	lastMissing  bool
	lastTemplate string
	lastMapping  template.Mapping
}

func (st *interpolation) substitute(s string, m template.Mapping) (string, error) {
	out, missing, err := expand(s, m)
	st.lastMissing = len(missing) > 0
	st.lastTemplate, st.lastMapping = s, m
	return out, err
}

// named re-expands the last value with each missing variable standing for
// a name of its own ("DATA" for ${DATA}): a short-syntax volume or port
// left with an empty section (":/data") by a blank would not parse.
func (st *interpolation) named(valid func(string) bool) interp.Cast {
	return func(v string) (any, error) {
		if !st.lastMissing || valid(v) {
			return v, nil
		}
		out := expandNamed(st.lastTemplate, st.lastMapping)
		if !valid(out) {
			return v, nil
		}
		return out, nil
	}
}

// expandNamed expands s with each variable that has no value standing for
// a name of its own: "missing-data" for ${DATA}.
func expandNamed(s string, m template.Mapping) string {
	out, _, err := expand(s, func(k string) (string, bool) {
		if val, ok := m(k); ok {
			return val, true
		}
		return "missing-" + strings.ToLower(k), true
	})
	if err != nil {
		return s
	}
	return out
}

// wrap makes a compose-go cast accept a value left blank (or malformed) by
// a missing variable.
func (st *interpolation) wrap(orig interp.Cast) interp.Cast {
	return func(v string) (any, error) {
		r, err := orig(v)
		if err == nil || !st.lastMissing {
			return r, err
		}
		for _, zero := range []string{"0", "false"} {
			if z, zerr := orig(zero); zerr == nil {
				return z, nil
			}
		}
		return r, err
	}
}

// tolerate returns a cast for a field compose-go parses later (sizes,
// durations, CPU counts): the value is passed on unchanged unless a missing
// variable left it unparsable, in which case zero stands in for it.
func (st *interpolation) tolerate(valid func(string) bool, zero string) interp.Cast {
	return func(v string) (any, error) {
		if st.lastMissing && !valid(v) {
			return zero, nil
		}
		return v, nil
	}
}

// containerName is the schema's pattern for container_name.
var containerName = regexp.MustCompile(`[a-zA-Z0-9][a-zA-Z0-9_.-]+`)

func validBytes(v string) bool {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return true
	}
	_, err := units.RAMInBytes(v)
	return err == nil
}

func validDuration(v string) bool {
	_, err := time.ParseDuration(v)
	return err == nil
}

func validFloat(v string) bool {
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

// options returns compose-go interpolation options built on the ones the
// loader made (which carry compose-go's own casts).
func (st *interpolation) options(base *interp.Options) *interp.Options {
	casts := map[tree.Path]interp.Cast{}
	for p, c := range base.TypeCastMapping {
		casts[p] = st.wrap(c)
	}
	// compose-go tries every pattern on every value: keep the list short
	// (services only; jobs are not audited).
	add := func(cast interp.Cast, parts ...string) {
		p := tree.NewPath(append([]string{"services", tree.PathMatchAll}, parts...)...)
		if _, ok := casts[p]; !ok {
			casts[p] = cast
		}
	}
	size := st.tolerate(validBytes, "0")
	for _, k := range []string{"mem_limit", "memswap_limit", "mem_reservation", "mem_swappiness", "shm_size"} {
		add(size, k)
	}
	for _, kind := range []string{"limits", "reservations"} {
		add(size, "deploy", "resources", kind, "memory")
		add(st.tolerate(validFloat, "0"), "deploy", "resources", kind, "cpus")
	}
	add(size, "build", "shm_size")
	// Values the schema constrains with a pattern or an enum.
	add(st.named(containerName.MatchString), "container_name")
	add(st.tolerate(func(v string) bool { return v != "" }, "missing"), "pull_policy")
	add(st.tolerate(func(v string) bool { return v == "host" || v == "private" }, "private"), "cgroup")
	add(st.named(func(v string) bool {
		_, err := format.ParseVolume(v)
		return err == nil
	}), "volumes", tree.PathMatchList)
	add(st.named(func(v string) bool {
		_, err := types.ParsePortConfig(v)
		return err == nil
	}), "ports", tree.PathMatchList)
	dur := st.tolerate(validDuration, "0s")
	for _, k := range []string{"interval", "timeout", "start_period", "start_interval"} {
		add(dur, "healthcheck", k)
	}
	add(dur, "stop_grace_period")
	add(dur, "deploy", "restart_policy", "delay")
	add(dur, "deploy", "restart_policy", "window")
	return &interp.Options{
		LookupValue:     base.LookupValue,
		Substitute:      st.substitute,
		TypeCastMapping: casts,
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
