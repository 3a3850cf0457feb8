package compose

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentLoads loads projects in parallel, as the audit does.
func TestConcurrentLoads(t *testing.T) {
	files := []string{basic, "testdata/extends/compose.yaml", "testdata/include/compose.yaml", "testdata/missing/compose.yaml", "testdata/legacy/docker-compose.yml"}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		for _, f := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := Load(context.Background(), Options{Files: []string{f}}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
}
