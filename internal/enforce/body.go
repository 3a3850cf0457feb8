package enforce

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
)

// The request types below are the Engine API's own (github.com/moby/moby/api)
// with the fields that dockerd 20.10 to 26 still reads and newer type
// packages dropped. Decoding into them with encoding/json gives the
// daemon's own reading: case-folded keys (Unicode simple folding, so
// "Bind\u017f" is Binds), the last duplicate wins, repeated objects merge
// into the same struct, and a later null resets a pointer.

// CreateConfig is container.Config as dockerd 20.10 reads it.
type CreateConfig struct {
	apicontainer.Config
	// MacAddress moved to the endpoint settings in API 1.44; dockerd 20.10
	// sets the container's MAC address from it.
	MacAddress string `json:",omitempty"`
}

// CreateHostConfig is container.HostConfig as dockerd 20.10 reads it.
type CreateHostConfig struct {
	apicontainer.HostConfig
	// KernelMemory and KernelMemoryTCP (removed in API 1.42) are applied
	// by dockerd 20.10 on cgroup v1; the 20.10 CLI sends KernelMemory on
	// every create.
	KernelMemory    int64 `json:",omitempty"`
	KernelMemoryTCP int64 `json:",omitempty"`
	// Capabilities (API 1.40 only) replaced the whole capability set.
	Capabilities []string `json:",omitempty"`
}

// CreateBody is a create request as dockerd before 27 decodes it
// (runconfig's ContainerConfigWrapper): the container configuration at the
// top level, HostConfig beside it, and, deprecated but still read, every
// HostConfig field at the top level too (plus Cpuset for CpusetCpus).
type CreateBody struct {
	*CreateConfig
	InnerHostConfig  *CreateHostConfig         `json:"HostConfig,omitempty"`
	Cpuset           string                    `json:",omitempty"`
	NetworkingConfig *network.NetworkingConfig `json:"NetworkingConfig,omitempty"`
	*CreateHostConfig
}

// Create is a decoded create request: what the daemon will create.
type Create struct {
	Config           *CreateConfig
	HostConfig       *CreateHostConfig // nil: none given
	NetworkingConfig *network.NetworkingConfig
	// TopLevel is true when HostConfig fields were given at the top level
	// of the body (the form dockerd 27 and later no longer read).
	TopLevel bool
	// Mixed is true when top-level HostConfig fields stand beside a
	// HostConfig object: daemon versions disagree on the result.
	Mixed bool
}

// hostConfig merges the two HostConfig forms as dockerd 20.10 to 26 does
// (runconfig's getHostConfig): without a HostConfig object the top-level
// fields are the HostConfig; with one, only Memory, MemorySwap,
// CpuShares, CpusetCpus and VolumeDriver are taken from the top level,
// and only where the object leaves them zero; Cpuset fills CpusetCpus.
func (w *CreateBody) hostConfig() (*CreateHostConfig, bool) {
	top, inner := w.CreateHostConfig, w.InnerHostConfig
	mixed := false
	hc := top
	if top == nil && inner != nil {
		hc = inner
	} else if inner != nil {
		mixed = !reflect.ValueOf(*top).IsZero()
		if top.Memory != 0 && inner.Memory == 0 {
			inner.Memory = top.Memory
		}
		if top.MemorySwap != 0 && inner.MemorySwap == 0 {
			inner.MemorySwap = top.MemorySwap
		}
		if top.CPUShares != 0 && inner.CPUShares == 0 {
			inner.CPUShares = top.CPUShares
		}
		if top.CpusetCpus != "" && inner.CpusetCpus == "" {
			inner.CpusetCpus = top.CpusetCpus
		}
		if top.VolumeDriver != "" && inner.VolumeDriver == "" {
			inner.VolumeDriver = top.VolumeDriver
		}
		hc = inner
	}
	if hc != nil && w.Cpuset != "" && hc.CpusetCpus == "" {
		hc.CpusetCpus = w.Cpuset
	}
	if w.Cpuset != "" && inner != nil {
		mixed = true
	}
	return hc, mixed
}

// DecodeCreate reads a create body as dockerd 20.10 to 26 does. The error
// names what the daemon would not read the same way; keys no field takes
// are not errors here (see unknownKeys).
func DecodeCreate(body []byte) (*Create, error) {
	var w CreateBody
	if err := decodeJSON(body, &w, false); err != nil {
		return nil, err
	}
	return w.create(), nil
}

func (w *CreateBody) create() *Create {
	c := &Create{Config: w.CreateConfig, NetworkingConfig: w.NetworkingConfig}
	c.TopLevel = w.CreateHostConfig != nil || w.Cpuset != ""
	c.HostConfig, c.Mixed = w.hostConfig()
	return c
}

// ExecBody is an exec create request as dockerd 20.10 reads it
// (types.ExecConfig).
type ExecBody struct {
	apicontainer.ExecCreateRequest
	// Detach is read by dockerd 20.10 (docker exec -d sends it).
	Detach bool `json:",omitempty"`
}

// ExecStartBody is an exec start request.
type ExecStartBody struct {
	Detach      bool
	Tty         bool
	ConsoleSize *[2]uint `json:",omitempty"`
}

// UpdateBody is an update request as dockerd 20.10 reads it.
type UpdateBody struct {
	apicontainer.UpdateConfig
	KernelMemory    int64 `json:",omitempty"`
	KernelMemoryTCP int64 `json:",omitempty"`
}

// ServiceBody is a service spec as dockerd 20.10 reads it.
type ServiceBody struct {
	swarm.ServiceSpec
	// Networks is the deprecated service-level network list (API < 1.44)
	// that dockerd 20.10 still attaches tasks to.
	Networks []swarm.NetworkAttachmentConfig `json:",omitempty"`
}

// NetworkCreateBody is a network create request as dockerd 20.10 reads it.
type NetworkCreateBody struct {
	network.CreateRequest
	// CheckDuplicate (removed in API 1.44) is sent by the 20.10 CLI.
	CheckDuplicate bool `json:",omitempty"`
}

// decodeJSON decodes one JSON value as the daemon does and fails on data
// after it, as the daemon's loadJSON does. strict also fails on a key no
// field takes: the fast path, since clients send none.
func decodeJSON(body []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return errors.New("data after the JSON value")
	}
	return nil
}

// isUnknownField reports whether a decode error is DisallowUnknownFields'.
func isUnknownField(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "json: unknown field ")
}

// unknownKeys lists the keys of body that no field of t takes and whose
// value is not empty (null, false, 0, "", [], {}): a key the daemon of
// another version may act on and dockguard would not judge. Keys are
// matched as encoding/json matches them (exact, then case-folded). body
// must already have decoded into t.
func unknownKeys(body []byte, t reflect.Type) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out []string
	_ = walkValue(dec, t, "", &out)
	sort.Strings(out)
	return out
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walkValue consumes one value from dec, reading it as type t.
func walkValue(dec *json.Decoder, t reflect.Type, path string, out *[]string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		var raw json.RawMessage
		return dec.Decode(&raw)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		return nil // a scalar, or null
	}
	switch delim {
	case '{':
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				f := fields.lookup(key)
				if f == nil {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return err
					}
					if !emptyJSON(raw) {
						*out = append(*out, joinPath(path, key))
					}
					continue
				}
				if err := walkValue(dec, f.typ, joinPath(path, f.name), out); err != nil {
					return err
				}
			}
		case reflect.Map:
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if err := walkValue(dec, t.Elem(), path+"["+key+"]", out); err != nil {
					return err
				}
			}
		default:
			if err := skipRest(dec); err != nil {
				return err
			}
		}
	case '[':
		switch t.Kind() {
		case reflect.Slice, reflect.Array:
			for dec.More() {
				if err := walkValue(dec, t.Elem(), path+"[]", out); err != nil {
					return err
				}
			}
		default:
			if err := skipRest(dec); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// skipRest consumes the rest of an open object or array, up to (not
// including) its closing delimiter.
func skipRest(dec *json.Decoder) error {
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// emptyJSON reports whether a raw JSON value is null, false, a zero
// number, an empty string, an empty array or an empty object.
func emptyJSON(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	switch s {
	case "null", "false", `""`, "[]", "{}":
		return true
	}
	if len(s) > 1 && (s[0] == '[' || s[0] == '{') {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			switch v := v.(type) {
			case []any:
				return len(v) == 0
			case map[string]any:
				return len(v) == 0
			}
		}
		return false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		f, err := n.Float64()
		return err == nil && f == 0
	}
	return false
}

// jsonField is a field as encoding/json sees it.
type jsonField struct {
	name  string
	typ   reflect.Type
	index []int
}

type fieldList []jsonField

// lookup finds a key's field as encoding/json does: the exact name, else
// the first field (in field order) whose name folds to the key.
func (fs fieldList) lookup(key string) *jsonField {
	for i := range fs {
		if fs[i].name == key {
			return &fs[i]
		}
	}
	for i := range fs {
		if strings.EqualFold(fs[i].name, key) {
			return &fs[i]
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → fieldList

// jsonFields lists the fields encoding/json decodes into for a struct
// type, with its rules for embedded structs: promoted fields, the
// shallowest name wins, at equal depth a tagged name wins, otherwise the
// name is dropped.
func jsonFields(t reflect.Type) fieldList {
	if v, ok := fieldCache.Load(t); ok {
		return v.(fieldList)
	}
	type cand struct {
		jsonField
		tagged bool
	}
	var all []cand
	type level struct {
		t     reflect.Type
		index []int
	}
	current := []level{{t: t}}
	seen := map[reflect.Type]bool{}
	for len(current) > 0 {
		var next []level
		for _, l := range current {
			if seen[l.t] {
				continue
			}
			seen[l.t] = true
			for i := 0; i < l.t.NumField(); i++ {
				sf := l.t.Field(i)
				index := append(append([]int(nil), l.index...), i)
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				ft := sf.Type
				if sf.Anonymous {
					et := ft
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
					if name == "" && et.Kind() == reflect.Struct {
						next = append(next, level{t: et, index: index})
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tagged := name != ""
				if name == "" {
					name = sf.Name
				}
				all = append(all, cand{jsonField{name: name, typ: ft, index: index}, tagged})
			}
		}
		current = next
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].name != all[j].name {
			return all[i].name < all[j].name
		}
		if len(all[i].index) != len(all[j].index) {
			return len(all[i].index) < len(all[j].index)
		}
		return all[i].tagged && !all[j].tagged
	})
	var out fieldList
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		group := all[i:j]
		i = j
		if len(group) > 1 && len(group[1].index) == len(group[0].index) && group[1].tagged == group[0].tagged {
			continue // ambiguous: encoding/json drops the name
		}
		out = append(out, group[0].jsonField)
	}
	sort.Slice(out, func(i, j int) bool { return lessIndex(out[i].index, out[j].index) })
	fieldCache.Store(t, out)
	return out
}

func lessIndex(a, b []int) bool {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k] != b[k] {
			return a[k] < b[k]
		}
	}
	return len(a) < len(b)
}

// decodeStrict decodes body into v (a pointer) as the daemon does and
// fails on unknown keys whose value is not empty, naming them. Bodies
// without unknown keys are decoded once.
func decodeStrict(body []byte, v any) error {
	err := decodeJSON(body, v, true)
	if !isUnknownField(err) {
		return err
	}
	reflect.ValueOf(v).Elem().SetZero()
	if err := decodeJSON(body, v, false); err != nil {
		return err
	}
	if unknown := unknownKeys(body, reflect.TypeOf(v)); len(unknown) > 0 {
		return &unknownFieldError{unknown}
	}
	return nil
}

type unknownFieldError struct{ fields []string }

func (e *unknownFieldError) Error() string {
	return fmt.Sprintf("unknown field %s (set, and not a field dockguard judges: a daemon that reads it would act on it unjudged)", strings.Join(e.fields, ", "))
}
