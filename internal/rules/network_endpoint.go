package rules

// network-endpoint: network endpoint beside the network mode; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG351",
		Slug:        "network-endpoint",
		Control:     "host-namespaces",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Network endpoint beside the network mode",
		Rationale:   "NetworkingConfig.EndpointsConfig can attach a container to a network that HostConfig.NetworkMode does not name; the daemon connects it there.",
		Remediation: "Name only the network of HostConfig.NetworkMode in NetworkingConfig.EndpointsConfig (`docker run --network` once).",
		Request:     true,
	})
}
