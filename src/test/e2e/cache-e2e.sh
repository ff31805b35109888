#!/usr/bin/env bash
# End-to-end test of the cache with real clients (skopeo, containerd, podman) and real
# upstream registries (CNCF distribution), using the shared e2e kit.
#
# Usage: src/test/e2e/cache-e2e.sh            (after `mvn package`; needs root for containerd/podman)
#   E2E_DIR        the kit (default: ../shared/e2e next to the repository)
#   E2E_STATE_DIR  kit state (default: target/e2e-state)
#   CACHE_PORT     the cache's port (default 15070; admin port = CACHE_PORT + 1)
#   E2E_*_PORT     the kit's ports (see the kit's lib.sh)
#
# One cache mirrors four registries, each backed by a kit upstream:
#   quay.io   -> token-auth upstream (credentials in the config)
#   ghcr.io   -> htpasswd (Basic) upstream
#   docker.io -> anonymous upstream
#   private.example -> the same htpasswd upstream without credentials in the config: its
#             images are private, served only to clients whose own credentials it accepts
# Passes, every one through the kit's run-e2e.sh (3 clients x 7 images, full set):
#   1 quay.io via path prefix      cold: every blob comes through the token flow
#   2 ghcr.io via path prefix      Basic auth; blobs already cached (content-addressed)
#   3 docker.io host-style/ns=     manifests cold
#   4 docker.io host-style again   must not reach any upstream (checked in the metrics)
#   5 docker.io via path prefix    must not reach any upstream either
# then the kit's mirror-checks.sh (HEAD/Range/resume), node-runtimes.sh (the node writers'
# files with real ctr/skopeo/podman through this cache), the cache's own node lifecycle
# (--configure-node, SIGTERM, SIGKILL + cleanup, node compared byte for byte), and the
# cache's log for errors.
# Ends with "N passed, M failed"; exits 1 on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
: "${E2E_DIR:=$ROOT/../shared/e2e}"
E2E_DIR="$(cd "$E2E_DIR" && pwd)"
: "${E2E_STATE_DIR:=$ROOT/target/e2e-state}"
export E2E_STATE_DIR
source "$E2E_DIR/lib.sh"

CACHE_PORT="${CACHE_PORT:-15070}"
ADMIN_PORT=$((CACHE_PORT + 1))
JAR="$ROOT/target/registry-cache.jar"
[[ -f "$JAR" ]] || die "$JAR missing: run mvn package first"
work="$E2E_STATE_DIR/cache-e2e"
rm -rf "$work"; mkdir -p "$work"
cache_pid=""

stop_cache() {
  if [[ -n "$cache_pid" ]] && kill -0 "$cache_pid" 2>/dev/null; then
    kill -TERM "$cache_pid"
    for _ in $(seq 1 100); do kill -0 "$cache_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$cache_pid" 2>/dev/null && kill -KILL "$cache_pid"
  fi
  cache_pid=""
}
cleanup() { stop_cache; "$E2E_DIR/stop-all.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT

pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

log "starting upstreams and pushing the test images"
"$E2E_DIR/start-upstream.sh" --auth
"$E2E_DIR/make-images.sh" --set full "127.0.0.1:$E2E_UPSTREAM_PORT" \
  "127.0.0.1:$E2E_UPSTREAM_TOKEN_PORT=$E2E_USER:$E2E_PASSWORD" \
  "127.0.0.1:$E2E_UPSTREAM_BASIC_PORT=$E2E_USER:$E2E_PASSWORD" >/dev/null

cat >"$work/config.yaml" <<YAML
listen: 127.0.0.1:$CACHE_PORT
adminListen: 127.0.0.1:$ADMIN_PORT
storage:
  path: $work/storage
  maxSize: 2GiB
  minFreeSpace: 100MiB
registries:
  - name: docker.io
    url: http://127.0.0.1:$E2E_UPSTREAM_PORT
  - name: quay.io
    url: http://127.0.0.1:$E2E_UPSTREAM_TOKEN_PORT
    username: $E2E_USER
    password: $E2E_PASSWORD
  - name: ghcr.io
    url: http://127.0.0.1:$E2E_UPSTREAM_BASIC_PORT
    username: $E2E_USER
    passwordFile: $work/basic-password
  - name: private.example
    url: http://127.0.0.1:$E2E_UPSTREAM_BASIC_PORT
YAML
printf '%s\n' "$E2E_PASSWORD" >"$work/basic-password"

log "starting the cache on 127.0.0.1:$CACHE_PORT"
java -Xmx128m -jar "$JAR" cache --config "$work/config.yaml" >"$work/cache.log" 2>&1 &
cache_pid=$!
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$ADMIN_PORT/readyz"; do
  kill -0 "$cache_pid" 2>/dev/null || { cat "$work/cache.log"; die "cache exited"; }
  (( SECONDS < deadline )) || die "cache not ready within 60 s"
  sleep 0.2
done

# upstream requests the cache has made so far (all registries, all statuses)
upstream_requests() {
  curl -sf --max-time 10 "http://127.0.0.1:$ADMIN_PORT/metrics" |
    awk '/^registry_cache_upstream_request_duration_seconds_count/ {s += $NF} END {printf "%d\n", s}'
}

e2e_pass() {  # e2e_pass LABEL MIRROR [EXPECT_NO_UPSTREAM] [CLIENTS]
  local label="$1" mirror="$2" quiet="${3:-}" clients=() before after out
  [[ -n "${4:-}" ]] && clients=(--clients "$4")
  before=$(upstream_requests)
  if out="$("$E2E_DIR/run-e2e.sh" --mirror "$mirror" --set full --keep-running "${clients[@]}" 2>&1)"; then
    ok "$label: $(tail -1 <<<"$out")"
  else
    echo "$out" | grep -E '^(OK|FAIL) ' || true
    bad "$label: $(tail -1 <<<"$out")"
  fi
  echo "$out" >"$work/run-$(tr -c 'a-z0-9' '-' <<<"$label").log"
  after=$(upstream_requests)
  if [[ -n "$quiet" ]]; then
    if [[ "$after" == "$before" ]]; then ok "$label: served without any upstream request"
    else bad "$label: $((after - before)) upstream request(s) for content already cached"; fi
  else
    echo "     ($((after - before)) upstream requests)"
  fi
}

# containerd names the image's registry with ?ns= (docker.io for these images), and ns= decides:
# a quay.io or ghcr.io prefix in front of docker.io images is for the containers/image clients,
# which send no ns=. containerd's passes are the docker.io ones below.
e2e_pass "quay.io (token upstream) via path prefix, cold" "127.0.0.1:$CACHE_PORT/quay.io" "" skopeo,podman
e2e_pass "ghcr.io (basic-auth upstream) via path prefix" "127.0.0.1:$CACHE_PORT/ghcr.io" "" skopeo,podman
e2e_pass "docker.io host-style (ns=)" "127.0.0.1:$CACHE_PORT"
e2e_pass "docker.io host-style, second run" "127.0.0.1:$CACHE_PORT" quiet
e2e_pass "docker.io via path prefix, warm" "127.0.0.1:$CACHE_PORT/docker.io" quiet

# private content: an image only the Basic upstream has, pulled by real clients with their
# own credentials (skopeo and podman from an auth.json for the mirror, ctr with --user), and
# refused to the same clients without them or with a wrong password
private_content() {
  local img="$work/private-image" ref=private.example/team/private:v1 out before after c
  python3 "$E2E_DIR/mkimage.py" --out "$img" --tag v1 --layers 64K,2M --seed "private-$$-$RANDOM" \
    --layout oci >/dev/null
  skopeo copy --quiet --dest-tls-verify=false --dest-creds "$E2E_USER:$E2E_PASSWORD" "oci:$img:v1" \
    "docker://127.0.0.1:$E2E_UPSTREAM_BASIC_PORT/team/private:v1"
  fetched() { curl -sf --max-time 10 "http://127.0.0.1:$ADMIN_PORT/metrics" |
    awk '/^registry_cache_upstream_fetched_bytes_total\{registry="private.example"/ {s += $NF} END {printf "%d\n", s}'; }
  # containerd names the registry with ns= (host-style); skopeo and podman need the path prefix
  pull() {  # pull CLIENT [--creds USER:PASS]
    local c=$1; shift
    if [[ $c == containerd ]]; then "$E2E_DIR/pull-with-containerd.sh" "$@" "127.0.0.1:$CACHE_PORT" "$ref"
    else "$E2E_DIR/pull-with-$c.sh" "$@" "127.0.0.1:$CACHE_PORT/private.example" "$ref"; fi
  }
  for c in skopeo podman containerd; do
    if out=$(pull "$c" 2>&1); then bad "private content: $c without credentials got the image: $out"
    else ok "private content: $c without credentials is refused"; fi
    if out=$(pull "$c" --creds "$E2E_USER:wrong" 2>&1); then bad "private content: $c with a wrong password got it: $out"
    else ok "private content: $c with a wrong password is refused"; fi
  done
  for c in skopeo podman containerd; do
    before=$(fetched)
    if out=$(pull "$c" --creds "$E2E_USER:$E2E_PASSWORD" 2>&1); then
      ok "private content: $c with its credentials: $(tail -1 <<<"$out")"
    else bad "private content: $c with its credentials: $out"; fi
    after=$(fetched)
    if [[ $c == skopeo ]]; then
      if (( after > before )); then ok "private content: the first pull fetched $((after - before)) bytes upstream"
      else bad "private content: the first pull fetched nothing upstream"; fi
    elif [[ $after == "$before" ]]; then ok "private content: $c was served from the cache's disk"
    else bad "private content: $c made the cache fetch $((after - before)) bytes again"; fi
  done
  for c in skopeo podman containerd; do  # cached now: still nothing without credentials
    if out=$(pull "$c" 2>&1); then bad "private content: $c without credentials got the cached image: $out"
    else ok "private content: $c without credentials is refused the cached image too"; fi
  done
  if grep -q -- "$E2E_PASSWORD" "$work/cache.log"; then bad "private content: a password is in the cache's log"
  else ok "private content: no password in the cache's log"; fi
}
private_content

if out="$("$E2E_DIR/mirror-checks.sh" --strict-range "127.0.0.1:$CACHE_PORT" docker.io/library/e2e-large:v1 2>&1)"; then
  ok "mirror-checks: $(tail -1 <<<"$out")"
else
  echo "$out"; bad "mirror-checks: $(tail -1 <<<"$out")"
fi

catalog=$(curl -sf --max-time 10 "http://127.0.0.1:$CACHE_PORT/v2/_catalog")
for repo in docker.io/library/e2e-large quay.io/library/e2e-multi ghcr.io/e2e-org/e2e-app; do
  if jq -e --arg r "$repo" '.repositories | index($r)' <<<"$catalog" >/dev/null; then ok "catalog lists $repo"
  else bad "catalog lacks $repo: $catalog"; fi
done
if jq -e '.repositories | index("private.example/team/private")' <<<"$catalog" >/dev/null; then
  bad "the catalog names a private repository: $catalog"
else ok "the catalog does not name the private repository"; fi

# node configuration with real runtimes: the writers' files handed to ctr, skopeo and podman
if out="$(E2E_DIR="$E2E_DIR" "$ROOT/src/test/e2e/node-runtimes.sh" "127.0.0.1:$CACHE_PORT" 2>&1)"; then
  ok "node-runtimes against the cache: $(tail -1 <<<"$out")"
else
  echo "$out"; bad "node-runtimes against the cache: $(tail -1 <<<"$out")"
fi

# the cache's own node lifecycle: entries only once it answers, removed on SIGTERM, left by
# SIGKILL and removed by `cleanup`; the node's files byte for byte as before
node_lifecycle() {
  local host="$work/host" port=$((CACHE_PORT + 2)) pid snap="$work/host-before.txt"
  mkdir -p "$host/etc/containerd/certs.d/docker.io" "$host/etc/containers/registries.conf.d"
  printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n' \
    >"$host/etc/containerd/config.toml"
  printf 'server = "https://registry-1.docker.io"\n\n[host."https://mirror.corp.example"]\n  capabilities = ["pull"]\n' \
    >"$host/etc/containerd/certs.d/docker.io/hosts.toml"
  printf '[[registry]]\nprefix = "example.com"\nlocation = "example.com"\n' >"$host/etc/containers/registries.conf.d/10-admin.conf"
  # names, modes, file sizes, mtimes and contents (directory mtimes change with any entry)
  snapshot() { (cd "$host" && find . -type d -print0 | sort -z | xargs -0 stat -c '%n %a' \
    && find . -type f -print0 | sort -z | xargs -0 stat -c '%n %s %a %Y' \
    && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
  snapshot >"$snap"
  for mode in TERM KILL; do
    java -Xmx64m -jar "$JAR" cache --config "$work/config.yaml" --listen "127.0.0.1:$port" \
      --admin-listen "127.0.0.1:$((port + 1))" --storage "$work/storage2" --no-access-log \
      --configure-node --host-root "$host" >"$work/node-$mode.log" 2>&1 &
    pid=$!
    # ready means "serves"; /status says when the node's entries are in place
    local deadline=$((SECONDS + 60))
    until curl -sf --max-time 2 "http://127.0.0.1:$((port + 1))/status" | grep -q 'mirror entries in place'; do
      (( SECONDS < deadline )) && kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if grep -q '127.0.0.1:'"$port" "$host/etc/containerd/certs.d/docker.io/hosts.toml" \
        && grep -q 'mirror.corp.example' "$host/etc/containerd/certs.d/docker.io/hosts.toml" \
        && grep -q "127.0.0.1:$port/quay.io" "$host/etc/containers/registries.conf.d/50-registry-cache.conf"; then
      ok "node lifecycle ($mode): entries written once the cache serves, admin's host kept"
    else
      bad "node lifecycle ($mode): entries missing"; cat "$work/node-$mode.log"
    fi
    kill "-$mode" "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if [[ $mode == KILL ]]; then
      grep -q "127.0.0.1:$port" "$host/etc/containerd/certs.d/docker.io/hosts.toml" \
        && ok "node lifecycle (KILL): entries left behind as expected" || bad "node lifecycle (KILL): entries vanished"
      java -jar "$JAR" cleanup --host-root "$host" >"$work/cleanup.log" 2>&1 || { cat "$work/cleanup.log"; bad "cleanup exited non-zero"; }
    fi
    if diff <(snapshot) "$snap" >"$work/node-diff-$mode.txt"; then
      ok "node lifecycle ($mode): node byte for byte as before"
    else
      bad "node lifecycle ($mode): node differs from before:"; cat "$work/node-diff-$mode.txt"
    fi
  done
}
node_lifecycle

if grep -E 'Exception|ERROR' "$work/cache.log" | grep -v 'ERROR: ' >/dev/null; then
  grep -E 'Exception|ERROR' "$work/cache.log" | head -20
  bad "the cache logged errors (see $work/cache.log)"
else
  ok "no exceptions in the cache log"
fi

stop_cache
if grep -q 'registry-cache stopped' "$work/cache.log"; then ok "cache stopped cleanly on SIGTERM"
else bad "no clean shutdown in $work/cache.log"; fi

echo "cache-e2e: $pass passed, $fail failed"
[[ $fail == 0 ]]
