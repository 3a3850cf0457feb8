#!/bin/bash
# Every way a script starts a container: functions, sudo, docker container
# run, docker create, podman, command substitution, sh -c bodies, line
# continuations (the want covers the continued lines).
set -euo pipefail

start_db() {
  # want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
  # want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(postgres:16\)`
  # want: read-only-rootfs "root filesystem is writable" privileged "runs privileged"
  # want: runtime-socket-mount `mounts the runtime socket /var/run/docker\.sock at /var/run/docker\.sock`
  # want: image-unpinned "image postgres:16 is pinned by tag only"
  sudo docker run -d --name db \
    --privileged \
    -v /var/run/docker.sock:/var/run/docker.sock \
    postgres:16
}

# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(alpine:3\.19\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image alpine:3\.19 is pinned by tag only`
docker container run --pid=host alpine:3.19  # want: host-pid-ipc "shares the host's pid namespace"
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(alpine:3\.19\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image alpine:3\.19 is pinned by tag only`
ID=$(docker create --cap-add SYS_ADMIN alpine:3.19)  # want: dangerous-capability "adds SYS_ADMIN"
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(nginx:1\.27\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image nginx:1\.27 is pinned by tag only`
sh -c 'docker run --net=host nginx:1.27'  # want: host-network "shares the host's network namespace"
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" ulimits-missing "no nofile or nproc ulimit"
# want: root-user `runs as the image's user \(alpine:3\.19\)`
# want: capabilities-not-dropped "keeps Podman's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image alpine:3\.19 is pinned by tag only`
podman run -v /:/host alpine:3.19  # want: host-path-mount "mounts the host's / read-write at /host"
if [ -n "${DEBUG:-}" ]; then
  # want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
  # want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(alpine:3\.19\)`
  # want: read-only-rootfs "root filesystem is writable" image-unpinned `image alpine:3\.19 is pinned by tag only`
  docker run --rm -it --privileged alpine:3.19 sh  # want: privileged "runs privileged"
fi
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(alpine:3\.19\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image alpine:3\.19 is pinned by tag only`
for i in 1 2; do nerdctl run --pid host alpine:3.19; done  # want: host-pid-ipc "shares the host's pid namespace"

# Not containers: words in other commands, heredocs, comments.
echo "docker run --privileged alpine"
grep -r 'docker run --pid=host' .
cat <<EOF2
docker run --privileged alpine
EOF2
# docker run --privileged alpine
docker ps --filter name=db
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(alpine:3\.19\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image alpine:3\.19 is pinned by tag only`
docker run --privileged=false alpine:3.19
