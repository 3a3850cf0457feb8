#!/usr/bin/env bash
set -Eeuo pipefail

if [[ $EUID -eq 0 ]]; then
	chown -R app:app /var/lib/app
	exec runuser -u app -- "$@"
fi
exec "$@"
