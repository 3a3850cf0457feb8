#!/bin/bash
# Every way a script starts a container: functions, sudo, docker container
# run, docker create, podman, command substitution, sh -c bodies, line
# continuations (the want covers the continued lines).
# check: privileged host-pid-ipc dangerous-capability runtime-socket-mount host-network host-path-mount
set -euo pipefail

start_db() {
  # want: privileged runtime-socket-mount
  sudo docker run -d --name db \
    --privileged \
    -v /var/run/docker.sock:/var/run/docker.sock \
    postgres:16
}

docker container run --pid=host alpine:3.19  # want: host-pid-ipc
ID=$(docker create --cap-add SYS_ADMIN alpine:3.19)  # want: dangerous-capability
sh -c 'docker run --net=host nginx:1.27'  # want: host-network
podman run -v /:/host alpine:3.19  # want: host-path-mount
if [ -n "${DEBUG:-}" ]; then
  docker run --rm -it --privileged alpine:3.19 sh  # want: privileged
fi
for i in 1 2; do nerdctl run --pid host alpine:3.19; done  # want: host-pid-ipc

# Not containers: words in other commands, heredocs, comments.
echo "docker run --privileged alpine"
grep -r 'docker run --pid=host' .
cat <<EOF2
docker run --privileged alpine
EOF2
# docker run --privileged alpine
docker ps --filter name=db
docker run --privileged=false alpine:3.19
