#!/bin/sh
# Image verification switched off.
# check: content-trust-disabled
DOCKER_CONTENT_TRUST=0 docker pull nginx:1.27  # want: content-trust-disabled
export DOCKER_CONTENT_TRUST=false  # want: content-trust-disabled
docker pull --disable-content-trust nginx:1.27  # want: content-trust-disabled
env DOCKER_CONTENT_TRUST=0 docker push app:1  # want: content-trust-disabled
docker run --disable-content-trust nginx:1.27  # want: content-trust-disabled
