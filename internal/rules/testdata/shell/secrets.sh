#!/bin/bash
# Registry passwords and build arguments written on command lines.
docker login -u ci -p ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d ghcr.io  # want: secret-in-env "docker login -p is given a GitHub token"
podman login --password=KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKd quay.io  # want: secret-in-env "podman login --password is given a high-entropy value"
echo "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d" | docker login -u ci --password-stdin ghcr.io  # want: secret-in-env `echo … \| docker login --password-stdin is given a GitHub token`
docker build --build-arg GITHUB_TOKEN=ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d -t app . # want: secret-in-arg "--build-arg GITHUB_TOKEN is a GitHub token"
docker buildx build --build-arg NPM_TOKEN=$NPM_TOKEN -t app .  # want: secret-arg-name "--build-arg NPM_TOKEN is named for a secret"
# want: memory-limit "no memory limit" cpu-limit "no CPU limit" pids-limit "no PIDs limit"
# want: ulimits-missing "no nofile or nproc ulimit" root-user `runs as the image's user \(nginx:1\.27\)`
# want: capabilities-not-dropped "keeps Docker's default capabilities"
# want: no-new-privileges-missing "no-new-privileges is not set" read-only-rootfs "root filesystem is writable"
# want: image-unpinned `image nginx:1\.27 is pinned by tag only`
docker run -e API_KEY=KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKd nginx:1.27  # want: secret-in-env "environment variable API_KEY holds a high-entropy value"
