package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/rules"
)

// SARIFOptions tune the SARIF log.
type SARIFOptions struct {
	// BaseDir is the repository root: file paths are written relative to it
	// (with forward slashes) and uriBaseId "%SRCROOT%"; "" means the current
	// directory.
	BaseDir string
	// Version is dockguard's version for tool.driver.version /
	// semanticVersion.
	Version string
}

const (
	sarifToolName       = "dockguard"
	sarifInformationURI = "https://github.com/dockguard/dockguard"
	// SARIFSourceRoot is the uriBaseId of file locations inside BaseDir.
	SARIFSourceRoot = "%SRCROOT%"
	// SARIFFingerprintKey is dockguard's own partial fingerprint: the
	// line-independent fingerprint also used by baselines.
	SARIFFingerprintKey = "dockguardFingerprint/v1"
	// sarifLineHashKey is the partial fingerprint GitHub code scanning
	// matches alerts with. dockguard fills it from its own fingerprint, so
	// an alert follows a finding across line moves (and upload-sarif does
	// not replace it with a hash of the line's text).
	sarifLineHashKey = "primaryLocationLineHash"
	// sarifMaxDescription is GitHub's limit for short and full
	// descriptions; sarifMaxName its limit for rule names.
	sarifMaxDescription = 1024
	sarifMaxName        = 255
)

// Synthetic URI roots for findings that are not in a file.
const (
	sarifRunRoot    = "cmdline/run/"
	sarifEngineRoot = "docker/"
	sarifImageRoot  = "image/"
)

// sarifSeverity maps a severity to its SARIF level and GitHub
// security-severity score (see the table above).
var sarifSeverity = map[rules.Severity]struct {
	level string
	score float64
}{
	rules.Critical: {sarif.LevelError, 9.5},
	rules.High:     {sarif.LevelError, 8.0},
	rules.Medium:   {sarif.LevelWarning, 5.5},
	rules.Low:      {sarif.LevelNote, 3.0},
	rules.Info:     {sarif.LevelNote, 1.0},
}

// SARIFLevel is the SARIF level of a severity: error, warning or note.
func SARIFLevel(s rules.Severity) string {
	if m, ok := sarifSeverity[s]; ok {
		return m.level
	}
	return sarif.LevelWarning
}

// SARIFSecuritySeverity is the GitHub security-severity score of a
// severity, as the string GitHub reads ("9.5").
func SARIFSecuritySeverity(s rules.Severity) string {
	score := 5.5
	if m, ok := sarifSeverity[s]; ok {
		score = m.score
	}
	return strconv.FormatFloat(score, 'f', 1, 64)
}

// sarifPrecision is properties.precision of rules whose findings are not
// all decided exactly; every other rule is "high".
var sarifPrecision = map[string]string{
	"secret-arg-name": "medium", // a build argument's name suggests a secret
	"shared-network":  "medium", // shared networks are often intended
}

// SARIF writes a SARIF 2.1.0 log that GitHub code scanning accepts: one run,
// one rule descriptor per rule of the catalogue (whether or not it found
// anything), one result per finding, input errors and notes as tool
// execution notifications (executionSuccessful is false when there are
// input errors).
//
// Severity. SARIF has three levels; GitHub also reads a numeric
// properties.security-severity on each rule (over 9.0 is critical, 7.0-8.9
// high, 4.0-6.9 medium, 0.1-3.9 low). dockguard maps its severities as
//
//	severity  level    security-severity  (GitHub shows)
//	critical  error    9.5                critical
//	high      error    8.0                high
//	medium    warning  5.5                medium
//	low       note     3.0                low
//	info      note     1.0                low (GitHub has no info)
//
// A rule's defaultConfiguration.level and security-severity come from the
// rule's severity (the worst it reports); each result's level comes from the
// finding's own severity, which may be lower.
//
// Locations. A finding in a file points at the file relative to
// SARIFOptions.BaseDir (forward slashes, uriBaseId %SRCROOT%), or at an
// absolute file:// URI when the file is outside it. Findings with no file get
// a stable synthetic location: a relative URI, because GitHub rejects a
// whole upload when an absolute URI's scheme is not the checkout's (file):
//
//	--run line N                       cmdline/run/N
//	engine object "container <name>"   docker/<engine>/containers/<name>
//	other engine objects               docker/<engine>/<object>
//	image                              image/<reference>[/<file>]
//	no place at all                    . (the base directory)
//
// These follow the URIs of the design (docker://…, image://…, cmdline://…)
// with the scheme turned into the first path segment. The exact place (the
// --run column, the engine field, the image layer) is in the result's
// properties.location.
//
// Fingerprints. Each result carries partialFingerprints
// "dockguardFingerprint/v1" (Fingerprints, with paths as written here, so
// the same finding has the same fingerprint however its path was given) and
// "primaryLocationLineHash", the one GitHub matches alerts with, derived
// from it: an alert follows its finding across edits above it.
func SARIF(w io.Writer, d *Document, opt SARIFOptions) error {
	log, err := buildSARIF(d, opt)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(log)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifPrune(tree))
}

// sarifUnset are the properties whose -1 means "not set" in SARIF (it is
// their schema default).
var sarifUnset = map[string]bool{"index": true, "id": true, "byteOffset": true, "charOffset": true, "rank": true, "parentIndex": true}

// sarifPrune drops what go-sarif writes for every object whether set or
// not: empty arrays and -1 "not set" defaults. A region that says
// charOffset -1 beside its startLine is valid, but GitHub reads character
// offsets, so only what dockguard knows is written. The results array
// stays even when empty (SARIF: an actual scan has one), and property bags
// and fingerprints are left as they are.
func sarifPrune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			switch x := e.(type) {
			case []any:
				if len(x) == 0 && k != "results" {
					delete(t, k)
					continue
				}
			case map[string]any:
				if len(x) == 0 && k == "properties" {
					delete(t, k)
					continue
				}
			case json.Number:
				if sarifUnset[k] && x.String() == "-1" {
					delete(t, k)
					continue
				}
			}
			if k != "properties" && k != "partialFingerprints" {
				t[k] = sarifPrune(e)
			}
		}
	case []any:
		for i, e := range t {
			t[i] = sarifPrune(e)
		}
	}
	return v
}

func buildSARIF(d *Document, opt SARIFOptions) (*sarif.Report, error) {
	loc, err := newSARIFLocator(opt.BaseDir)
	if err != nil {
		return nil, err
	}

	driver := sarif.NewToolComponent()
	driver.Name = sarifStr(sarifToolName)
	driver.InformationURI = sarifStr(sarifInformationURI)
	if opt.Version != "" {
		driver.Version = sarifStr(opt.Version)
		if semver.MatchString(strings.TrimPrefix(opt.Version, "v")) {
			driver.SemanticVersion = sarifStr(strings.TrimPrefix(opt.Version, "v"))
		}
	}
	index := map[string]int{}
	for _, r := range rules.All() {
		index[r.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRule(r))
	}

	run := sarif.NewRun()
	run.Tool = sarif.NewTool()
	run.Tool.Driver = driver
	run.ColumnKind = sarifStr("unicodeCodePoints")

	// Fingerprints are taken with paths as SARIF writes them, so that they
	// do not depend on how the paths were given on the command line.
	norm := make([]Finding, len(d.Findings))
	for i, f := range d.Findings {
		norm[i] = f
		if p := f.Location.Path; p != "" && p != facts.RunPath {
			shown := loc.display(p)
			norm[i].Location.Path = shown
			// An unnamed stage is named after its file.
			if rest, ok := strings.CutPrefix(f.Subject.Name, p); ok && f.Subject.Kind == facts.SubjectStage &&
				(rest == "" || strings.HasPrefix(rest, " (")) {
				norm[i].Subject.Name = shown + rest
			}
		}
	}
	fps := Fingerprints(norm)

	for i, f := range d.Findings {
		ri, ok := index[f.Rule]
		if !ok {
			// A rule outside the catalogue (a plugin, a test): describe it
			// from the finding itself.
			ri = len(driver.Rules)
			index[f.Rule] = ri
			driver.Rules = append(driver.Rules, sarifRule(&rules.Rule{
				ID: f.Rule, Slug: f.Slug, Control: f.Control, Threat: f.Threat, Severity: f.Severity,
				Title: f.Title, Rationale: f.Title, Remediation: f.Remediation,
			}))
		}
		res := sarif.NewResult()
		res.RuleID = sarifStr(f.Rule)
		res.RuleIndex = ri
		res.Level = SARIFLevel(f.Severity)
		res.Message = sarif.NewTextMessage(sarifSentence(f.Message) + " Fix: " + sarifSentence(f.Remediation))
		res.Locations = append(res.Locations, loc.finding(f.Location))
		res.PartialFingerprints = map[string]string{
			SARIFFingerprintKey: fps[i],
			sarifLineHashKey:    sarifLineHash(fps[i]),
		}
		props := sarif.NewPropertyBag()
		props.Add("severity", string(f.Severity))
		props.Add("control", string(f.Control))
		props.Add("threat", string(f.Threat))
		props.Add("subject", map[string]string{"kind": f.Subject.Kind, "name": f.Subject.Name})
		if !sarifIsFile(f.Location) {
			props.Add("location", f.Location.String())
		}
		if f.DeniedBy != "" {
			props.Add("deniedBy", f.DeniedBy)
		}
		res.Properties = props
		run.Results = append(run.Results, res)
	}

	inv := sarif.NewInvocation()
	inv.ExecutionSuccessful = sarifBool(len(d.Errors) == 0)
	for _, e := range d.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, loc.notification(sarif.LevelError, e))
	}
	for _, n := range d.Notes {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, loc.notification(sarif.LevelNote, n))
	}
	run.Invocations = append(run.Invocations, inv)

	log := sarif.NewReport()
	log.Schema = "https://json.schemastore.org/sarif-2.1.0.json"
	log.AddRun(run)
	return log, nil
}

// semver is Semantic Versioning 2.0.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// sarifRule is the reporting descriptor of a rule.
func sarifRule(r *rules.Rule) *sarif.ReportingDescriptor {
	rd := sarif.NewReportingDescriptor()
	rd.ID = sarifStr(r.ID)
	rd.Name = sarifStr(sarifTruncate(sarifPascal(r.Slug), sarifMaxName))
	rd.ShortDescription = sarifText(sarifTruncate(r.Title, sarifMaxDescription))
	rd.FullDescription = sarifText(sarifTruncate(r.Rationale, sarifMaxDescription))
	rd.Help = sarifText(sarifHelpText(r))
	rd.Help.Markdown = sarifStr(sarifHelpMarkdown(r))
	cfg := sarif.NewReportingConfiguration()
	cfg.Level = SARIFLevel(r.Severity)
	rd.DefaultConfiguration = cfg

	props := sarif.NewPropertyBag()
	props.Add("security-severity", SARIFSecuritySeverity(r.Severity))
	precision := "high"
	if p, ok := sarifPrecision[r.Slug]; ok {
		precision = p
	}
	props.Add("precision", precision)
	props.Add("slug", r.Slug)
	props.Add("severity", string(r.Severity))
	props.WithTags(sarifTags(r))
	rd.Properties = props
	return rd
}

// sarifTags are a rule's tags: "security" (so GitHub treats its results as
// security alerts), its threat, its control and its CIS benchmark IDs.
// Tags are distinct: the schema requires it.
func sarifTags(r *rules.Rule) []string {
	var tags []string
	add := func(t string) {
		if t == "" {
			return
		}
		for _, o := range tags {
			if o == t {
				return
			}
		}
		tags = append(tags, t)
	}
	add("security")
	add(string(r.Threat))
	add(string(r.Control))
	for _, ref := range r.References {
		add(cisTag(ref))
	}
	return tags
}

var cisRef = regexp.MustCompile(`^CIS Docker Benchmark (\d+(?:\.\d+)*)$`)

// cisTag turns "CIS Docker Benchmark 5.22" into "CIS-5.22"; other
// references are not tags.
func cisTag(ref string) string {
	if m := cisRef.FindStringSubmatch(strings.TrimSpace(ref)); m != nil {
		return "CIS-" + m[1]
	}
	return ""
}

func sarifHelpText(r *rules.Rule) string {
	var b strings.Builder
	b.WriteString(r.Title + " (" + r.ID + " " + r.Slug + ")\n\n")
	b.WriteString(r.Rationale + "\n\n")
	b.WriteString("Fix: " + r.Remediation + "\n")
	if len(r.References) > 0 {
		b.WriteString("\nReferences: " + strings.Join(r.References, "; ") + "\n")
	}
	fmt.Fprintf(&b, "\nControl: %s. Threat: %s. Severity: %s.\n", r.Control, r.Threat, r.Severity)
	return b.String()
}

func sarifHelpMarkdown(r *rules.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", r.Title)
	fmt.Fprintf(&b, "`%s` `%s`: control `%s`, threat `%s`, severity **%s**.\n\n", r.ID, r.Slug, r.Control, r.Threat, r.Severity)
	b.WriteString(r.Rationale + "\n\n")
	b.WriteString("### Fix\n\n" + r.Remediation + "\n")
	if r.Doc != "" {
		b.WriteString("\n### Details\n\n" + r.Doc + "\n")
	}
	if len(r.References) > 0 {
		b.WriteString("\n### References\n\n")
		for _, ref := range r.References {
			b.WriteString("- " + ref + "\n")
		}
	}
	fmt.Fprintf(&b, "\nRun `dockguard explain %s` for this text in a terminal.\n", r.ID)
	return b.String()
}

// sarifPascal turns a slug into the PascalCase friendly name SARIF
// recommends: root-user -> RootUser.
func sarifPascal(slug string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }) {
		r, n := utf8.DecodeRuneInString(part)
		b.WriteString(strings.ToUpper(string(r)) + part[n:])
	}
	return b.String()
}

// sarifSentence ends a message with a period, as SARIF asks of messages.
func sarifSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// sarifTruncate keeps s within n bytes, cutting at a rune boundary.
func sarifTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := n - len(ell)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// sarifLineHash is the fingerprint in the shape GitHub gives
// primaryLocationLineHash: a hash, a colon and the rank among equal
// hashes, from 1.
func sarifLineHash(fp string) string {
	hash, rank := fp, "1"
	if i := strings.IndexByte(fp, '-'); i >= 0 {
		hash, rank = fp[:i], fp[i+1:]
	}
	if len(hash) > 16 {
		hash = hash[:16]
	}
	return hash + ":" + rank
}

func sarifIsFile(l facts.Location) bool {
	return l.Engine == "" && l.Object == "" && l.Image == "" && l.Path != facts.RunPath && l.Path != ""
}

// sarifLocator writes locations relative to the base directory.
type sarifLocator struct {
	base string // absolute, cleaned
}

func newSARIFLocator(baseDir string) (*sarifLocator, error) {
	if baseDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("sarif: base directory: %w", err)
		}
		baseDir = wd
	}
	abs, err := filepath.Abs(baseDir)
	if err != nil {
		return nil, fmt.Errorf("sarif: base directory: %w", err)
	}
	return &sarifLocator{base: abs}, nil
}

// rel returns path relative to the base with forward slashes, or ok false
// when the path is outside the base.
func (l *sarifLocator) rel(path string) (rel string, abs string, ok bool) {
	abs = path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(l.base, path)
		if a, err := filepath.Abs(path); err == nil {
			// A relative path is relative to the working directory, which
			// is where the audit read it.
			abs = a
		}
	}
	abs = filepath.Clean(abs)
	r, err := filepath.Rel(l.base, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", abs, false
	}
	return filepath.ToSlash(r), abs, true
}

// display is the path as the SARIF log names it, for fingerprints.
func (l *sarifLocator) display(path string) string {
	r, abs, ok := l.rel(path)
	if ok {
		return r
	}
	return filepath.ToSlash(abs)
}

// fileURI is the artifact location of a file: relative to %SRCROOT% inside
// the base, an absolute file:// URI outside it.
func (l *sarifLocator) fileURI(path string) *sarif.ArtifactLocation {
	al := sarif.NewArtifactLocation()
	r, abs, ok := l.rel(path)
	if ok {
		al.URI = sarifStr(sarifEscapePath(r, true))
		al.URIBaseID = sarifStr(SARIFSourceRoot)
		return al
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x -> /C:/x
	}
	u := url.URL{Scheme: "file", Path: p}
	al.URI = sarifStr(u.String())
	return al
}

// syntheticURI is the artifact location of a finding that is in no file
// (see the comment at the top of this file).
func syntheticURI(l facts.Location) *sarif.ArtifactLocation {
	al := sarif.NewArtifactLocation()
	var uri string
	switch {
	case l.Engine != "" || l.Object != "":
		engine := l.Engine
		if engine == "" {
			engine = "default"
		}
		uri = sarifEngineRoot + sarifSegment(engine, true) + "/" + engineObjectPath(l.Object)
	case l.Image != "":
		uri = sarifImageRoot + sarifEscapePath(l.Image, false)
		if f := strings.Trim(filepath.ToSlash(l.File), "/"); f != "" {
			uri += "/" + sarifEscapePath(f, false)
		}
	case l.Path == facts.RunPath:
		uri = sarifRunRoot + strconv.Itoa(l.Index)
	default:
		// No place at all: the base directory itself.
		al.URI = sarifStr(".")
		al.URIBaseID = sarifStr(SARIFSourceRoot)
		return al
	}
	al.URI = sarifStr(uri)
	return al
}

// engineKinds are the engine objects written as "<kind>s/<name>".
var engineKinds = map[string]bool{
	"container": true, "image": true, "network": true, "volume": true, "service": true,
	"secret": true, "config": true, "node": true, "plugin": true, "task": true,
}

// engineObjectPath turns "container web-1" into "containers/web-1"; any
// other object name is one path segment.
func engineObjectPath(object string) string {
	if kind, name, ok := strings.Cut(strings.TrimSpace(object), " "); ok && engineKinds[kind] && strings.TrimSpace(name) != "" {
		return kind + "s/" + sarifSegment(strings.TrimSpace(name), true)
	}
	if object == "" {
		return "engine"
	}
	return sarifSegment(object, true)
}

// sarifEscapePath escapes each segment of a slash-separated path.
func sarifEscapePath(p string, colons bool) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = sarifSegment(s, colons)
	}
	return strings.Join(segs, "/")
}

// sarifSegment escapes one path segment of a URI. Colons are escaped where
// they could be read as a scheme (file paths, the first segment).
func sarifSegment(s string, colons bool) string {
	e := url.PathEscape(s)
	if colons {
		e = strings.ReplaceAll(e, ":", "%3A")
	}
	return e
}

// finding is the location of a finding.
func (l *sarifLocator) finding(at facts.Location) *sarif.Location {
	pl := sarif.NewPhysicalLocation()
	if sarifIsFile(at) {
		pl.ArtifactLocation = l.fileURI(at.Path)
		pl.Region = sarifRegion(at.Line, at.Column, at.EndLine)
	} else {
		pl.ArtifactLocation = syntheticURI(at)
	}
	return sarif.NewLocationWithPhysicalLocation(pl)
}

// sarifRegion is the region of a position, or nil when the line is not
// known. SARIF lines and columns count from 1, as dockguard's do.
func sarifRegion(line, column, endLine int) *sarif.Region {
	if line < 1 {
		return nil
	}
	r := sarif.NewRegion()
	r.StartLine = sarifInt(line)
	if column >= 1 {
		r.StartColumn = sarifInt(column)
	}
	if endLine > line {
		r.EndLine = sarifInt(endLine)
	}
	return r
}

var runProblemPath = regexp.MustCompile(`^` + regexp.QuoteMeta(facts.RunPath) + ` #(\d+)$`)

// notification is an input error or a note as a tool execution
// notification, with the place it is about when there is one.
func (l *sarifLocator) notification(level string, p Problem) *sarif.Notification {
	n := sarif.NewNotification()
	n.Level = level
	n.Message = sarif.NewTextMessage(sarifSentence(p.Message))
	var pl *sarif.PhysicalLocation
	switch {
	case p.Path == "":
	case p.Path == facts.RunPath && p.Index > 0:
		pl = sarif.NewPhysicalLocation()
		pl.ArtifactLocation = syntheticURI(facts.Location{Path: facts.RunPath, Index: p.Index})
	case runProblemPath.MatchString(p.Path):
		idx, _ := strconv.Atoi(runProblemPath.FindStringSubmatch(p.Path)[1])
		pl = sarif.NewPhysicalLocation()
		pl.ArtifactLocation = syntheticURI(facts.Location{Path: facts.RunPath, Index: idx})
	default:
		pl = sarif.NewPhysicalLocation()
		pl.ArtifactLocation = l.fileURI(p.Path)
		pl.Region = sarifRegion(p.Line, 0, 0)
	}
	if pl != nil {
		n.Locations = append(n.Locations, sarif.NewLocationWithPhysicalLocation(pl))
	}
	return n
}

func sarifStr(s string) *string { return &s }
func sarifInt(i int) *int       { return &i }
func sarifBool(b bool) *bool    { return &b }

func sarifText(s string) *sarif.MultiformatMessageString {
	m := sarif.NewMultiformatMessageString()
	m.Text = sarifStr(s)
	return m
}
