#!/usr/bin/env bash
# Smoke test of the project image without Docker and without the internet:
#   1. the local Debian base (build-base.sh, cached under /var/cache/registry-cache/base)
#   2. pushed with skopeo into a private docker-registry (the e2e kit's start-registry.sh)
#   3. the project image built onto it with Jib (mvn -Pimage compile jib:build)
#   4. its config checked (user 65532, ports, entrypoint flags, OCI labels)
#   5. pulled with skopeo, unpacked with umoci into a runtime bundle, and run with runc:
#      read-only root, a tmpfs /tmp, no capabilities, host network, the image's own user and
#      entrypoint. --help of the main command, cache and operator; the JVM flags under a
#      512 MiB memory limit; then `cache` on 127.0.0.1 mirroring docker.io from the private
#      registry: /v2/, /readyz, the project image pulled through it with skopeo, the registry
#      stopped, the image pulled again (from the container's disk), SIGTERM.
# Prints one PASS/FAIL line per check, timings, and "N passed, M failed"; exits 1 on any failure.
#
# Usage (as root, after `mvn compile` is possible offline or online): src/test/image/image-smoke.sh
#   IMAGE_SMOKE_PORT   private registry port (default 15080; the cache uses +1, its admin +2)
#   IMAGE_SMOKE_STATE  state directory (default target/image-smoke); KEEP=1 keeps the bundle
#   E2E_DIR            the e2e kit (default ../shared/e2e next to the repository)
#   MVN_ARGS           extra Maven arguments (e.g. -o)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
: "${E2E_DIR:=$ROOT/../shared/e2e}"
E2E_DIR="$(cd "$E2E_DIR" && pwd)"
STATE="${IMAGE_SMOKE_STATE:-$ROOT/target/image-smoke}"
export E2E_STATE_DIR="$STATE/kit"
source "$E2E_DIR/lib.sh"

PORT="${IMAGE_SMOKE_PORT:-15080}"
CACHE_PORT=$((PORT + 1)) ADMIN_PORT=$((PORT + 2))
REG="127.0.0.1:$PORT"
BASE_REF="$REG/smoke/base:17"
IMAGE="$REG/smoke/registry-cache:test"
[[ $(id -u) == 0 ]] || die "runs as root (runc, umoci, the base image's debootstrap)"
for c in docker-registry skopeo umoci runc jq curl mvn; do
  command -v "$c" >/dev/null || die "$c is missing (apt-get install docker-registry skopeo umoci runc jq curl maven)"
done
assert_port_free cache "$CACHE_PORT"
assert_port_free admin "$ADMIN_PORT"

RUNC_ROOT="$STATE/runc"
ID="smoke-$$"
containers=()
runc_() { runc --root "$RUNC_ROOT" "$@"; }
cleanup() {
  local c
  for c in "${containers[@]}"; do runc_ delete -f "$c" >/dev/null 2>&1 || true; done
  "$E2E_DIR/stop.sh" image-smoke >/dev/null 2>&1 || true
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$STATE/bundle" "$STATE/oci" "$STATE/through-1" "$STATE/through-2" "$E2E_STATE_DIR/registries"
}
trap cleanup EXIT
rm -rf "$STATE/bundle" "$STATE/oci" "$STATE/run" "$STATE/through-1" "$STATE/through-2"
mkdir -p "$STATE/run" "$RUNC_ROOT"

pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
timings=()
t_start=0
step() { t_start=$(now_ms); log "$*"; }
took() { timings+=("$(printf '%-44s %6d ms' "$1" $(($(now_ms) - t_start)))"); }

step "base image (built once, then cached)"
base=$(timeout 1800 bash "$ROOT/src/test/image/build-base.sh")
took "base image (build-base.sh)"

step "private registry on $REG"
"$E2E_DIR/start-registry.sh" image-smoke "$PORT" plain >/dev/null
took "start docker-registry"

step "push the base to $BASE_REF"
skopeo copy --quiet --dest-tls-verify=false "$base" "docker://$BASE_REF"
took "push base (skopeo copy)"

step "build the project image onto it with Jib: $IMAGE"
# shellcheck disable=SC2086  # MVN_ARGS is a list of arguments
if ! (cd "$ROOT" && timeout 900 mvn -B -q ${MVN_ARGS:-} -Pimage compile jib:build -Dimage.base="$BASE_REF" \
    -Dimage.name="$IMAGE" -Djib.allowInsecureRegistries=true) >"$STATE/jib.log" 2>&1; then
  tail -30 "$STATE/jib.log" >&2
  die "jib:build failed (log: $STATE/jib.log)"
fi
took "jib:build (compile + image + push)"

step "image config"
cfg=$(skopeo inspect --tls-verify=false --config "docker://$IMAGE")
jqc() { jq -e "$1" >/dev/null <<<"$cfg"; }
check "runs as user 65532:65532 by default" jqc '.config.User == "65532:65532"'
check "exposes 5000/tcp and 5001/tcp" jqc '.config.ExposedPorts | has("5000/tcp") and has("5001/tcp")'
check "entrypoint: java ... dev.registrycache.Main" jqc '.config.Entrypoint[0] == "java" and .config.Entrypoint[-1] == "dev.registrycache.Main"'
check "entrypoint: container JVM flags" jqc '.config.Entrypoint | index("-XX:+ExitOnOutOfMemoryError") and index("-Duser.home=/tmp")'
check "OCI labels title and version" jqc '.config.Labels["org.opencontainers.image.title"] == "registry-cache" and (.config.Labels["org.opencontainers.image.version"] | length > 0)'
check "linux/amd64" jqc '.os == "linux" and .architecture == "amd64"'

step "pull and unpack the image (skopeo, umoci)"
skopeo copy --quiet --src-tls-verify=false "docker://$IMAGE" "oci:$STATE/oci:test"
umoci unpack --image "$STATE/oci:test" "$STATE/bundle" >/dev/null
took "pull + unpack (skopeo copy, umoci unpack)"

# config.json for one run: the image's own entrypoint, user and env plus ARGS; read-only root,
# tmpfs /tmp, no capabilities, the host's network namespace. JQ_EXTRA edits it further.
make_bundle() {
  local name="$1"; shift
  mkdir -p "$STATE/run/$name"
  local args; args=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
  jq --arg root "$STATE/bundle/rootfs" --argjson args "$args" '
      .root = {path: $root, readonly: true}
    | .process.terminal = false
    | .process.args += $args
    | .process.capabilities = {bounding: [], effective: [], inheritable: [], permitted: [], ambient: []}
    | .linux.namespaces |= map(select(.type != "network"))
    | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
                   options: ["nosuid", "nodev", "mode=1777", "size=2g"]}]
    | '"${JQ_EXTRA:-.}" "$STATE/bundle/config.json" >"$STATE/run/$name/config.json"
  echo "$STATE/run/$name"
}
# run_once NAME ARGS... -> runs the container in the foreground (60 s at most); output in run/NAME.out/.err
run_once() {
  local name="$1"; shift
  local b; b=$(make_bundle "$name" "$@")
  containers+=("$ID-$name")
  timeout 60 runc --root "$RUNC_ROOT" run -b "$b" "$ID-$name" >"$b.out" 2>"$b.err" </dev/null
}
out_has() { grep -Eq -- "$2" "$STATE/run/$1.out"; }
# wait_ok URL -> until URL answers 2xx, at most 60 s
wait_ok() {
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null --max-time 2 "$1"; do (( SECONDS < deadline )) || return 1; sleep 0.2; done
}

step "one-shot commands in the container"
check "--help exits 0" run_once help --help
check "--help lists cache" out_has help '^  cache '
check "--help lists operator" out_has help '^  operator '
check "cache --help exits 0" run_once cache-help cache --help
check "cache --help describes --listen" out_has cache-help '--listen'
check "operator --help exits 0" run_once operator-help operator --help
check "operator --help is the operator's" out_has operator-help '^Usage: registry-cache operator'
check "--version exits 0" run_once version --version
check "--version prints the version" out_has version '^registry-cache [0-9]'
took "four one-shot runs"
# as the cache pods run it: the heap a quarter of the memory limit (DaemonSetModel.JVM_OPTIONS)
JQ_EXTRA='.process.env += ["JDK_JAVA_OPTIONS=-XX:MaxRAMPercentage=25 -XX:+PrintFlagsFinal"] | .linux.resources.memory = {limit: 536870912}' \
  run_once flags --version || bad "--version under a 512 MiB memory limit"
heap=$(awk '$2 == "MaxHeapSize" {print $4}' "$STATE/run/flags.out")
check "heap is 25% of a 512 MiB limit (MaxHeapSize=${heap:-none})" test "${heap:-0}" -eq 134217728
check "ExitOnOutOfMemoryError is on" grep -Eq 'ExitOnOutOfMemoryError += true' "$STATE/run/flags.out"

step "cache in the container on 127.0.0.1:$CACHE_PORT (admin $ADMIN_PORT), docker.io -> $REG"
b=$(make_bundle cache cache --listen "127.0.0.1:$CACHE_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
  --registry "docker.io=http://$REG")
containers+=("$ID-cache")
runc_ run -d -b "$b" "$ID-cache" >"$b.log" 2>&1 </dev/null
pid=$(runc_ state "$ID-cache" | jq -r .pid)
if wait_ok "http://127.0.0.1:$ADMIN_PORT/readyz"; then
  ok "/readyz answers 200"
else
  bad "/readyz did not answer 200 within 60 s"; tail -20 "$b.log" >&2
fi
took "cache start until /readyz"
# the default registries have no credentials: the ping asks for the client's (private content needs them)
check "/v2/ answers 401 with a Basic challenge" test "$(curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}' \
  "http://127.0.0.1:$CACHE_PORT/v2/")" = '401 Basic realm="registry-cache", charset="UTF-8"'
check "/v2/ with credentials answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' -u any:thing \
  "http://127.0.0.1:$CACHE_PORT/v2/")" = 200
check "the process runs as uid 65532" grep -Eq '^Uid:\s+65532\s+65532' "/proc/$pid/status"
check "the process has no capabilities" grep -Eq '^CapEff:\s+0+$' "/proc/$pid/status"
check "default storage is under /tmp" grep -q "storage=/tmp/.cache/registry-cache" "$b.log"

step "pull the project image through the cache"
skopeo inspect --tls-verify=false --raw "docker://$IMAGE" >"$STATE/manifest.json"
digest=$(sha256sum <"$STATE/manifest.json" | cut -d' ' -f1)
blobs=$(jq '.layers | length + 1' "$STATE/manifest.json")
through() {
  skopeo copy --quiet --src-tls-verify=false "docker://127.0.0.1:$CACHE_PORT/smoke/registry-cache:test" \
    "dir:$STATE/$1" && test "$(sha256sum <"$STATE/$1/manifest.json" | cut -d' ' -f1)" = "$digest"
}
check "skopeo pull through the cache (manifest sha256:${digest:0:12})" through through-1
took "pull through the cache, cold"
"$E2E_DIR/stop.sh" image-smoke >/dev/null 2>&1
step "pull again with the registry stopped"
check "second pull is served from the container's disk" through through-2
took "pull through the cache, upstream down"
hits=$( (curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" || true) \
  | awk '/^registry_cache_lookups_total\{/ && /kind="blob"/ && /result="hit"/ {s += $2} END {print s + 0}')
check "metrics count a blob hit for each of the $blobs blobs ($hits)" test "${hits%.*}" -ge "$blobs"

step "SIGTERM"
runc_ kill "$ID-cache" TERM || true
stopped() { local deadline=$((SECONDS + 30)); until [[ $(runc_ state "$ID-cache" | jq -r .status) == stopped ]]; do
    (( SECONDS < deadline )) || return 1; sleep 0.2; done; }
check "stops within 30 s of SIGTERM" stopped
took "stop (SIGTERM until exited)"
check "logs a clean shutdown" grep -q "registry-cache stopped" "$b.log"
check "no ERROR or exception in the cache's log" bash -c "! grep -E ' ERROR |Exception' '$b.log'"

echo "timings:"
printf '  %s\n' "${timings[@]}"
echo "$pass passed, $fail failed"
(( fail == 0 ))
