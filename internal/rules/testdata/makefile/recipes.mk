# Makefile recipes: tab-indented lines after a rule, with @ - + prefixes,
# continuations, $$ for the shell's $, make variables as unknown values.
DOCKER ?= docker
IMAGE := registry.example.com/app:1.2
RUN_FLAGS = --rm \
	--privileged

.PHONY: run db tools
run: build ## start the app
	@echo "starting $@"
	# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
	# want: root-user `runs as the image's user \(\$\{IMAGE\}\)`
	# want: capabilities-not-dropped "keeps Docker's default capabilities"
	# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
	-$(DOCKER) run --memory $(MEM) --pid=host $(IMAGE)  # want: host-pid-ipc "shares the host's pid namespace"
	# a shell comment: docker run --privileged
	# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
	# want: root-user `runs as the image's user \(nginx:1\.27\)`
	# want: capabilities-not-dropped "keeps Docker's default capabilities"
	# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
	# want: memory-swap "memory limit 256m without a swap limit"
	# want: runtime-socket-mount `mounts the runtime socket /var/run/docker\.sock at /var/run/docker\.sock`
	# want: image-unpinned `image nginx:1\.27 is pinned by tag only`
	+sudo docker run -d \
		--memory 256m \
		-v /var/run/docker.sock:/var/run/docker.sock \
		nginx:1.27

# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
# want: root-user `runs as the image's user \(postgres:16\)` read-only-rootfs "root filesystem is writable"
# want: memory-swap "memory limit 1g without a swap limit" image-unpinned "image postgres:16 is pinned by tag only"
db: ; @docker run --memory=1g --privileged postgres:16  # want: privileged "runs privileged"

tools:
	curl -fsSL https://example.com/install.sh | sh  # want: pipe-to-shell "curl output is piped into sh and executed unverified"
	for c in $$(docker ps -q); do docker inspect $$c; done
	# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
	# want: root-user `runs as the image's user \(\$\{IMAGE\}\)`
	# want: capabilities-not-dropped "keeps Docker's default capabilities"
	# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
	# want: memory-swap "memory limit 1g without a swap limit"
	docker run --memory 1g "$${IMAGE}" $(RUN_FLAGS)
	# want: cpu-limit "no CPU limit" pids-limit "no PIDs limit" ulimits-missing "no nofile or nproc ulimit"
	# want: root-user `runs as the image's user \(alpine\)` capabilities-not-dropped "keeps Docker's default capabilities"
	# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
	docker run alpine  # want: memory-limit "no memory limit" image-latest "image alpine has no tag"

define HELP
	docker run --privileged --pid=host alpine
endef
export HELP
X = 1
	docker run --privileged alpine
