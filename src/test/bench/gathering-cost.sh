#!/usr/bin/env bash
# What gathering the caches' counters costs the operator, with N caches as separate processes,
# one loopback address each (127.0.1.1, 127.0.1.2, ...), metrics plain on port 25002:
#   mvn -B -q package -DskipTests && bash src/test/bench/gathering-cost.sh 100
# Starts the caches, runs GatheringCost (a round = every cache read once), stops them (by PID).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
N=${1:-50}
ROUNDS=${ROUNDS:-5}
JAR=${JAR:-target/registry-cache.jar}
WORK=$(mktemp -d /tmp/gathering-cost.XXXXXX)
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do timeout 30 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap stop EXIT
: >"$WORK/caches"
# one local upstream for every registry (nothing leaves the machine): a blob, served by Python
mkdir -p "$WORK/up/v2/library/app/blobs"
head -c 200000 /dev/urandom >"$WORK/blob"
DIGEST=sha256:$(sha256sum "$WORK/blob" | cut -d' ' -f1)
mv "$WORK/blob" "$WORK/up/v2/library/app/blobs/$DIGEST"
(cd "$WORK/up" && exec python3 -m http.server 25080 --bind 127.0.1.254 >/dev/null 2>&1) &
pids+=($!)
UP=http://127.0.1.254:25080
REGISTRIES=(docker.io quay.io registry.k8s.io k8s.gcr.io ghcr.io gcr.io mcr.microsoft.com registry.gitlab.com)
ready() {
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.1.$1:25001/readyz" >/dev/null && return 0
    sleep 1
  done
  echo "cache $1 did not start:"; tail -5 "$WORK/$1.log"; return 1
}
for i in $(seq 1 "$N"); do
  ip=127.0.1.$i
  REGISTRY_CACHE_METRICS_SECURE=false java -Xmx32m -Xss256k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -XX:CICompilerCount=1 -XX:ActiveProcessorCount=1 -jar "$JAR" cache --listen "$ip:25000" \
    --admin-listen "$ip:25001" --metrics-listen "$ip:25002" --storage "$WORK/$i" --max-size 1GiB \
    $(for r in "${REGISTRIES[@]}"; do printf -- '--registry %s=%s ' "$r" "$UP"; done) \
    >"$WORK/$i.log" 2>&1 &
  pids+=($!)
  echo "$ip $!" >>"$WORK/caches"
  # ten at a time: a hundred JVMs starting at once would starve everything else on two cores
  if (( i % 10 == 0 || i == N )); then
    for j in $(seq $(( (i - 1) / 10 * 10 + 1 )) "$i"); do ready "$j"; done
  fi
done
# some traffic, so that each cache counts what a node does: a miss and hits for three registries
for i in $(seq 1 "$N"); do
  for r in docker.io quay.io registry.k8s.io; do
    for _ in 1 2 3; do
      curl -sf -o /dev/null "http://127.0.1.$i:25000/v2/library/app/blobs/$DIGEST?ns=$r" || { echo "pull via cache $i failed"; exit 1; }
    done
  done
done
rss=0; for p in "${pids[@]:1}"; do rss=$((rss + $(awk '/VmRSS/{print $2}' /proc/$p/status))); done
echo "$N caches ready, $((rss / 1024)) MiB resident in all"
CLASSES=${CLASSES:-target}
CP=${CP:-$(mvn -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)}
java -cp "$CLASSES/classes:$CLASSES/test-classes:$CP" dev.registrycache.bench.GatheringCost "$WORK/caches" 25002 "$ROUNDS"
