package secrets

import "strings"

// Trailing name parts that make a variable point at a secret, describe it or
// configure it, rather than hold it: MYSQL_ROOT_PASSWORD_FILE holds a path,
// AWS_ACCESS_KEY_ID an identifier, PASSWORD_MIN_LENGTH a number. _URL is here
// too: credentials embedded in URLs are found by their value instead.
var notSecretSuffix = map[string]bool{
	"file": true, "files": true, "path": true, "paths": true, "dir": true,
	"directory": true, "url": true, "uri": true, "user": true,
	"username": true, "usr": true, "id": true, "ids": true, "length": true,
	"len": true, "min": true, "max": true, "ttl": true, "expiry": true,
	"expires": true, "expiration": true, "lifetime": true, "timeout": true,
	"enabled": true, "enable": true, "disabled": true, "disable": true,
	"type": true, "header": true, "name": true, "endpoint": true,
	"host": true, "hostname": true, "port": true, "mode": true,
	"policy": true, "algorithm": true, "alg": true, "count": true,
	"size": true, "version": true, "format": true, "location": true,
	"prefix": true, "required": true, "hint": true, "rotation": true,
	"provider": true, "method": true, "strategy": true, "backend": true,
}

// Words that, followed by KEY, name a secret key. Deliberately missing:
// public, gpg and pgp, whose keys (and fingerprints, as in the official
// images' GPG_KEY) are public.
var keyQualifiers = map[string]bool{
	"api": true, "access": true, "private": true, "secret": true,
	"encryption": true, "encrypt": true, "signing": true, "sign": true,
	"master": true, "session": true, "app": true, "license": true,
	"hmac": true, "jwt": true, "ssh": true, "client": true, "auth": true,
	"crypto": true, "cipher": true, "aes": true, "shared": true,
	"account": true, "storage": true, "deploy": true, "admin": true,
	"write": true, "subscription": true, "webhook": true, "service": true,
}

// IsSecretName reports whether an environment variable, build argument or
// configuration key name suggests that its value is a secret. Names are
// split into parts on _ - . and camelCase and compared case-insensitively.
// A name ending in a part that points at or describes a secret (_FILE, _PATH,
// _ID, _URL, _USER, _LENGTH, ...) is not a secret name.
func IsSecretName(name string) bool {
	name = strings.TrimSpace(name)
	// The shell's working directory variables, not passwords.
	if strings.EqualFold(name, "PWD") || strings.EqualFold(name, "OLDPWD") {
		return false
	}
	parts := splitWords(name)
	if len(parts) == 0 {
		return false
	}
	for i, p := range parts {
		parts[i] = strings.TrimRight(p, "0123456789")
	}
	if notSecretSuffix[parts[len(parts)-1]] {
		return false
	}
	for i, p := range parts {
		switch {
		case strings.Contains(p, "password"), strings.Contains(p, "passwd"),
			strings.Contains(p, "passphrase"), strings.Contains(p, "secret"),
			strings.Contains(p, "credential"):
			return true
		case p == "pass", p == "creds", p == "cred", p == "auth", p == "oauth",
			p == "token", p == "tokens", p == "connstr", p == "connectionstring",
			strings.HasSuffix(p, "pwd"), strings.HasSuffix(p, "token"):
			return true
		case p == "key" || p == "keys":
			if i > 0 && keyQualifiers[parts[i-1]] {
				return true
			}
		case strings.HasSuffix(p, "key"):
			if keyQualifiers[p[:len(p)-3]] {
				return true
			}
		case p == "string":
			if i > 0 && parts[i-1] == "connection" {
				return true
			}
		}
	}
	return false
}

// splitWords splits an identifier into lower-case parts on any
// non-alphanumeric byte and on camelCase boundaries ("apiKey", "APIKey").
// Digits stay with the part before them.
func splitWords(s string) []string {
	var parts []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			parts = append(parts, strings.ToLower(s[start:end]))
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := s[i-1]
		if isUpper(c) && (isLower(prev) || isDigit(prev)) ||
			isUpper(c) && isUpper(prev) && i+1 < len(s) && isLower(s[i+1]) {
			flush(i)
			start = i
		}
	}
	flush(len(s))
	return parts
}
