#!/usr/bin/env bash
# Where a key's requests go in a large cluster, simulated in one JVM: peer-tree.sh [NODES] [ZONES] [KEYS]
# (default 5000 3 3). Needs the compiled classes (mvn -q compile). Prints numbers; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ -d target/classes/dev/registrycache/peer ] || mvn -q -o compile
exec jshell -R-Xmx512m --class-path target/classes -R-Dnodes="${1:-5000}" -R-Dzones="${2:-3}" -R-Dkeys="${3:-3}" \
  src/test/bench/peer-tree.jsh
