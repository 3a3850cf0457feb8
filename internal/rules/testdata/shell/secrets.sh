#!/bin/bash
# Registry passwords and build arguments written on command lines.
# check: secret-in-env secret-in-arg secret-arg-name
docker login -u ci -p ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d ghcr.io  # want: secret-in-env
podman login --password=KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKd quay.io  # want: secret-in-env
echo "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d" | docker login -u ci --password-stdin ghcr.io  # want: secret-in-env
docker build --build-arg GITHUB_TOKEN=ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d -t app . # want: secret-in-arg
docker buildx build --build-arg NPM_TOKEN=$NPM_TOKEN -t app .  # want: secret-arg-name
docker run -e API_KEY=KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKd nginx:1.27  # want: secret-in-env
