#!/usr/bin/env bash
# Benchmarks against the local control plane. They print figures; none of them pass or fail on time.
#   hack/bench.sh latency [--count N]                 write -> informer handler latency
#   hack/bench.sh soak [--seconds S] [--watch-timeout T]   watch soak: RSS over many watch restarts
#   hack/bench.sh memory [--count N] [--keep]         informer cache RSS for N rollouts + N ConfigMaps
#   hack/bench.sh transport                           valgrind leak check of the HTTPS transport
#   hack/bench.sh scale N [--mode file|env] [--edits E] [--operator PATH] [-- OPERATOR-ARGS]
#                                                     scale (issue 18): API write limit, cold sync of N
#                                                     rollouts, at rest, reaction to edits, restart
#                                                     (all options: hack/bench/scale.sh --help)
# Starts the control plane if it is not running (and stops it afterwards in that case).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
what=${1:-}; shift || true
BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build}
cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja >/dev/null
if [[ $what == scale ]]; then
  # Only what the scale run uses: the rest of the tree may be mid-edit.
  targets=(feature-rollout-operator bench_ApiWriteLimit bench_Reaction)
  cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]}" >/dev/null \
    || die "build failed (run cmake --build $BUILD --target ${targets[*]})"
else
  cmake --build "$BUILD" -j "$(nproc)" >/dev/null || die "build failed (run cmake --build $BUILD)"
fi
if [[ $what == transport ]]; then exec "$here/bench/transport-leak.sh" "$@"; fi
started=0
"$here/cluster.sh" status >/dev/null 2>&1 || { "$here/cluster.sh" up; started=1; }
trap '((started)) && "$here/cluster.sh" down' EXIT
eval "$("$here/cluster.sh" env)"
case $what in
  latency) "$BUILD/bin/bench_WatchLatency" "$@" ;;
  soak) "$BUILD/bin/bench_WatchSoak" "$@" ;;
  memory) "$BUILD/bin/bench_CacheMemory" "$@" ;;
  scale) FRO_BUILD_DIR=$BUILD "$here/bench/scale.sh" "$@" ;;
  *) die "usage: $0 latency|soak|memory|transport|scale [options]" ;;
esac
