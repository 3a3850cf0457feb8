package rules

// image-mount: image mounted into a container; judged by enforcement on Engine API requests.
func init() {
	register(&Rule{
		ID:          "DG349",
		Slug:        "image-mount",
		Control:     "sensitive-mounts",
		Threat:      ThreatBreakout,
		Severity:    High,
		Title:       "Image mounted into a container",
		Rationale:   "An image mount adds another image's files to the container, which neither the image rules nor the request show.",
		Remediation: "Copy the files into the image at build time instead of mounting another image.",
		Request:     true,
	})
}
