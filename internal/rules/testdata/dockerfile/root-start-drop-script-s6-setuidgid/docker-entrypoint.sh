#!/bin/sh
set -e
[ -d /config ] && chown -R app:app /config
exec s6-setuidgid app "$@"
