package rules

import (
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/shell"
)

// tls-verification-off: a download, package or signature check is turned
// off: `curl -k`/`--insecure`, `wget --no-check-certificate`,
// `apt-get --allow-unauthenticated`, `apk --allow-untrusted`,
// `pip --trusted-host`, `yum/dnf --nogpgcheck`, `npm config set strict-ssl
// false`, `git -c http.sslVerify=false`, and the environment variables that do
// the same (GIT_SSL_NO_VERIFY, NODE_TLS_REJECT_UNAUTHORIZED=0, …).
func init() {
	register(&Rule{
		ID:          "DG512",
		Slug:        "tls-verification-off",
		Control:     "unverified-downloads",
		Threat:      ThreatImages,
		Severity:    Medium,
		Title:       "TLS or signature verification turned off",
		Rationale:   "Without certificate or package-signature checks anyone on the network path can swap the download or package for their own, and the build runs it as root.",
		Remediation: "Remove the flag; install the CA certificate the server needs (`COPY ca.crt /usr/local/share/ca-certificates/ && update-ca-certificates`) or import the repository's signing key.",
		References:  []string{"CIS Docker Benchmark 4.11"},
		Doc:         "Scripts, Makefiles and CI steps are judged the same way, with the environment a CI file sets (a workflow's env:, GitLab variables:).\n\ncurl's short options are read as a cluster (`-fsSLk`), stopping at an option that takes a value, so `-o k` is not `-k`.",
		Build: func(b *facts.Build, r *Reporter) {
			for _, s := range b.Stages {
				for _, st := range s.Steps {
					if st.Instruction != "ENV" {
						continue
					}
					for _, kv := range st.KVs {
						if why := insecureEnv(kv.Key, kv.Value); why != "" {
							r.Report(s.Subject, kv.At, "ENV %s=%s %s", kv.Key, kv.Value, why)
						}
					}
				}
			}
			if b.Windows {
				return
			}
			eachCommand(b.Stages, func(s *facts.Stage, st *facts.Step, c *facts.Command) {
				for _, a := range c.Assigns {
					if why := insecureEnv(a.Key, a.Value); why != "" {
						r.Report(s.Subject, c.At, "%s=%s %s", a.Key, a.Value, why)
					}
				}
				if why := insecureCommand(c.Args); why != "" {
					r.Report(s.Subject, c.At, "%s", why)
				}
			})
		},
		Script: func(s *facts.Script, r *Reporter) {
			for _, e := range s.Env {
				if why := insecureEnv(e.Name, e.Value); why != "" && !e.Dynamic {
					r.Report(s.Subject, e.At, "%s=%s %s", e.Name, e.Value, why)
				}
			}
			for _, c := range s.Commands {
				for _, a := range c.Assigns {
					if why := insecureEnv(a.Key, a.Value); why != "" {
						r.Report(s.Subject, a.At, "%s=%s %s", a.Key, a.Value, why)
					}
				}
				if why := insecureCommand(c.Args); why != "" {
					r.Report(s.Subject, c.At, "%s", why)
				}
			}
		},
	})
}

// curlValued are curl's short options that take a value.
const curlValued = "AbCcDdEeFHhKmoPQrTtUuwXxYyz"

func insecureCommand(all []string) string {
	args := shell.WithoutSudo(all)
	n := shell.Name(args)
	has := func(flag string) bool {
		for _, a := range args[1:] {
			if a == flag || strings.HasPrefix(a, flag+"=") {
				return true
			}
		}
		return false
	}
	switch n {
	case "curl":
		if option(args, "insecure", "k", curlValued) {
			return "curl -k/--insecure accepts any certificate"
		}
	case "wget":
		if has("--no-check-certificate") {
			return "wget --no-check-certificate accepts any certificate"
		}
	case "apt-get", "apt", "aptitude":
		for _, f := range []string{"--allow-unauthenticated", "--allow-insecure-repositories", "--no-check-gpg"} {
			if has(f) {
				return n + " " + f + " installs unsigned packages"
			}
		}
		for i, a := range args {
			if (a == "-o" || strings.HasPrefix(a, "-o")) && i < len(args) {
				v := strings.TrimPrefix(a, "-o")
				if v == "" && i+1 < len(args) {
					v = args[i+1]
				}
				lv := strings.ToLower(v)
				if (strings.Contains(lv, "allowunauthenticated") || strings.Contains(lv, "allow-insecure")) && (strings.HasSuffix(lv, "=true") || strings.HasSuffix(lv, "=1") || strings.HasSuffix(lv, "=yes")) ||
					strings.Contains(lv, "verify-peer=false") || strings.Contains(lv, "verify-host=false") {
					return n + " -o " + v + " turns package or TLS verification off"
				}
			}
		}
	case "apk":
		if has("--allow-untrusted") {
			return "apk --allow-untrusted installs unsigned packages"
		}
	case "yum", "dnf", "microdnf", "tdnf", "zypper":
		if has("--nogpgcheck") || has("--no-gpg-checks") {
			return n + " installs packages without checking their signatures"
		}
	case "rpm":
		if has("--nosignature") || has("--nodigest") {
			return "rpm installs packages without checking their signatures"
		}
	case "pip", "pip3":
		if has("--trusted-host") {
			return "pip --trusted-host accepts any certificate from that host"
		}
	case "python", "python3":
		if len(args) > 3 && args[1] == "-m" && strings.HasPrefix(args[2], "pip") {
			return insecureCommand(args[2:])
		}
	case "npm", "yarn", "pnpm":
		for i, a := range args {
			if a == "--strict-ssl=false" || (a == "strict-ssl" && i+1 < len(args) && args[i+1] == "false") || a == "strict-ssl=false" {
				return n + " strict-ssl false accepts any certificate"
			}
		}
	case "git":
		for _, a := range args[1:] {
			l := strings.ToLower(strings.ReplaceAll(a, " ", "="))
			if strings.HasPrefix(l, "http.sslverify=false") || strings.HasPrefix(l, "http.sslverify=0") {
				return "git http.sslVerify=false accepts any certificate"
			}
		}
		for i, a := range args {
			if strings.EqualFold(a, "http.sslVerify") && i+1 < len(args) && (args[i+1] == "false" || args[i+1] == "0") {
				return "git config http.sslVerify false accepts any certificate"
			}
		}
	}
	return ""
}

func insecureEnv(name, value string) string {
	v := strings.ToLower(strings.TrimSpace(value))
	switch strings.ToUpper(name) {
	case "GIT_SSL_NO_VERIFY":
		if v != "" && v != "0" && v != "false" {
			return "turns off git's certificate checks"
		}
	case "NODE_TLS_REJECT_UNAUTHORIZED":
		if v == "0" {
			return "turns off Node.js certificate checks"
		}
	case "PYTHONHTTPSVERIFY":
		if v == "0" {
			return "turns off Python's certificate checks"
		}
	case "PIP_TRUSTED_HOST":
		if v != "" {
			return "makes pip accept any certificate from that host"
		}
	case "NPM_CONFIG_STRICT_SSL", "YARN_STRICT_SSL":
		if v == "false" || v == "0" {
			return "turns off npm's certificate checks"
		}
	case "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE":
		// Python requests reads an empty bundle path as "do not verify".
		if v == "" {
			return "(empty) turns off certificate checks in Python requests"
		}
	}
	return ""
}
