# Nothing here runs a privileged container or pipes a download to a shell.
# negative: privileged pipe-to-shell host-pid-ipc content-trust-disabled
IMAGE ?= app:1
build:
	docker build -t $(IMAGE) .
	echo "docker run --privileged $(IMAGE)"
	curl -fsSLo tool.tgz https://example.com/tool.tgz
	# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
	# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(\$\{IMAGE\}\)`
	# want: capabilities-not-dropped "keeps Docker's default capabilities"
	# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
	docker run --privileged=false --pid=$(PID_MODE) $(IMAGE)
	DOCKER_CONTENT_TRUST=1 docker pull $(IMAGE)
