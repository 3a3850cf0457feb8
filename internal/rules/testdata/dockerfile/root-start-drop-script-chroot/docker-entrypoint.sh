#!/bin/sh
set -e
chown -R 1000:1000 /srv/cache
exec chroot --userspec=1000:1000 / "$@"
