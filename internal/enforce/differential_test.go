package enforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dockguard/dockguard/internal/testenv"
	apicontainer "github.com/moby/moby/api/types/container"
)

// Create bodies are built from a small byte program, so that the
// differential test (random programs from a fixed seed) and the fuzzer
// (programs mutated by the fuzzing engine) share one grammar, and the
// tricky cases are written once as programs.
//
// A program is a sequence of operations, each a kind byte (taken modulo
// opCount) and its argument bytes (taken modulo the number of choices);
// a program that ends early reads zeros. Every body starts with the
// image, exactly spelled, at the top level.
const (
	opField  = iota // field, value, spelling: a field in the current object
	opOpen          // spelling: open a HostConfig object in the current object
	opClose         // close the current object (not the body)
	opNull          // spelling: "HostConfig":null in the current object
	opDup           // value, spelling: the last field of this object again
	opCpuset        // spelling, value: the deprecated top-level Cpuset
	opCount
)

// Key spellings: how a field's name is written as a key.
const (
	spExact   = iota
	spLower   // binds
	spUpper   // BINDS
	spAlt     // bInDs
	spFold    // Bind\u017f: one s or k written as U+017F or U+212A (folds to it)
	spFoldAll // bind\u017f, networ\u212amode: every s and k so, the rest lower
	spEscape  // \u0042inds: the first letter as a JSON escape
	spNotFold // Pr\u0131vileged: a letter replaced by one that does not fold to it
	spellCount
)

// bodyField is a field the grammar sets, with the values it tries (JSON
// text; $IMAGE is the image under test).
type bodyField struct {
	name   string
	config bool // a Config field; else a HostConfig field
	values []string
}

var bodyFields = []bodyField{
	{"Privileged", false, []string{"true", "false", "null"}},
	{"CapAdd", false, []string{`["NET_ADMIN"]`, `["SYS_ADMIN"]`, `["ALL"]`, `["cap_sys_admin"]`, `["all"]`, `[]`, "null"}},
	{"CapDrop", false, []string{`["ALL"]`, `["NET_RAW"]`, `[]`, "null"}},
	{"Binds", false, []string{`["/tmp:/h"]`, `["/:/host:ro"]`, `["/:/host"]`, `["/tmp:/h:ro","/:/host"]`, `[]`, "null"}},
	{"PidMode", false, []string{`"host"`, `""`, "null"}},
	{"IpcMode", false, []string{`"host"`, `"private"`, `"shareable"`, `"none"`, `""`, "null"}},
	{"UTSMode", false, []string{`"host"`, `""`, "null"}},
	{"NetworkMode", false, []string{`"host"`, `"none"`, `"bridge"`, `"default"`, `""`, "null"}},
	{"UsernsMode", false, []string{`"host"`, `""`, "null"}},
	{"SecurityOpt", false, []string{`["no-new-privileges"]`, `["seccomp=unconfined"]`, `["no-new-privileges:true","seccomp=unconfined"]`, `[]`, "null"}},
	{"ReadonlyRootfs", false, []string{"true", "false", "null"}},
	{"Memory", false, []string{"67108864", "268435456", "0", "null"}},
	{"MemorySwap", false, []string{"0", "-1", "536870912", "null"}},
	{"CpuShares", false, []string{"512", "1024", "0", "null"}},
	{"CpusetCpus", false, []string{`"0"`, `""`, "null"}},
	{"NanoCpus", false, []string{"500000000", "0", "null"}},
	{"PidsLimit", false, []string{"100", "0", "-1", "null"}},
	{"Mounts", false, []string{
		`[{"Type":"tmpfs","Target":"/t"}]`,
		`[{"Type":"bind","Source":"/tmp","Target":"/m"}]`,
		`[{"type":"bind","SOURCE":"/","tArget":"/r","ReadOnly":true}]`,
		`[{"Type":"bind","Source":"/","Target":"/r"}]`,
		`[{"Target":"/r"}]`, // a duplicate Mounts key decodes into the elements already there
		`[]`, "null"}},
	{"PublishAllPorts", false, []string{"true", "false", "null"}},
	{"VolumeDriver", false, []string{`"local"`, `""`, "null"}},
	{"User", true, []string{`"10001"`, `"0"`, `"root"`, `""`, `"10001:10001"`, "null"}},
	{"Image", true, []string{"$IMAGE", `"notpulled:1"`}},
}

var cpusetValues = []string{`"0"`, `""`, "null"}

// spellKey writes a field's name as a key (the text between the quotes).
func spellKey(name string, sp byte) string {
	switch sp % spellCount {
	case spLower:
		return strings.ToLower(name)
	case spUpper:
		return strings.ToUpper(name)
	case spAlt:
		var b strings.Builder
		for i, r := range name {
			if i%2 == 0 {
				b.WriteString(strings.ToLower(string(r)))
			} else {
				b.WriteString(strings.ToUpper(string(r)))
			}
		}
		return b.String()
	case spFold, spFoldAll:
		all := sp%spellCount == spFoldAll
		var b strings.Builder
		done := false
		for _, r := range name {
			switch {
			case (r == 's' || r == 'S') && (all || !done):
				b.WriteRune('\u017f') // LATIN SMALL LETTER LONG S
				done = true
			case (r == 'k' || r == 'K') && (all || !done):
				b.WriteRune('\u212a') // KELVIN SIGN
				done = true
			case all:
				b.WriteString(strings.ToLower(string(r)))
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	case spEscape:
		return fmt.Sprintf(`\u%04x`, name[0]) + name[1:]
	case spNotFold:
		// U+0131 (dotless i) and U+0430 (Cyrillic a) fold to no ASCII
		// letter: the key names no field for either decoder.
		if i := strings.IndexAny(name, "iI"); i >= 0 {
			return name[:i] + "\u0131" + name[i+1:]
		}
		if i := strings.IndexAny(name, "aA"); i >= 0 {
			return name[:i] + "\u0430" + name[i+1:]
		}
		return name + "\u02bc"
	}
	return name
}

// buildCreateBody renders a program as a create body for image (a JSON
// string).
func buildCreateBody(prog []byte, image string) string {
	pos := 0
	next := func() byte {
		if pos >= len(prog) {
			return 0
		}
		pos++
		return prog[pos-1]
	}
	var b strings.Builder
	type level struct {
		empty bool
		last  *bodyField
	}
	levels := []level{{empty: true}}
	key := func(k string) {
		l := &levels[len(levels)-1]
		if !l.empty {
			b.WriteByte(',')
		}
		l.empty = false
		b.WriteString(`"` + k + `":`)
	}
	value := func(v string) string { return strings.ReplaceAll(v, "$IMAGE", image) }
	b.WriteString(`{"Image":` + image)
	levels[0].empty = false
	for pos < len(prog) {
		switch next() % opCount {
		case opField:
			f := &bodyFields[int(next())%len(bodyFields)]
			v := f.values[int(next())%len(f.values)]
			key(spellKey(f.name, next()))
			b.WriteString(value(v))
			levels[len(levels)-1].last = f
		case opOpen:
			sp := next()
			if len(levels) < 4 {
				key(spellKey("HostConfig", sp))
				b.WriteByte('{')
				levels = append(levels, level{empty: true})
			}
		case opClose:
			if len(levels) > 1 {
				b.WriteByte('}')
				levels = levels[:len(levels)-1]
			}
		case opNull:
			key(spellKey("HostConfig", next()))
			b.WriteString("null")
		case opDup:
			f := levels[len(levels)-1].last
			if f == nil {
				f = &bodyFields[0]
			}
			v := f.values[int(next())%len(f.values)]
			key(spellKey(f.name, next()))
			b.WriteString(value(v))
		case opCpuset:
			key(spellKey("Cpuset", next()))
			b.WriteString(cpusetValues[int(next())%len(cpusetValues)])
		}
	}
	for range levels {
		b.WriteByte('}')
	}
	return b.String()
}

// Program builders, for the tricky cases.

func bodyFieldIndex(name string) (int, *bodyField) {
	for i := range bodyFields {
		if bodyFields[i].name == name {
			return i, &bodyFields[i]
		}
	}
	panic("no field " + name)
}

func bodyValueIndex(f *bodyField, v string) byte {
	i := slices.Index(f.values, v)
	if i < 0 {
		panic("no value " + v + " for " + f.name)
	}
	return byte(i)
}

// cbField sets a field: cbField("Binds", `["/:/host"]`, spFold).
func cbField(name, v string, sp byte) []byte {
	i, f := bodyFieldIndex(name)
	return []byte{opField, byte(i), bodyValueIndex(f, v), sp}
}

// cbDup sets the last field of the object again.
func cbDup(name, v string, sp byte) []byte {
	_, f := bodyFieldIndex(name)
	return []byte{opDup, bodyValueIndex(f, v), sp}
}

func cbOpen(sp byte) []byte { return []byte{opOpen, sp} }
func cbClose() []byte       { return []byte{opClose} }
func cbNull(sp byte) []byte { return []byte{opNull, sp} }
func cbCpuset(v string, sp byte) []byte {
	return []byte{opCpuset, sp, byte(slices.Index(cpusetValues, v))}
}

func cbProg(parts ...[]byte) []byte { return slices.Concat(parts...) }

// cbHostConfig wraps fields in a HostConfig object spelled sp.
func cbHostConfig(sp byte, fields ...[]byte) []byte {
	return cbProg(cbOpen(sp), cbProg(fields...), cbClose())
}

// trickyPrograms are the hand-written cases: duplicates, case and Unicode
// folding, merged objects, nulls, top-level fields.
func trickyPrograms() [][]byte {
	return [][]byte{
		cbHostConfig(spExact, cbField("Privileged", "false", spExact), cbField("Privileged", "true", spExact)),
		cbHostConfig(spExact, cbField("Privileged", "true", spExact), cbField("Privileged", "false", spLower)),
		cbHostConfig(spLower, cbField("Privileged", "true", spUpper)),
		cbProg(cbHostConfig(spExact, cbField("CapAdd", `["NET_ADMIN"]`, spExact)), cbHostConfig(spLower, cbField("Privileged", "true", spExact))),
		cbProg(cbHostConfig(spExact, cbField("Binds", `["/tmp:/h"]`, spExact)), cbHostConfig(spFold, cbField("Binds", `["/:/host"]`, spFold))),
		cbProg(cbHostConfig(spExact, cbField("Privileged", "true", spExact)), cbNull(spExact)),
		cbProg(cbNull(spExact), cbHostConfig(spExact, cbField("Privileged", "true", spExact))),
		cbProg(cbHostConfig(spExact, cbField("Privileged", "true", spExact)), cbNull(spUpper), cbField("PidMode", `"host"`, spExact)),
		cbProg(cbField("Privileged", "true", spExact)),
		cbProg(cbField("Privileged", "true", spExact), cbHostConfig(spExact)),
		cbProg(cbHostConfig(spExact), cbField("Privileged", "true", spExact)),
		cbProg(cbField("Privileged", "true", spExact), cbNull(spExact)),
		cbProg(cbField("Privileged", "false", spExact), cbHostConfig(spExact, cbField("Privileged", "true", spExact))),
		cbProg(cbHostConfig(spExact, cbField("Privileged", "true", spExact)), cbField("Privileged", "false", spExact)),
		cbProg(cbField("Memory", "67108864", spExact), cbHostConfig(spExact, cbField("ReadonlyRootfs", "true", spExact))),
		cbProg(cbField("MemorySwap", "-1", spExact), cbHostConfig(spExact, cbField("Memory", "67108864", spExact))),
		cbProg(cbField("CpuShares", "512", spLower), cbHostConfig(spExact, cbField("CpuShares", "1024", spExact))),
		cbProg(cbField("VolumeDriver", `"local"`, spExact), cbHostConfig(spExact)),
		cbProg(cbField("CpusetCpus", `"0"`, spExact), cbHostConfig(spExact, cbField("CpusetCpus", `""`, spExact))),
		cbProg(cbCpuset(`"0"`, spExact), cbHostConfig(spExact)),
		cbProg(cbCpuset(`"0"`, spExact)),
		cbProg(cbCpuset(`"0"`, spLower), cbField("NetworkMode", `"host"`, spExact)),
		cbProg(cbField("Binds", "null", spExact), cbHostConfig(spExact, cbField("Privileged", "true", spExact))),
		cbProg(cbField("Binds", `["/:/host"]`, spFold)),
		cbHostConfig(spExact, cbField("Binds", `["/:/host"]`, spFold)),
		cbHostConfig(spFold, cbField("Privileged", "true", spExact)),
		cbHostConfig(spFoldAll, cbField("CapAdd", `["ALL"]`, spExact)),
		cbHostConfig(spExact, cbField("NetworkMode", `"host"`, spFold)),
		cbHostConfig(spExact, cbField("NetworkMode", `"host"`, spFoldAll)),
		cbHostConfig(spExact, cbField("Binds", `["/tmp:/h"]`, spExact), cbDup("Binds", "null", spLower)),
		cbHostConfig(spExact, cbField("Binds", `["/:/host"]`, spExact), cbDup("Binds", `[]`, spUpper)),
		cbHostConfig(spExact, cbField("CapAdd", `["SYS_ADMIN"]`, spExact), cbDup("CapAdd", `[]`, spLower)),
		cbHostConfig(spExact, cbField("PidsLimit", "100", spExact), cbDup("PidsLimit", "null", spExact)),
		cbHostConfig(spExact, cbField("PidsLimit", "-1", spExact)),
		cbHostConfig(spExact, cbField("Mounts", `[{"Type":"bind","Source":"/tmp","Target":"/m"}]`, spExact), cbDup("Mounts", "null", spLower)),
		cbHostConfig(spExact, cbField("Mounts", `[{"type":"bind","SOURCE":"/","tArget":"/r","ReadOnly":true}]`, spFold)),
		cbHostConfig(spExact, cbField("Mounts", `[{"Type":"bind","Source":"/","Target":"/r"}]`, spExact), cbDup("Mounts", `[{"Target":"/r"}]`, spLower)),
		cbProg(cbField("User", `"0"`, spFold)),
		cbProg(cbField("User", `"10001"`, spExact), cbDup("User", `"0"`, spLower)),
		cbProg(cbField("User", `"0"`, spExact), cbDup("User", "null", spExact)),
		cbHostConfig(spExact, cbField("User", `"0"`, spExact)),
		cbHostConfig(spExact, cbHostConfig(spExact, cbField("Privileged", "true", spExact))),
		cbHostConfig(spExact, cbField("Privileged", "true", spNotFold)),
		cbHostConfig(spNotFold, cbField("Privileged", "true", spExact)),
		cbHostConfig(spEscape, cbField("Privileged", "true", spEscape)),
		cbHostConfig(spExact, cbField("SecurityOpt", `["seccomp=unconfined"]`, spFoldAll), cbField("UsernsMode", `"host"`, spFold)),
		cbHostConfig(spExact, cbField("IpcMode", `"host"`, spAlt), cbField("UTSMode", `"host"`, spUpper), cbField("PidMode", `"host"`, spLower)),
		cbProg(cbField("NetworkMode", `"host"`, spExact), cbField("PublishAllPorts", "true", spExact)),
		cbProg(cbField("Image", `"notpulled:1"`, spLower), cbDup("Image", "$IMAGE", spExact)),
	}
}

// randomProgram draws a program shaped like a create body: HostConfig
// objects, top-level HostConfig fields, or both, with duplicates, nulls
// and spellings.
func randomProgram(r *rand.Rand) []byte {
	sp := func() byte {
		if r.Intn(2) == 0 {
			return spExact
		}
		return byte(r.Intn(spellCount))
	}
	nHost := len(bodyFields) - 2 // the HostConfig fields come first
	var p []byte
	fields := func() {
		for range 1 + r.Intn(4) {
			p = append(p, opField, byte(r.Intn(nHost)), byte(r.Intn(256)), sp())
			if r.Intn(5) == 0 {
				p = append(p, opDup, byte(r.Intn(256)), sp())
			}
		}
	}
	object := func() {
		if r.Intn(10) == 0 {
			p = append(p, opNull, sp())
		}
		p = append(p, opOpen, sp())
		fields()
		p = append(p, opClose)
		if r.Intn(10) == 0 {
			p = append(p, opNull, sp())
		}
	}
	if r.Intn(3) == 0 {
		i, _ := bodyFieldIndex("User")
		p = append(p, opField, byte(i), byte(r.Intn(256)), sp())
	}
	switch shape := r.Intn(10); {
	case shape < 5:
		object()
		if r.Intn(4) == 0 {
			object()
		}
	case shape < 7:
		fields()
	case shape < 9:
		object()
		fields()
	default:
		fields()
		object()
	}
	if r.Intn(8) == 0 {
		p = append(p, opCpuset, sp(), byte(r.Intn(256)))
	}
	return p
}

// createView is what the test compares of a container: the
// security-relevant fields a create request sets.
type createView struct {
	Privileged      bool
	CapAdd          []string
	CapDrop         []string
	Binds           []string
	PidMode         string
	IpcMode         string
	UTSMode         string
	NetworkMode     string
	UsernsMode      string
	SecurityOpt     []string
	ReadonlyRootfs  bool
	Memory          int64
	MemorySwap      int64
	CpuShares       int64
	CpusetCpus      string
	NanoCpus        int64
	PidsLimit       *int64
	User            string
	Mounts          []string
	PublishAllPorts bool
	VolumeDriver    string
}

func hostView(h *apicontainer.HostConfig, user string) createView {
	if h == nil {
		h = &apicontainer.HostConfig{}
	}
	v := createView{
		Privileged: h.Privileged, CapAdd: h.CapAdd, CapDrop: h.CapDrop, Binds: h.Binds,
		PidMode: string(h.PidMode), IpcMode: string(h.IpcMode), UTSMode: string(h.UTSMode),
		NetworkMode: string(h.NetworkMode), UsernsMode: string(h.UsernsMode),
		SecurityOpt: h.SecurityOpt, ReadonlyRootfs: h.ReadonlyRootfs,
		Memory: h.Memory, MemorySwap: h.MemorySwap, CpuShares: h.CPUShares, CpusetCpus: h.CpusetCpus,
		NanoCpus: h.NanoCPUs, PidsLimit: h.PidsLimit, User: user,
		PublishAllPorts: h.PublishAllPorts, VolumeDriver: h.VolumeDriver,
	}
	for _, m := range h.Mounts {
		v.Mounts = append(v.Mounts, fmt.Sprintf("type=%s source=%s target=%s readonly=%v", m.Type, m.Source, m.Target, m.ReadOnly))
	}
	return v
}

// daemonView turns dockguard's reading of a body into what the daemon's
// inspect shows for it: the daemon fills in defaults for what the
// request leaves zero, and only those are allowed for. base is the
// container created from {"Image":…} alone: the daemon's defaults.
func daemonView(dg, base createView) createView {
	e := dg
	// runconfig's SetDefaultNetModeIfBlank: an empty NetworkMode is
	// "default".
	if e.NetworkMode == "" {
		e.NetworkMode = base.NetworkMode
	}
	// An empty IpcMode is the daemon's default-ipc-mode (private).
	if e.IpcMode == "" {
		e.IpcMode = base.IpcMode
	}
	// An empty User is the image's USER (mergeAndVerifyConfig).
	if e.User == "" {
		e.User = base.User
	}
	// adaptContainerSettings: with Memory set and MemorySwap 0, the
	// daemon sets MemorySwap to twice Memory.
	if e.Memory > 0 && e.MemorySwap == 0 {
		e.MemorySwap = 2 * e.Memory
	}
	// The create route stores a PidsLimit of 0 or below (unlimited) as
	// none.
	if e.PidsLimit != nil && *e.PidsLimit <= 0 {
		e.PidsLimit = nil
	}
	// generateSecurityOpt: for a privileged container, or one in the
	// host's IPC or PID namespace, the daemon appends "label=disable"
	// (SELinux labelling off) unless the request gave a label option.
	// It follows from fields compared here.
	if e.Privileged || e.IpcMode == "host" || e.PidMode == "host" {
		if !slices.ContainsFunc(e.SecurityOpt, func(o string) bool { return o == "label" || strings.HasPrefix(o, "label=") }) {
			e.SecurityOpt = append(slices.Clip(e.SecurityOpt), "label=disable")
		}
	}
	return e
}

// createViewDiff lists the fields where want and got differ. An empty
// list and none are the same: both set nothing.
func createViewDiff(want, got createView) []string {
	var out []string
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range wv.NumField() {
		a, b := wv.Field(i).Interface(), gv.Field(i).Interface()
		if wv.Field(i).Kind() == reflect.Slice && wv.Field(i).Len() == 0 && gv.Field(i).Len() == 0 {
			continue
		}
		if reflect.DeepEqual(a, b) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: dockguard %s, daemon %s", wv.Type().Field(i).Name, showViewValue(a), showViewValue(b)))
	}
	return out
}

func showViewValue(v any) string {
	if p, ok := v.(*int64); ok {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// rawEngine sends exact bytes to a daemon's API socket.
type rawEngine struct{ c *http.Client }

func newRawEngine(host string) *rawEngine {
	sock := strings.TrimPrefix(host, "unix://")
	return &rawEngine{c: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 8,
	}}}
}

func (e *rawEngine) do(method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, "http://docker"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	res, err := e.c.Do(r)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// create creates a container from body and returns its inspect, or the
// daemon's refusal.
func (e *rawEngine) create(body []byte) (insp *apicontainer.InspectResponse, refusal string, err error) {
	code, b, err := e.do("POST", "/v1.41/containers/create", body)
	if err != nil {
		return nil, "", err
	}
	if code >= 400 && code < 500 {
		return nil, fmt.Sprintf("%d %s", code, bytes.TrimSpace(b)), nil
	}
	if code != http.StatusCreated {
		return nil, "", fmt.Errorf("create: %d %s", code, b)
	}
	var created apicontainer.CreateResponse
	if err := json.Unmarshal(b, &created); err != nil || created.ID == "" {
		return nil, "", fmt.Errorf("create response %s: %v", b, err)
	}
	defer func() {
		if code, b, derr := e.do("DELETE", "/v1.41/containers/"+created.ID+"?force=1&v=1", nil); derr != nil || code != http.StatusNoContent {
			err = fmt.Errorf("remove %s: %d %s %v", created.ID, code, b, derr)
		}
	}()
	code, b, err = e.do("GET", "/v1.41/containers/"+created.ID+"/json", nil)
	if err != nil {
		return nil, "", err
	}
	if code != http.StatusOK {
		return nil, "", fmt.Errorf("inspect: %d %s", code, b)
	}
	insp = &apicontainer.InspectResponse{}
	if err := json.Unmarshal(b, insp); err != nil {
		return nil, "", fmt.Errorf("inspect response: %v", err)
	}
	if insp.Config == nil || insp.HostConfig == nil {
		return nil, "", fmt.Errorf("inspect without Config or HostConfig: %s", b)
	}
	return insp, "", nil
}

// TestDifferentialCreate sends generated create bodies to a private
// daemon with no enforcement, and compares the container the daemon
// creates with dockguard's decoding of the same bytes. A body dockguard
// cannot read as the daemon does (DecodeCreate fails, or HostConfig
// fields stand at the top level beside a HostConfig object) must be
// denied by Decide.
func TestDifferentialCreate(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	const image = "dg-diff:test"
	d.BuildImage(t, image, "FROM scratch\nCOPY app /\nUSER 10001:10001\nENTRYPOINT [\"/app\"]\n", testenv.Files{"app": testenv.App(t)})
	eng := newRawEngine(d.Host)
	dg := New(Settings{}, &EngineImages{Client: d.Client})
	quoted := `"` + image + `"`

	baseIn, refusal, err := eng.create([]byte(`{"Image":` + quoted + `}`))
	if err != nil || refusal != "" {
		t.Fatalf("baseline create: %v %s", err, refusal)
	}
	base := hostView(baseIn.HostConfig, baseIn.Config.User)
	t.Logf("daemon defaults: NetworkMode %q, IpcMode %q, User %q", base.NetworkMode, base.IpcMode, base.User)

	var bodies []string
	for _, p := range trickyPrograms() {
		bodies = append(bodies, buildCreateBody(p, quoted))
	}
	// Bodies the program grammar does not write.
	bodies = append(bodies,
		`{"Image":`+quoted+`,"HostConfig":{"Privileged":true},"hostconfig":null,"HOSTCONFIG":{"CapAdd":["ALL"]}}`,
		`{"Image":`+quoted+`,"HostConfig":{"Privileged":true},"HostConfig":{}}`,
		`{"Image":`+quoted+`,"Privileged":true,"HostConfig":null,"Cpuset":"0"}`,
		`{"Image":`+quoted+`,"HostConfig":{"Binds":["/tmp:/h"]},"Binds":["/:/host"]}`,
		`{"Image":`+quoted+`,"HostConfig":{"Binds":null},"Binds":["/:/host"]}`,
		`{"Image":`+quoted+`,"HostConfig":{"Memory":0},"Memory":67108864,"MemorySwap":-1}`,
		`{"Image":`+quoted+`,"HostConfig":{"Privileged":true,"Privileged":null}}`,
		`{"Image":`+quoted+`, "HostConfig" : { "Privileged" : true } }`,
		`{"Image":`+quoted+`,"HostConfig":{"Mounts":[{"Type":"tmpfs","Target":"/t"}],"Mounts":[{"Type":"bind","Source":"/","Target":"/r"}]}}`,
		`{"Image":`+quoted+`,"HostConfig":{"Mounts":[{"Type":"bind","Source":"/tmp","Target":"/m","Source":"/"}]}}`,
		`{"Image":`+quoted+`,"HostConfig":{"CapAdd":["NET_ADMIN"],"CapAdd":["SYS_ADMIN"]}}`,
		// A repeated array decodes into the elements already there: the
		// second Mounts keeps the first one's Type and Source.
		`{"Image":`+quoted+`,"HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/r"}],"Mounts":[{"Target":"/x"}]}}`,
		`{"Image":`+quoted+`,"HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/r"}]},"hostconfig":{"mounts":[{"Target":"/x","ReadOnly":true}]}}`,
		`{"Image":`+quoted+`,"HostConfig":{"Mounts":[{"Type":"bind","Source":"/tmp","Target":"/m"},{"Type":"bind","Source":"/","Target":"/r"}],"Mounts":[{"Target":"/x"}]}}`,
		`{"Image":`+quoted+`,"HostConfig":{"SecurityOpt":["no-new-privileges"]},"SecurityOpt":["seccomp=unconfined"]}`,
		`{"Image":`+quoted+`,"User":"10001","HostConfig":{"User":"0"}}`,
		`{"Image":`+quoted+`,"NetworkMode":"host","HostConfig":null}`,
		`{"Image":`+quoted+`,"HostConfig":{"NetworkMode":"none"},"NetworkMode":"host"}`,
	)
	r := rand.New(rand.NewSource(20260417))
	for len(bodies) < 600 {
		bodies = append(bodies, buildCreateBody(randomProgram(r), quoted))
	}

	type stats = differentialStats
	var (
		mu       sync.Mutex
		st       stats
		refusals = map[string]int{}
	)
	ctx := context.Background()
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for body := range work {
				s := stats{sent: 1}
				dec := dg.Decide(ctx, req("POST", "/v1.41/containers/create", body))
				if !dec.Allow {
					s.denied = 1
				}
				insp, refusal, err := eng.create([]byte(body))
				switch {
				case err != nil:
					t.Errorf("body %s: %v", body, err)
				case refusal != "":
					s.refused = 1
				default:
					s.created = 1
					compareCreate(t, body, insp, base, dec, &s)
				}
				mu.Lock()
				st.sent += s.sent
				st.created += s.created
				st.refused += s.refused
				st.denied += s.denied
				st.compared += s.compared
				st.failClosed += s.failClosed
				st.mixedMerged += s.mixedMerged
				st.differences += s.differences
				if refusal != "" {
					refusals[truncate(refusal, 110)]++
				}
				mu.Unlock()
			}
		})
	}
	for _, b := range bodies {
		work <- b
	}
	close(work)
	wg.Wait()
	for _, r := range slices.Sorted(maps.Keys(refusals)) {
		t.Logf("refused by the daemon %d×: %s", refusals[r], r)
	}
	t.Logf("differential: %d bodies sent, %d created, %d refused by the daemon, %d denied by dockguard; "+
		"of the created, %d compared field by field and %d read differently by dockguard (Mixed or undecodable: all denied fail-closed; %d of those Mixed bodies decode to the daemon's container anyway); %d differences",
		st.sent, st.created, st.refused, st.denied, st.compared, st.failClosed, st.mixedMerged, st.differences)
}

// differentialStats counts what TestDifferentialCreate saw.
type differentialStats struct {
	sent, created, refused, denied, compared, failClosed, mixedMerged, differences int
}

// failClosedChecks are the denials Decide gives a body it does not read
// as every daemon does.
var failClosedChecks = []string{"body-undecodable", "hostconfig-top-level", "unknown-field"}

// compareCreate compares a created container with dockguard's reading of
// its body, counting into s.
func compareCreate(t *testing.T, body string, insp *apicontainer.InspectResponse, base createView, dec Decision, s *differentialStats) {
	t.Helper()
	got := hostView(insp.HostConfig, insp.Config.User)
	c, err := DecodeCreate([]byte(body))
	if err != nil || c.Mixed {
		why := "HostConfig fields at the top level beside a HostConfig object"
		if err != nil {
			why = "DecodeCreate: " + err.Error()
		}
		denied := !dec.Allow && slices.ContainsFunc(dec.Violations, func(v Violation) bool { return v.Deny && slices.Contains(failClosedChecks, v.Check) })
		if !denied {
			t.Errorf("DIFFERENCE body %s: the daemon created the container, dockguard reads it differently (%s), and Decide does not deny it fail-closed: %+v", body, why, dec)
			s.differences++
			return
		}
		s.failClosed++
		// The merge DecodeCreate models for dockerd 20.10 to 26 is not
		// relied on (Decide denies), only noted.
		if err == nil {
			if diffs := createViewDiff(daemonView(createViewOf(c), base), got); len(diffs) == 0 {
				s.mixedMerged++
			} else {
				t.Logf("note: mixed body %s: DecodeCreate's merge differs from dockerd: %s", body, strings.Join(diffs, "; "))
			}
		}
		return
	}
	s.compared++
	diffs := createViewDiff(daemonView(createViewOf(c), base), got)
	for _, d := range diffs {
		t.Errorf("DIFFERENCE body %s (dockguard allows: %v): %s", body, dec.Allow, d)
	}
	s.differences += len(diffs)
}

func createViewOf(c *Create) createView {
	var h *apicontainer.HostConfig
	if c.HostConfig != nil {
		h = &c.HostConfig.HostConfig
	}
	return hostView(h, c.Config.User)
}

// TestCreateGrammar checks the program grammar writes JSON for any
// program, and the tricky programs the bodies they are meant to.
func TestCreateGrammar(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 2000 {
		p := make([]byte, r.Intn(40))
		r.Read(p)
		b := buildCreateBody(p, `"app:1"`)
		if !json.Valid([]byte(b)) || !utf8.ValidString(b) {
			t.Fatalf("program %x: body %s is not JSON", p, b)
		}
	}
	for _, tc := range []struct {
		p    []byte
		want string
	}{
		{cbProg(cbHostConfig(spExact, cbField("Binds", `["/:/host"]`, spFold))), `{"Image":"app:1","HostConfig":{"Bind` + "\u017f" + `":["/:/host"]}}`},
		{cbProg(cbField("NetworkMode", `"host"`, spFoldAll), cbNull(spLower)), `{"Image":"app:1","networ` + "\u212a" + `mode":"host","hostconfig":null}`},
		{cbProg(cbHostConfig(spEscape, cbField("Privileged", "true", spNotFold))), `{"Image":"app:1","\u0048ostConfig":{"Pr` + "\u0131" + `vileged":true}}`},
		{cbProg(cbCpuset(`"0"`, spUpper), cbOpen(spAlt)), `{"Image":"app:1","CPUSET":"0","hOsTcOnFiG":{}}`},
	} {
		if got := buildCreateBody(tc.p, `"app:1"`); got != tc.want {
			t.Errorf("program %x: body %s, want %s", tc.p, got, tc.want)
		}
	}
}
