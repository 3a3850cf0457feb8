#!/bin/sh
set -eu

# Only the server needs the volume handed over to app; other commands
# (a shell, a one-off migration) run as given.
if [ "${1:-}" = 'server' ]; then
	chown -R app:app /data
	exec su-exec app:app "$@"
fi

exec "$@"
