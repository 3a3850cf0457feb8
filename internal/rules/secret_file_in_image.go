package rules

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/secrets"
)

// secret-file-in-image: credentials inside an image: credential files by name and
// content, known secret formats in any text file, in every layer (a file a
// later layer deletes is still in the image), and build arguments that
// leaked into the history's created_by lines.
func init() {
	register(&Rule{
		ID:          "DG606",
		Slug:        "secret-file-in-image",
		Control:     "secrets-image",
		Threat:      ThreatSecrets,
		Severity:    Critical,
		Title:       "Secret in an image layer or its history",
		Rationale:   "Anyone who can pull an image can read every layer and its history. A credential deleted by a later step is still in the layer that added it.",
		Remediation: "Rotate the credential. Rebuild without it: pass build secrets with `RUN --mount=type=secret`, keep credential files out of the context with `.dockerignore`, and never `rm` a secret in a later step.",
		References:  []string{"https://docs.docker.com/build/building/secrets/"},
		Image: func(im *facts.Image, r *Reporter) {
			for i := range im.Files {
				f := &im.Files[i]
				if f.Whiteout || !f.IsRegular() {
					continue
				}
				where := ""
				if !f.Final {
					where = fmt.Sprintf(" (deleted or replaced by a later layer, still in layer %d)", f.Layer)
				}
				reported := false
				if kind, why := credentialFile(f); kind != "" {
					r.Report(im.Subject, f.At, "%s /%s %s%s", kind, f.Path, why, where)
					reported = true
				}
				seen := map[string]bool{}
				for _, s := range f.Secrets {
					if seen[s.Kind] || reported {
						continue
					}
					seen[s.Kind] = true
					if strings.HasPrefix(s.Kind, "generic-") {
						// gitleaks' generic rule: a high-entropy value
						// assigned to a key-like name, which code does
						// too; a lead to check, not a known secret format.
						r.ReportSeverity(Medium, im.Subject, f.At, "possible secret (%s: a high-entropy value under a key-like name) in /%s line %d%s", s.Kind, f.Path, s.Line, where)
						continue
					}
					r.Report(im.Subject, f.At, "%s in /%s line %d%s", s.Kind, f.Path, s.Line, where)
				}
			}
			for _, h := range im.History {
				for _, what := range historySecrets(h.CreatedBy) {
					r.Report(im.Subject, h.At, "%s in the image history (created_by)", what)
				}
			}
		},
	})
}

// credentialFile judges a file whose name marks a credential file by its
// content: it is reported only when it holds a credential.
func credentialFile(f *facts.ImageFile) (string, string) {
	c := f.Content
	base := path.Base(f.Path)
	hasKey := false
	for _, s := range f.Secrets {
		if s.Kind == secrets.KindPrivateKey || s.Kind == "private-key" { // gitleaks' rule
			hasKey = true
		}
	}
	switch {
	case strings.HasSuffix(f.Path, ".aws/credentials"):
		if strings.Contains(strings.ToLower(c), "aws_secret_access_key") {
			return "AWS credentials file", "holds aws_secret_access_key"
		}
	case strings.HasSuffix(f.Path, ".docker/config.json"):
		var cfg struct {
			Auths map[string]struct {
				Auth          string `json:"auth"`
				IdentityToken string `json:"identitytoken"`
			} `json:"auths"`
		}
		if json.Unmarshal([]byte(c), &cfg) == nil {
			for reg, a := range cfg.Auths {
				if a.Auth != "" || a.IdentityToken != "" {
					return "Docker client config", "holds credentials for " + reg
				}
			}
		}
	case base == ".npmrc":
		for _, line := range strings.Split(c, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if ok && (strings.HasSuffix(k, "_authToken") || strings.HasSuffix(k, "_auth") || strings.HasSuffix(k, "_password")) && v != "" && !strings.HasPrefix(v, "${") {
				return "npm config", "holds a registry token"
			}
		}
	case base == ".pypirc":
		for _, line := range strings.Split(c, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && strings.TrimSpace(k) == "password" && strings.TrimSpace(v) != "" && !strings.HasPrefix(strings.TrimSpace(v), "${") {
				return "PyPI config", "holds a password"
			}
		}
	case base == ".git-credentials":
		for _, line := range strings.Split(c, "\n") {
			if i := strings.Index(line, "://"); i >= 0 {
				if at := strings.IndexByte(line[i:], '@'); at > 0 && strings.Contains(line[i+3:i+at], ":") {
					return "git credentials", "holds a URL with a password"
				}
			}
		}
	case base == ".env" || strings.HasPrefix(base, ".env."):
		for _, line := range strings.Split(c, "\n") {
			line = strings.TrimPrefix(strings.TrimSpace(line), "export ")
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(k, "#") {
				continue
			}
			if m, ok := secrets.Assignment(strings.TrimSpace(k), v); ok {
				return "dotenv file", "holds " + m.Kind + " in " + strings.TrimSpace(k)
			}
		}
	case strings.HasSuffix(f.Path, ".kube/config") || base == "kubeconfig":
		for _, key := range []string{"client-key-data:", "token:", "password:"} {
			if i := strings.Index(c, key); i >= 0 {
				rest, _, _ := strings.Cut(c[i+len(key):], "\n")
				if v := strings.Trim(strings.TrimSpace(rest), `"'`); v != "" {
					return "kubeconfig", "holds " + strings.TrimSuffix(key, ":")
				}
			}
		}
	case hasKey:
		return "private key", "holds a private key"
	}
	return "", ""
}

// historySecrets finds secrets in a created_by line: known formats, and the
// build arguments BuildKit and the classic builder record in front of RUN
// steps ("|2 TOKEN=… USER=… /bin/sh -c …").
func historySecrets(createdBy string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, m := range secrets.Known(createdBy) {
		if m.Kind != secrets.KindHighEntropy {
			add(m.Kind)
		}
	}
	s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(createdBy), "RUN"))
	if rest, ok := strings.CutPrefix(s, "|"); ok {
		fields := strings.Fields(rest)
		n := 0
		if len(fields) > 0 {
			fmt.Sscanf(fields[0], "%d", &n)
		}
		for i := 1; i <= n && i < len(fields); i++ {
			k, v, ok := strings.Cut(fields[i], "=")
			if !ok {
				continue
			}
			if m, ok := secrets.Assignment(k, v); ok {
				add(m.Kind + " in build argument " + k)
			}
		}
	}
	return out
}
