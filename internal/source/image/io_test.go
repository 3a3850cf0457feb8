package image

import (
	"io"
	"log"
)

type ioReadCloser = io.ReadCloser

func nopCloser(r io.Reader) io.ReadCloser { return io.NopCloser(r) }

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }
