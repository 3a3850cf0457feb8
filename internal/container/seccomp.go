package container

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

// SeccompHash is the identity of a seccomp profile on allow.seccompProfiles:
// sha256 of its canonical JSON (keys sorted, no insignificant white space,
// numbers as written). The docker CLI reads a profile file and sends its
// JSON inline, reformatted or not, so the hash is of what the JSON says
// rather than of the file's bytes.
func SeccompHash(profile []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(profile))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	if dec.More() {
		return "", errors.New("data after the profile")
	}
	if _, ok := v.(map[string]any); !ok {
		return "", errors.New("a seccomp profile is a JSON object")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	sum := sha256.Sum256(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// InlineSeccomp reports whether a seccomp= value is a profile's JSON (as
// the CLI and the Engine API carry it) rather than a file path (as compose
// files and run lines write it) or a keyword.
func InlineSeccomp(v string) bool {
	return strings.HasPrefix(strings.TrimSpace(v), "{")
}
