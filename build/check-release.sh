#!/usr/bin/env bash
# Checks the release build (CI runs it): build/release.sh twice, with its
# defaults, into two temporary folders, then
#   - both archives and SHA256SUMS exist, and the sums hold;
#   - the two builds are byte-identical (reproducible);
#   - each archive holds the binary laid out beside it;
#   - the amd64 binary runs and prints the stamped version and commit;
#   - the arm64 binary is a static 64-bit little-endian aarch64 ELF
#     executable (read from its header, without `file`).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-release: $*" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-dirty"; fi

start=$(date +%s)
build/release.sh -o "$tmp/a"
mid=$(date +%s)
build/release.sh -o "$tmp/b" >/dev/null
end=$(date +%s)
echo "release build: $((mid - start)) s; again (cached): $((end - mid)) s"

for arch in amd64 arm64; do
  archive="dockguard_${version}_linux_$arch.tar.gz"
  [ -s "$tmp/a/$archive" ] || fail "$archive missing"
  mkdir -p "$tmp/x/$arch"
  tar -xzf "$tmp/a/$archive" -C "$tmp/x/$arch"
  cmp -s "$tmp/x/$arch/dockguard_${version}_linux_$arch/dockguard" "$tmp/a/linux_$arch/dockguard" \
    || fail "$archive does not hold linux_$arch/dockguard"
done
[ "$(wc -l < "$tmp/a/SHA256SUMS")" -eq 2 ] || fail "SHA256SUMS should list the two archives"
(cd "$tmp/a" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match"
cmp -s "$tmp/a/SHA256SUMS" "$tmp/b/SHA256SUMS" || fail "two builds of the same tree differ: $(diff "$tmp/a/SHA256SUMS" "$tmp/b/SHA256SUMS")"
for arch in amd64 arm64; do
  cmp -s "$tmp/a/linux_$arch/dockguard" "$tmp/b/linux_$arch/dockguard" || fail "two builds of linux_$arch/dockguard differ"
done

got="$("$tmp/a/linux_amd64/dockguard" version)"
want="dockguard $version (commit $commit)"
[ "$got" = "$want" ] || fail "amd64 binary says '$got', want '$want'"

# ELF header: magic, EI_CLASS 2 (64-bit), EI_DATA 1 (little-endian),
# e_type 2 (EXEC), e_machine 0xb7 (EM_AARCH64).
hdr="$(od -An -tx1 -N20 "$tmp/a/linux_arm64/dockguard" | tr -d ' \n')"
[ "${hdr:0:8}" = "7f454c46" ] || fail "linux_arm64/dockguard is not an ELF file"
[ "${hdr:8:4}" = "0201" ] || fail "linux_arm64/dockguard is not a 64-bit little-endian ELF ($hdr)"
[ "${hdr:32:8}" = "0200b700" ] || fail "linux_arm64/dockguard is not an aarch64 executable ($hdr)"
if LC_ALL=C grep -aq 'ld-linux-aarch64' "$tmp/a/linux_arm64/dockguard"; then
  fail "linux_arm64/dockguard names a dynamic loader: not static"
fi
for arch in amd64 arm64; do
  echo "  linux_$arch/dockguard: $(wc -c < "$tmp/a/linux_$arch/dockguard") bytes"
done
echo "release check: ok ($want; archives reproducible; arm64 is aarch64 ELF)"
