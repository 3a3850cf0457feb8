package rules

// request-unjudged: request dockguard cannot judge; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG366",
		Slug:        "request-unjudged",
		Control:     "daemon-exposure",
		Threat:      ThreatBreakout,
		Severity:    Critical,
		Title:       "Request dockguard cannot judge",
		Rationale:   "A request the daemon would read differently from dockguard (a body that does not decode, unknown fields, form bodies, a Content-Length that does not match, a route off the allow-list, an API version before 1.24, a stream without Upgrade headers) could carry anything; it is denied. So is a request that would change dockguard's own plugin.",
		Remediation: "Send the request as the Docker CLI does; the denial says which part could not be judged.",
		Doc: "Fails closed: no setting relaxes it. The denial names the check that failed beside the rule (`request-unjudged (DG366): body-undecodable: …`); the checks are:\n\n" +
			"api-version-too-old: the path names an API version before 1.24. " +
			"bad-content-length: Content-Length is not a length. " +
			"bad-path: the path cannot be routed as dockerd routes it. " +
			"bind-unresolved: a bind source that cannot be resolved in the daemon's mount namespace (a symlink loop, a permission, a file where a folder is needed). " +
			"body-content-type: the request repeats Content-Type (the proxy). " +
			"body-form: a form or multipart body, which the daemon reads as parameters. " +
			"body-missing: a route that reads a body has none to judge. " +
			"body-not-json: the body is not application/json. " +
			"body-short: the body forwarded is shorter than its Content-Length. " +
			"body-too-large: the body is over enforce.maxBody. " +
			"body-undecodable: the body does not decode as the daemon reads it. " +
			"build-parameter: a build parameter dockguard does not know. " +
			"exec-container-unknown: an exec into a container the daemon does not find. " +
			"hostconfig-top-level: HostConfig fields at the top level beside a HostConfig object. " +
			"internal-error: dockguard failed while judging. " +
			"network-unresolved: a network the daemon cannot resolve for dockguard. " +
			"plugin-self: a request that would change dockguard's own plugin. " +
			"read-only-api: a route off the read-only proxy's allow-list. " +
			"redact-env: a request that would read environment values past enforce.redactEnv. " +
			"route-not-allowed: a route off dockguard's allow-list. " +
			"service-rollback: a service rollback, which restores a spec that was never judged. " +
			"start-with-config: a start that carries a HostConfig (API before 1.24). " +
			"unknown-field: a key no field of the API types takes. " +
			"update-container-unknown: an update of a container the daemon does not describe (its settings are judged merged with the update). " +
			"upgrade-required: a stream without Upgrade headers. " +
			"volume-unknown: a named volume the daemon cannot describe.",
		Request: true,
		Enforce: EnforceFailClosed,
	})
}
