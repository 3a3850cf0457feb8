# Makefile recipes: tab-indented lines after a rule, with @ - + prefixes,
# continuations, $$ for the shell's $, make variables as unknown values.
# check: privileged host-pid-ipc runtime-socket-mount memory-limit pipe-to-shell image-latest
DOCKER ?= docker
IMAGE := registry.example.com/app:1.2
RUN_FLAGS = --rm \
	--privileged

.PHONY: run db tools
run: build ## start the app
	@echo "starting $@"
	-$(DOCKER) run --memory $(MEM) --pid=host $(IMAGE)  # want: host-pid-ipc
	# a shell comment: docker run --privileged
	+sudo docker run -d \
		--memory 256m \
		-v /var/run/docker.sock:/var/run/docker.sock \
		nginx:1.27  # want: runtime-socket-mount

db: ; @docker run --memory=1g --privileged postgres:16  # want: privileged

tools:
	curl -fsSL https://example.com/install.sh | sh  # want: pipe-to-shell
	for c in $$(docker ps -q); do docker inspect $$c; done
	docker run --memory 1g "$${IMAGE}" $(RUN_FLAGS)
	docker run alpine  # want: memory-limit image-latest

define HELP
	docker run --privileged --pid=host alpine
endef
export HELP
X = 1
	docker run --privileged alpine
