# want: suid-removal-missing "no step removes SUID/SGID bits" no-healthcheck "declares no HEALTHCHECK"
FROM node:22@sha256:7954aeaa4a8272f64f98467d908771bd5a4c530728d73f6b41ec168aa6ae2d49
ARG NODE_VERSION
ARG APP_ENV
USER node
