#!/bin/sh
# Image verification left on, or set from a variable.
# negative: content-trust-disabled
DOCKER_CONTENT_TRUST=1 docker pull nginx:1.27
export DOCKER_CONTENT_TRUST="$TRUST"
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(nginx:1\.27\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image nginx:1\.27 is pinned by tag only`
docker run --disable-content-trust=false nginx:1.27
