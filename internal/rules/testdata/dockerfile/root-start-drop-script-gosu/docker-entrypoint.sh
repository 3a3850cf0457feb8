#!/bin/sh
set -e

# First start as root: fix the ownership of the data volume, then run the
# server as the unprivileged app user.
if [ "$(id -u)" = '0' ]; then
	chown -R app:app /var/lib/app
	exec gosu app "$@"
fi

exec "$@"
