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
		Doc:         "Fails closed: no setting relaxes it. The message names the check that failed (body-undecodable, unknown-field, route-not-allowed, plugin-self, read-only-api for a route off the read-only proxy's allow-list, …).",
		Request:     true,
		Enforce:     EnforceFailClosed,
	})
}
