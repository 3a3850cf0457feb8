#!/bin/sh
# Values that depend on variables are unknown, not missing: no memory-limit
# for --memory "$MEM", no image-latest for "$IMAGE".
# negative: image-unpinned privileged
IMAGE="${IMAGE:-registry.example.com/app}"
# want: pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
# want: root-user `runs as the image's user \(\$IMAGE\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
docker run --memory "$MEM" --cpus 1 "$IMAGE"
# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
# want: root-user `runs as the image's user \(\$EXTRA_FLAGS\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: memory-swap "memory limit 512m without a swap limit"
docker run --memory 512m $EXTRA_FLAGS "$IMAGE"
# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
# want: root-user `runs as the image's user \(\$\{PRIV_FLAG\}\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: memory-swap "memory limit 1g without a swap limit"
docker run --memory=1g ${PRIV_FLAG} alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1
# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
# want: root-user `runs as the image's user \(nginx\)` capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
docker run nginx  # want: memory-limit "no memory limit" image-latest "image nginx has no tag"
