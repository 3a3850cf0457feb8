package report

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
)

// positionRef matches a file position written inside a message
// ("Dockerfile:12", "compose.yaml:4:7"), which moves when lines are added.
var positionRef = regexp.MustCompile(`:\d+(:\d+)?\b`)

// Fingerprint identifies a finding without its line: the rule, the subject,
// the input it is in and what it says, with positions taken out of the
// message. Baselines and SARIF partial fingerprints use it, so a finding is
// recognized after edits above it. Secrets are already redacted in messages,
// so nothing secret is hashed in the clear.
func Fingerprint(f Finding) string {
	where := f.Location.Path
	switch {
	case f.Location.Engine != "" || f.Location.Object != "":
		where = f.Location.Engine + "/" + f.Location.Object + "/" + f.Location.Field
	case f.Location.Image != "":
		where = f.Location.Image + "/" + f.Location.File
	}
	h := sha256.New()
	for _, part := range []string{f.Rule, f.Subject.Kind, f.Subject.Name, where, positionRef.ReplaceAllString(f.Message, "")} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Fingerprints returns the fingerprint of every finding of a report, in
// order. Findings that would share one (the same line twice in a file) are
// told apart by their rank among equals, which survives edits that keep
// their order.
func Fingerprints(fs []Finding) []string {
	out := make([]string, len(fs))
	seen := map[string]int{}
	for i, f := range fs {
		fp := Fingerprint(f)
		n := seen[fp]
		seen[fp] = n + 1
		if n > 0 {
			fp += "-" + strconv.Itoa(n+1)
		}
		out[i] = fp
	}
	return out
}
