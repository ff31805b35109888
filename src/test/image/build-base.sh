#!/usr/bin/env bash
# Builds the local base image for the project image once, from Debian's packages only (tests
# cannot pull a base image from the internet): Debian bookworm minbase + openjdk-17-jre-headless,
# trimmed, as an OCI image layout in $BASE_DIR/oci (tag "base"). Idempotent: reuses the cache.
# Usage (as root): build-base.sh   -> prints the OCI layout reference, e.g. oci:/var/cache/...:base
set -euo pipefail
BASE_DIR=${REGISTRY_CACHE_BASE_DIR:-/var/cache/registry-cache/base}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "[$(date +%T)] $*" >&2; }
[[ $(id -u) == 0 ]] || { echo "build-base.sh: run as root" >&2; exit 1; }
if [[ -f $BASE_DIR/oci/index.json && -f $BASE_DIR/done ]]; then
  echo "oci:$BASE_DIR/oci:base"; exit 0
fi
need=()
for c in debootstrap umoci; do command -v "$c" >/dev/null || need+=("$c"); done
if (( ${#need[@]} )); then
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq
  timeout 900 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
rm -rf "$BASE_DIR"; mkdir -p "$BASE_DIR"
t0=$SECONDS
log "debootstrap bookworm minbase + openjdk-17-jre-headless"
timeout 1500 debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates \
  bookworm "$BASE_DIR/rootfs" "$MIRROR" >"$BASE_DIR/debootstrap.log" 2>&1 \
  || { tail -30 "$BASE_DIR/debootstrap.log" >&2; exit 1; }
log "trimming ($((SECONDS - t0)) s so far)"
rm -rf "$BASE_DIR"/rootfs/var/lib/apt/lists/* "$BASE_DIR"/rootfs/var/cache/apt/* \
  "$BASE_DIR"/rootfs/usr/share/doc/* "$BASE_DIR"/rootfs/usr/share/man/* "$BASE_DIR"/rootfs/usr/share/info/* \
  "$BASE_DIR"/rootfs/var/log/*.log "$BASE_DIR"/rootfs/usr/share/locale/*
mountpoint -q "$BASE_DIR/rootfs/proc" && umount "$BASE_DIR/rootfs/proc" || true
log "packing it as an OCI image"
umoci init --layout "$BASE_DIR/oci"
umoci new --image "$BASE_DIR/oci:base"
umoci unpack --image "$BASE_DIR/oci:base" "$BASE_DIR/bundle" >/dev/null
rm -rf "$BASE_DIR/bundle/rootfs"
mv "$BASE_DIR/rootfs" "$BASE_DIR/bundle/rootfs"
umoci repack --image "$BASE_DIR/oci:base" "$BASE_DIR/bundle"
umoci config --image "$BASE_DIR/oci:base" --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --config.env "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64" --os linux --architecture amd64
rm -rf "$BASE_DIR/bundle"
touch "$BASE_DIR/done"
log "base image ready in $((SECONDS - t0)) s: $(du -sh "$BASE_DIR/oci" | cut -f1)"
echo "oci:$BASE_DIR/oci:base"
