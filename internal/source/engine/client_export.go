package engine

import "github.com/moby/moby/client"

// Client connects to an engine for reads outside a live audit (an image
// save). The caller closes it.
func Client(ep Endpoint) (*client.Client, error) {
	c, _, err := connect(ep, Options{})
	return c, err
}
