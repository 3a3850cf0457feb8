# dockguard's own image: the static binary that build/release.sh lays out
# under dist/linux_<arch>/, copied into an empty image. Nothing else is in
# it: no shell, no package manager, no libc (the binary is CGO_ENABLED=0).
#
#   build/release.sh
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t dockguard .
#
# BuildKit sets TARGETARCH from --platform (a default on the ARG line would
# override it); the legacy builder sets none, and the COPY below falls back
# to amd64. Run it read-only, without capabilities:
#
#   docker run --rm --read-only --cap-drop ALL --security-opt no-new-privileges dockguard version
FROM scratch

ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown

LABEL org.opencontainers.image.title="dockguard" \
      org.opencontainers.image.description="Finds, blocks and fixes insecure Docker setups; the default command is the agent" \
      org.opencontainers.image.source="https://github.com/dockguard/dockguard" \
      org.opencontainers.image.url="https://github.com/dockguard/dockguard" \
      org.opencontainers.image.documentation="https://github.com/dockguard/dockguard/tree/main/docs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"

COPY dist/linux_${TARGETARCH:-amd64}/dockguard /dockguard

# A numeric user, so the runtime needs no /etc/passwd to know it is not
# root. To follow the host's engine, give it the socket's group
# (--group-add) or, better, point -H at a read-only socket proxy.
USER 65532:65532

# The agent's /metrics, /report and /healthz.
EXPOSE 9323

# The agent's own /healthz, asked by the binary itself (there is no curl):
# healthy while the engine answers and the findings are current. With
# --listen on another port, or TLS on it, override this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/dockguard", "agent", "health", "--url", "http://127.0.0.1:9323/healthz"]

ENTRYPOINT ["/dockguard"]
CMD ["agent", "--listen", ":9323"]
