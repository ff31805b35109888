#!/usr/bin/env bash
# Real-runtime check of the node mirror configuration: the files registry-cache's writers produce
# are handed to real clients from the e2e kit (containerd's ctr, skopeo, podman).
#
# Usage: src/test/e2e/node-runtimes.sh MIRROR_HOST:PORT
#   MIRROR_HOST:PORT  a running mirror on loopback that serves docker.io both host-style
#                     (?ns=docker.io, containerd) and path-style (/v2/docker.io/..., skopeo/podman),
#                     e.g. the kit's stand-in 127.0.0.1:15011 or a registry-cache instance.
# Env:
#   E2E_DIR           the e2e kit (default: ../shared/e2e relative to the repository root)
#   E2E_STATE_DIR     the kit's state dir (its images/catalog.json is read; default: the kit's)
#   E2E_PULL_TIMEOUT  seconds per pull (default 120)
#   NODE_E2E_KEEP=1   keep the work directory
# Prerequisites (the kit's scripts): install-deps.sh, start-upstream.sh, make-images.sh, and the
# mirror. containerd is started with start-containerd.sh when it is not running.
#
# What is checked:
#   1. the writer (NodeMirrorConfigurator, from the project jar, driven by WriteNodeConfigForE2E) writes a
#      certs.d dir and a registries.conf.d drop-in for docker.io pointing at MIRROR, with the real
#      registry replaced by the kit's dead port (127.0.0.1:15099);
#   2. ctr --hosts-dir, skopeo and podman (drop-in read from a private $HOME) pull
#      docker.io/library/e2e-small:v1 and e2e-multi:v1 with the expected digests, so only the mirror
#      can have served them;
#   3. with the cache host on the dead port and server = the kit's upstream (127.0.0.1:15000),
#      containerd falls back to the upstream, and the pull takes less than 1 s per request;
#   4. restore puts the directories back as they were.
# Ends with "N passed, M failed"; exits non-zero when anything failed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
E2E_DIR="${E2E_DIR:-$repo/../shared/e2e}"
[[ -f "$E2E_DIR/lib.sh" ]] || { echo "no e2e kit at $E2E_DIR (set E2E_DIR)" >&2; exit 2; }
E2E_DIR="$(cd "$E2E_DIR" && pwd)"
# shellcheck source=/dev/null
source "$E2E_DIR/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 MIRROR_HOST:PORT"
mirror="$1"
[[ "$mirror" == */* || "$mirror" == *://* ]] && die "MIRROR must be HOST:PORT (no scheme, no path)"
check_addr "$mirror"
timeout_s="${E2E_PULL_TIMEOUT:-120}"
images=(library/e2e-small:v1 library/e2e-multi:v1)
catalog="$E2E_STATE_DIR/images/catalog.json"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
skip() { echo "SKIP $*"; }

for c in java javac jq ctr skopeo; do command -v "$c" >/dev/null || die "$c not found (install-deps.sh installs the clients)"; done
[[ -f "$catalog" ]] || die "no $catalog: run make-images.sh first"
port_listening "${mirror##*:}" || die "nothing listens on $mirror"
assert_dead_port

work="$(mktemp -d "${TMPDIR:-/tmp}/node-e2e.XXXXXX")"
ns_list=()
cleanup() {
  local ns
  for ns in "${ns_list[@]}"; do ctr_cleanup "$ns"; done
  if [[ "${NODE_E2E_KEEP:-0}" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- the writer: the project's jar (its node package and the TOML parser) plus a small driver ---
jar="$repo/target/registry-cache.jar"
[[ -f $jar ]] || die "$jar is missing: build it first (mvn package)"
log "compiling the node configuration writer's driver"
mkdir -p "$work/classes"
timeout 120 javac -nowarn -cp "$jar" -d "$work/classes" \
  "$repo/src/test/java/dev/registrycache/node/WriteNodeConfigForE2E.java"
writer() { timeout 60 java -cp "$work/classes:$jar" dev.registrycache.node.WriteNodeConfigForE2E "$@"; }

digest_of() { jq -r --arg k "$1" '.[$k].digest' "$catalog"; }
platform_digest_of() {
  local arch
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  jq -r --arg k "$1" --arg p "linux/$arch" \
    '.[$k].platforms | to_entries | map(select(.key | startswith($p))) | .[0].value // empty' "$catalog"
}

# --- 1. write the configuration ---------------------------------------------------------------
node="$work/node"                        # stands in for the node's /etc
mkdir -p "$node/containerd" "$work/home/.config/containers" "$work/run" "$work/tmp"
echo 'unqualified-search-registries = []' >"$work/home/.config/containers/registries.conf"
certs="$node/containerd/certs.d"
dropins="$work/home/.config/containers/registries.conf.d"
# what restore must give back: every path, and size + mtime of every file
tree_state() { (cd "$work" && find node home \( -type f -printf '%p %s %T@\n' \) -o -printf '%p/\n' | sort); }
before="$(tree_state)"
if writer apply --cache "$mirror" --certs-dir "$certs" --registries-dir "$dropins" \
     --registry "docker.io=http://127.0.0.1:$E2E_DEAD_PORT" >"$work/apply.log" 2>&1 \
   && grep -qx "server = \"http://127.0.0.1:$E2E_DEAD_PORT\"" "$certs/docker.io/hosts.toml" \
   && grep -qx "\[host.\"http://$mirror\"\]" "$certs/docker.io/hosts.toml" \
   && grep -qx "location = \"$mirror/docker.io\"" "$dropins/50-registry-cache.conf"; then
  pass "writer: $certs/docker.io/hosts.toml and $dropins/50-registry-cache.conf"
else
  cat "$work/apply.log" >&2
  fail "writer did not produce the expected files"
fi
sed 's/^/    /' "$certs/docker.io/hosts.toml" >&2 || true

# --- 2a. containerd ---------------------------------------------------------------------------
sock="$("$E2E_DIR/start-containerd.sh" | awk '{print $2}')"
ctr_() { local ns="$1"; shift; timeout "$timeout_s" ctr --address "$sock" --namespace "$ns" "$@"; }
ctr_cleanup() {
  local ns="$1"
  ctr_ "$ns" images ls -q 2>/dev/null | xargs -r -n1 timeout 30 ctr --address "$sock" -n "$ns" images rm --sync >/dev/null 2>&1 || true
  ctr_ "$ns" leases ls -q 2>/dev/null | xargs -r -n1 timeout 30 ctr --address "$sock" -n "$ns" leases rm >/dev/null 2>&1 || true
  ctr_ "$ns" content ls -q 2>/dev/null | xargs -r timeout 30 ctr --address "$sock" -n "$ns" content rm >/dev/null 2>&1 || true
  ctr_ "$ns" namespaces rm "$ns" >/dev/null 2>&1 || true
}
# ctr_pull HOSTS_DIR IMAGE [extra ctr args] -> sets pull_ms, pull_digest; output in $work/ctr.log
ctr_pull() {
  local hosts="$1" image="$2" ns; shift 2
  ns="node-e2e-$(date +%s%N)"; ns_list+=("$ns")
  local t0; t0=$(now_ms)
  if ctr_ "$ns" images pull --snapshotter native --hosts-dir "$hosts" "$@" "docker.io/$image" >"$work/ctr.log" 2>&1; then
    pull_ms=$(( $(now_ms) - t0 ))
    pull_digest="$(ctr_ "$ns" images ls 2>/dev/null | awk -v r="docker.io/$image" '$1 == r {print $3}')"
    return 0
  fi
  pull_ms=$(( $(now_ms) - t0 )); pull_digest=""
  grep -vE '^\S+:\s+(done|waiting|exists|downloading|resolving|resolved)|elapsed|^\s*$' "$work/ctr.log" | tail -5 >&2
  return 1
}
for img in "${images[@]}"; do
  want="$(digest_of "$img")"
  if ctr_pull "$certs" "$img" && [[ "$pull_digest" == "$want" ]]; then
    pass "containerd ctr --hosts-dir pulled docker.io/$img through $mirror (real registry unreachable) digest=$pull_digest ms=$pull_ms"
  else
    fail "containerd ctr --hosts-dir docker.io/$img through $mirror: digest='$pull_digest' want=$want"
  fi
done

# --- 2b. skopeo (drop-in read from the private $HOME) ---------------------------------------------
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
for img in "${images[@]}"; do
  want="$(platform_digest_of "$img")"
  rm -rf "$work/skopeo-out" "$work/digest"
  t0=$(now_ms)
  if HOME="$work/home" XDG_RUNTIME_DIR="$work/run" XDG_CONFIG_HOME="$work/home/.config" TMPDIR="$work/tmp" \
       timeout "$timeout_s" skopeo --policy "$work/policy.json" copy --retry-times 0 --digestfile "$work/digest" \
       "docker://docker.io/$img" "dir:$work/skopeo-out" >"$work/skopeo.log" 2>&1 \
     && [[ "$(cat "$work/digest")" == "$want" ]]; then
    pass "skopeo pulled docker.io/$img through $mirror/docker.io (drop-in; real registry unreachable) digest=$want ms=$(( $(now_ms) - t0 ))"
  else
    tail -5 "$work/skopeo.log" >&2
    fail "skopeo docker.io/$img through the drop-in: digest='$(cat "$work/digest" 2>/dev/null)' want=$want"
  fi
done

# --- 2c. podman (rootful, throw-away vfs store, same private $HOME) ------------------------------
if command -v podman >/dev/null && [[ $(id -u) == 0 ]]; then
  runroot="$(mktemp -d /tmp/node-e2e-podman.XXXXXX)"
  podman_() {
    HOME="$work/home" XDG_RUNTIME_DIR="$work/run" XDG_CONFIG_HOME="$work/home/.config" TMPDIR="$work/tmp" \
    timeout "$timeout_s" podman --root "$work/podman" --runroot "$runroot" --tmpdir "$work/tmp" \
      --storage-driver vfs --events-backend file --cgroup-manager cgroupfs \
      --network-config-dir "$work/net" --volumepath "$work/volumes" "$@"
  }
  for img in "${images[@]}"; do
    t0=$(now_ms)
    if podman_ pull --signature-policy "$work/policy.json" "docker.io/$img" >"$work/podman.log" 2>&1; then
      pass "podman pulled docker.io/$img through $mirror/docker.io (drop-in; real registry unreachable) ms=$(( $(now_ms) - t0 ))"
    else
      tail -5 "$work/podman.log" >&2
      fail "podman docker.io/$img through the drop-in"
    fi
  done
  podman_ rmi -a -f >/dev/null 2>&1 || true
  rm -rf "$runroot"
else
  skip "podman (not installed, or not root)"
fi

# --- 3. cache down: containerd falls back to server within ~1 s per request -----------------------
if port_listening "$E2E_UPSTREAM_PORT"; then
  fb_certs="$node/containerd/certs.d-fallback"
  mkdir -p "$node/containerd"
  if writer apply --cache "127.0.0.1:$E2E_DEAD_PORT" --certs-dir "$fb_certs" \
       --registry "docker.io=http://127.0.0.1:$E2E_UPSTREAM_PORT" >"$work/apply-fallback.log" 2>&1; then
    for img in "${images[@]}"; do
      want="$(digest_of "$img")"
      if ctr_pull "$fb_certs" "$img" --http-dump && [[ "$pull_digest" == "$want" ]]; then
        # --http-dump logs each request line once per host tried (the dead cache, then server)
        requests=$(grep -oE '(GET|HEAD) /v2/[^ ]+' "$work/ctr.log" | sort -u | wc -l)
        tried_cache=$(grep -c "127.0.0.1:$E2E_DEAD_PORT" "$work/ctr.log" || true)
        if (( requests > 0 && tried_cache > 0 && pull_ms < 1000 * requests )); then
          pass "containerd fell back to server for docker.io/$img with the cache down: $requests requests in ${pull_ms} ms ($(( pull_ms / requests )) ms per request)"
        else
          fail "containerd fallback docker.io/$img: requests=$requests cache-tried=$tried_cache ms=$pull_ms"
        fi
      else
        fail "containerd fallback docker.io/$img did not pull from server: digest='$pull_digest' want=$want"
      fi
    done
    writer restore --cache "127.0.0.1:$E2E_DEAD_PORT" --certs-dir "$fb_certs" >/dev/null 2>&1 || true
  else
    cat "$work/apply-fallback.log" >&2
    fail "writer (fallback configuration)"
  fi
else
  fail "fallback check needs the kit's upstream on 127.0.0.1:$E2E_UPSTREAM_PORT (start-upstream.sh)"
fi

# --- 4. restore ---------------------------------------------------------------------------------
writer restore --cache "$mirror" --certs-dir "$certs" --registries-dir "$dropins" >"$work/restore.log" 2>&1 || true
after="$(tree_state)"
if [[ "$before" == "$after" ]] && grep -q '^did: removed' "$work/restore.log"; then
  pass "restore removed everything the writer created"
else
  cat "$work/restore.log" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  fail "restore left the directories different from before"
fi

echo "$passed passed, $failed failed"
(( failed == 0 ))
