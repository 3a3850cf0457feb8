#!/bin/bash
set -euo pipefail

mkdir -p /run/app
chown 1000:1000 /run/app

exec setpriv --reuid=1000 --regid=1000 --init-groups "$@"
