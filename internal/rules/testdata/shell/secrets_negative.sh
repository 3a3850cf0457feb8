#!/bin/bash
# Credentials from variables, files and the environment; build arguments
# that are not secrets, and build secrets.
# negative: secret-in-env secret-in-arg secret-arg-name
docker login -u ci -p "$CI_TOKEN" ghcr.io
echo "$CI_TOKEN" | docker login -u ci --password-stdin ghcr.io
docker login -u ci --password-stdin ghcr.io < token.txt
docker login -u ci -p changeme localhost:5000
docker build --build-arg VERSION=1.2.3 --secret id=npm,env=NPM_TOKEN -t app .
