package engine

import (
	"context"
	"strings"
)

// InspectGone reads one container by id as Load does after listing it, and
// returns the notes: for a container that no longer exists, the note that
// it was removed during the audit.
func InspectGone(ctx context.Context, host, id string) string {
	opts := Options{}
	opts.defaults()
	cli, tr, err := connect(Endpoint{Host: host}, opts)
	if err != nil {
		return err.Error()
	}
	defer tr.CloseIdleConnections()
	r := &reader{cli: cli, opts: opts, snap: &Snapshot{Host: host}, sem: make(chan struct{}, 1), images: map[string]*imageEntry{}}
	r.sem <- struct{}{}
	if o := r.readContainer(ctx, id, id); o != nil {
		return ""
	}
	return strings.Join(append(r.snap.Notes, r.snap.Errors...), "; ")
}
