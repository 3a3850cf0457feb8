package rules

// exec-root: docker exec as root; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG352",
		Slug:        "exec-root",
		Control:     "non-root-user",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "docker exec as root",
		Rationale:   "An exec as root runs with the container's full capability set, whatever user the container itself runs as.",
		Remediation: "Run `docker exec --user <uid>` with an unprivileged user, or set `enforce.allowExecRoot: true` where operators need root shells.",
		Doc:         "Judged by enforcement on exec create bodies: an empty User is the container's user (asked of the daemon), and a name is resolved in the container's /etc/passwd as runc resolves it, so `toor:x:0:0` is root.",
		Request:     true,
	})
}
