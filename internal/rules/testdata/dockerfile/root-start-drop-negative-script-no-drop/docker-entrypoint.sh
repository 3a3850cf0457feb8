#!/bin/sh
set -e

# Render the config from the environment, then hand over to the command.
envsubst < /etc/app/config.tmpl > /etc/app/config.yaml
exec "$@"
