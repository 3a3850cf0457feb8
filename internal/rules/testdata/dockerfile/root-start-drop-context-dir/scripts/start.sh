#!/bin/bash
set -euo pipefail
install -d -o app -g app /var/run/app
exec gosu app /opt/app/bin/server "$@"
