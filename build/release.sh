#!/usr/bin/env bash
# Release build: static dockguard binaries for linux/amd64 and linux/arm64,
# with the version and commit stamped into `dockguard version`, packed as
# reproducible tar.gz archives with a SHA256SUMS file. Publishing them is
# not done here.
#
#   build/release.sh [-v VERSION] [-c COMMIT] [-o DIR]
#
# VERSION defaults to `git describe --tags --always --dirty`, COMMIT to
# `git rev-parse HEAD` (with -dirty when the work tree has changes), DIR to
# dist. SOURCE_DATE_EPOCH (default: the commit's time) dates every file in
# the archives, so the same tree, Go toolchain, VERSION and COMMIT give
# byte-identical archives.
#
# DIR receives:
#   linux_amd64/dockguard, linux_arm64/dockguard   (what the Dockerfile copies)
#   dockguard_VERSION_linux_amd64.tar.gz, dockguard_VERSION_linux_arm64.tar.gz
#   SHA256SUMS                                     (sha256sum -c reads it)
set -euo pipefail
cd "$(dirname "$0")/.."

version="${VERSION:-}" commit="${COMMIT:-}" out="dist"
while getopts "v:c:o:h" opt; do
  case "$opt" in
    v) version="$OPTARG" ;;
    c) commit="$OPTARG" ;;
    o) out="$OPTARG" ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

in_git() { git rev-parse --git-dir >/dev/null 2>&1; }
dirty=""
if in_git && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  dirty="-dirty"
fi
if [ -z "$version" ]; then
  version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
fi
if [ -z "$commit" ]; then
  commit="$( (git rev-parse HEAD 2>/dev/null || echo unknown) )$dirty"
fi
case "$version$commit" in
  *[!A-Za-z0-9._+-]*) echo "release: VERSION and COMMIT may hold only letters, digits and . _ + -" >&2; exit 2 ;;
esac
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH

pkg=github.com/dockguard/dockguard/internal/cli
ldflags="-s -w -buildid= -X $pkg.Version=$version -X $pkg.Commit=$commit"

mkdir -p "$out"
rm -f "$out"/dockguard_*.tar.gz "$out/SHA256SUMS"
for arch in amd64 arm64; do
  bin="$out/linux_$arch/dockguard"
  mkdir -p "$out/linux_$arch"
  # GOFLAGS is cleared so that nothing from the caller's environment
  # changes the binary; -buildvcs=false because the commit is stamped
  # explicitly (and a tarball of the source has no VCS to read).
  env GOFLAGS= CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$bin" ./cmd/dockguard
  name="dockguard_${version}_linux_$arch"
  stage="$(mktemp -d)"
  mkdir "$stage/$name"
  cp "$bin" "$stage/$name/dockguard"
  cp README.md "$stage/$name/README.md"
  chmod 0755 "$stage/$name/dockguard"
  chmod 0644 "$stage/$name/README.md"
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
      --format=ustar -C "$stage" -cf - "$name" | gzip -9 -n > "$out/$name.tar.gz"
  rm -rf "$stage"
  touch -d "@$SOURCE_DATE_EPOCH" "$bin"
done
(cd "$out" && sha256sum dockguard_"${version}"_linux_amd64.tar.gz dockguard_"${version}"_linux_arm64.tar.gz > SHA256SUMS)
echo "release: dockguard $version (commit $commit) in $out:"
sed 's/^/  /' "$out/SHA256SUMS"
