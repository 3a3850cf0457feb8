#!/bin/sh
# Values that depend on variables are unknown, not missing: no memory-limit
# for --memory "$MEM", no image-latest for "$IMAGE".
# check: memory-limit image-latest image-unpinned privileged
IMAGE="${IMAGE:-registry.example.com/app}"
docker run --memory "$MEM" --cpus 1 "$IMAGE"
docker run --memory 512m $EXTRA_FLAGS "$IMAGE"
docker run --memory=1g ${PRIV_FLAG} alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1
docker run nginx  # want: memory-limit image-latest
