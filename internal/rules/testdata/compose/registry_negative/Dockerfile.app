# want: suid-removal-missing "no step removes SUID/SGID bits" no-healthcheck "declares no HEALTHCHECK"
FROM ghcr.io/x/base:1@sha256:f497965942390b358f88eb785704edffabbda6b1741489dff3238ff92b37e6f7
USER 10001
