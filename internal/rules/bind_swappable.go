package rules

// bind-swappable: a bind source that a user other than root can swap for
// a symlink between enforcement's decision and the daemon's mount, in a
// container that could use what the swap reaches. Judged by enforcement
// on the daemon's host.
func init() {
	register(&Rule{
		ID:          "DG375",
		Slug:        "bind-swappable",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Bind source a non-root user can swap, in a privileged container",
		Rationale:   "The daemon follows a bind source's path when it mounts it, after dockguard judged it; whoever can write a folder on that path can put a symlink to /etc or to the daemon's socket there in between, and a container running as root (or able to become root) then reads the host's secrets or drives the daemon.",
		Remediation: "Bind a folder only root can change, use a named volume, or run the container as `--user UID:GID` with `--security-opt no-new-privileges` and no `--group-add`.",
		Doc:         "Judged by enforcement on create requests, on the daemon's host: every folder on the source's path, as written and where it leads, must be owned by root and writable only by root (in a sticky folder such as /tmp, the entry must be root's). Not reported when the container runs as a numeric non-root UID with no-new-privileges and no supplementary groups (the swap then reaches only what that user may read), or when the daemon remaps user namespaces. The same race at the daemon's own restarts (a restart policy) is why named volumes are the safe choice.",
		Request:     true,
	})
}
