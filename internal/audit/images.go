package audit

import (
	"context"

	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/source/image"
)

// KindImage counts the images audited (--image).
const KindImage inputs.Kind = "image"

// imageWorkers bounds how many images are read at once; each image reads
// its layers in parallel itself.
const imageWorkers = 2

// auditImages reads every image named with --image, once each, and judges
// its content and config. An image that cannot be read is an input error
// naming it; every other input is still audited.
func auditImages(ctx context.Context, opt Options, pol *policy.Policy, col *collector) {
	parallel(ctx, imageWorkers, len(opt.Images), func(i int) {
		ref := opt.Images[i]
		res, err := image.Load(ctx, ref, opt.Image)
		if err != nil {
			col.add(nil, nil, &inputs.Error{Path: ref, Message: err.Error()})
			return
		}
		var notes []Note
		for _, n := range res.Image.Notes {
			notes = append(notes, Note{Path: ref, Message: n.Message})
		}
		col.add(pol.Image(res.Image), notes)
	})
}
