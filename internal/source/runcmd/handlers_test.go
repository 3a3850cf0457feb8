package runcmd

import "testing"

// TestHandlersNameFlags: a handler keyed by a name no table defines (a
// typo, or an alias instead of its canonical name) would never run, and
// the flag it meant would silently change nothing.
func TestHandlersNameFlags(t *testing.T) {
	tables := []*flagTable{dockerRunTable, dockerCreateTable, podmanRunTable, podmanCreateTable}
	for name := range flagHandlers {
		found := false
		for _, tab := range tables {
			if d := tab.long[name]; d != nil && d.key() == name {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("handler for --%s: no container flag has that canonical name", name)
		}
	}
}
