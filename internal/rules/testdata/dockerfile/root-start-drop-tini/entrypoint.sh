#!/bin/sh
set -e
chown -R app:app /data
exec gosu app /usr/local/bin/server "$@"
