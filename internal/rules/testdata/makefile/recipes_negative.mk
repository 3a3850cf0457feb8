# Nothing here runs a privileged container or pipes a download to a shell.
# check: privileged pipe-to-shell host-pid-ipc content-trust-disabled
IMAGE ?= app:1
build:
	docker build -t $(IMAGE) .
	echo "docker run --privileged $(IMAGE)"
	curl -fsSLo tool.tgz https://example.com/tool.tgz
	docker run --privileged=false --pid=$(PID_MODE) $(IMAGE)
	DOCKER_CONTENT_TRUST=1 docker pull $(IMAGE)
