#!/bin/sh
# Image verification left on, or set from a variable.
# check: content-trust-disabled
DOCKER_CONTENT_TRUST=1 docker pull nginx:1.27
export DOCKER_CONTENT_TRUST="$TRUST"
docker run --disable-content-trust=false nginx:1.27
