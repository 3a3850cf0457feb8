#!/bin/sh
set -e
: "${APP_HOME:=/srv/app}"
export APP_HOME
exec /usr/local/bin/setup-and-run.sh "$@"
