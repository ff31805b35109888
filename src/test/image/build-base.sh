#!/usr/bin/env bash
# Builds the local base image for the project image once, from Debian's packages only (tests
# cannot pull a base image from the internet): Debian bookworm minbase + openjdk-17-jre-headless,
# trimmed, as an OCI image layout in $BASE_DIR/oci (tag "base"). Idempotent: reuses the cache.
# Concurrent runs wait for each other (flock); the layout is built beside the cache and moved
# into place only when complete, so a reader never sees half an image. FORCE=1 rebuilds.
# Usage (as root): build-base.sh   -> prints the OCI layout reference, e.g. oci:/var/cache/...:base
set -euo pipefail
BASE_DIR=${REGISTRY_CACHE_BASE_DIR:-/var/cache/registry-cache/base}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "[$(date +%T)] $*" >&2; }
[[ $(id -u) == 0 ]] || { echo "build-base.sh: run as root" >&2; exit 1; }
mkdir -p "$(dirname "$BASE_DIR")"
exec 9>"$BASE_DIR.lock"
flock -w 1800 9 || { echo "build-base.sh: another build of $BASE_DIR holds $BASE_DIR.lock" >&2; exit 1; }
if [[ ${FORCE:-0} != 1 && -f $BASE_DIR/oci/index.json && -f $BASE_DIR/done ]]; then
  echo "oci:$BASE_DIR/oci:base"; exit 0
fi
need=()
for c in debootstrap umoci; do command -v "$c" >/dev/null || need+=("$c"); done
if (( ${#need[@]} )); then
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq
  timeout 900 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NEW=$BASE_DIR.new
cleanup() { mountpoint -q "$NEW/rootfs/proc" && umount "$NEW/rootfs/proc"; rm -rf "$NEW"; }
trap cleanup EXIT
cleanup
mkdir -p "$NEW"
t0=$SECONDS
log "debootstrap bookworm minbase + openjdk-17-jre-headless"
timeout 1500 debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates \
  bookworm "$NEW/rootfs" "$MIRROR" >"$NEW/debootstrap.log" 2>&1 \
  || { tail -30 "$NEW/debootstrap.log" >&2; exit 1; }
log "trimming ($((SECONDS - t0)) s so far)"
rm -rf "$NEW"/rootfs/var/lib/apt/lists/* "$NEW"/rootfs/var/cache/apt/* \
  "$NEW"/rootfs/usr/share/doc/* "$NEW"/rootfs/usr/share/man/* "$NEW"/rootfs/usr/share/info/* \
  "$NEW"/rootfs/var/log/*.log "$NEW"/rootfs/usr/share/locale/*
mountpoint -q "$NEW/rootfs/proc" && umount "$NEW/rootfs/proc" || true
log "packing it as an OCI image"
umoci init --layout "$NEW/oci"
umoci new --image "$NEW/oci:base"
umoci unpack --image "$NEW/oci:base" "$NEW/bundle" >/dev/null
rm -rf "$NEW/bundle/rootfs"
mv "$NEW/rootfs" "$NEW/bundle/rootfs"
umoci repack --image "$NEW/oci:base" "$NEW/bundle"
umoci config --image "$NEW/oci:base" --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --config.env "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64" --os linux --architecture amd64
rm -rf "$NEW/bundle"
touch "$NEW/done"
# swap: the old layout (if any) goes away only after the new one is in place
if [[ -d $BASE_DIR ]]; then mv "$BASE_DIR" "$BASE_DIR.old.$$"; fi
mv "$NEW" "$BASE_DIR"
rm -rf "$BASE_DIR.old.$$"
log "base image ready in $((SECONDS - t0)) s: $(du -sh "$BASE_DIR/oci" | cut -f1)"
echo "oci:$BASE_DIR/oci:base"
