#!/bin/sh
set -e
mkdir -p "$APP_HOME"
chown app "$APP_HOME"
exec su-exec app "$@"
