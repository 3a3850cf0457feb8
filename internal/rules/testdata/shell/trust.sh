#!/bin/sh
# Image verification switched off.
DOCKER_CONTENT_TRUST=0 docker pull nginx:1.27  # want: content-trust-disabled "DOCKER_CONTENT_TRUST=0 switches image verification off"
export DOCKER_CONTENT_TRUST=false  # want: content-trust-disabled "DOCKER_CONTENT_TRUST=false switches image verification off"
docker pull --disable-content-trust nginx:1.27  # want: content-trust-disabled "image verification is switched off"
env DOCKER_CONTENT_TRUST=0 docker push app:1  # want: content-trust-disabled "DOCKER_CONTENT_TRUST=0 switches image verification off"
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(nginx:1\.27\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image nginx:1\.27 is pinned by tag only`
docker run --disable-content-trust nginx:1.27  # want: content-trust-disabled "image verification is switched off"
