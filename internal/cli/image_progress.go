package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/go-units"
	"github.com/dockguard/dockguard/internal/source/image"
	"github.com/schollz/progressbar/v3"
)

// imageProgress shows a progress bar on errOut while --image images are
// read, when errOut is a terminal: layers read of the layers announced so
// far, and the stored (compressed) bytes read. stop clears it.
func imageProgress(opt *image.Options, errOut io.Writer, images int) (stop func()) {
	if images == 0 || !isTTY(errOut) {
		return func() {}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(errOut),
		progressbar.OptionSetDescription("reading images"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
	var (
		mu          sync.Mutex
		done, total int
		read, shown int64
	)
	opt.Progress = func(p image.Progress) {
		mu.Lock()
		defer mu.Unlock()
		total += p.Layers
		if p.LayerDone {
			done++
		}
		read += p.Bytes
		// The description is redrawn when a count changes or every 8 MiB.
		if p.Layers > 0 || p.LayerDone || read-shown >= 8<<20 {
			shown = read
			bar.Describe(fmt.Sprintf("image layers %d/%d, %s read", done, total, units.BytesSize(float64(read))))
		}
		if p.Bytes > 0 {
			_ = bar.Add64(p.Bytes)
		}
	}
	return func() { _ = bar.Clear() }
}
