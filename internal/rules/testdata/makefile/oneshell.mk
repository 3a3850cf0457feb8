# With .ONESHELL a recipe is one script: if/fi across lines.
.ONESHELL:
deploy:
	@set -e
	if [ -n "$$PROD" ]; then
	  # want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
	  # want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(alpine:3\.19\)`
	  # want: read-only-rootfs "root filesystem is writable" image-unpinned `image alpine:3\.19 is pinned by tag only`
	  docker run --privileged alpine:3.19  # want: privileged "runs privileged"
	fi
