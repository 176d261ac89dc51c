#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs dependencies, builds the control plane
# (cached) and the project, starts the local control plane, runs every test, stops what it started.
#   hack/test.sh                 everything
#   hack/test.sh -R Bucketing    pass-through arguments to ctest (e.g. a subset)
# FRO_KEEP_CLUSTER=1 leaves the control plane running afterwards (it is stopped by default).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
start=$SECONDS

"$here/install-deps.sh"
"$here/build-tools.sh" all
"$here/install-sdks.sh"
"$here/install-demo-app.sh" >/dev/null  # npm ci of demo/openfeature-app (tests/demoapp), cached per lock file

BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build}
log "building the project in $BUILD"
cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja -DFRO_WERROR=ON >"$FRO_LOG_DIR/cmake-configure.log" 2>&1 \
  || die "cmake configure failed (log: $FRO_LOG_DIR/cmake-configure.log)"
if ! cmake --build "$BUILD" -j "$(nproc)" >"$FRO_LOG_DIR/cmake-build.log" 2>&1; then
  grep -E 'error|FAILED' "$FRO_LOG_DIR/cmake-build.log" | head -n 40 >&2 || true
  die "build failed (log: $FRO_LOG_DIR/cmake-build.log)"
fi
# The fuzz targets (clang, ASan + UBSan) whose smoke runs ctest has (label fuzz); incremental.
FRO_FUZZ_BUILD_DIR="$BUILD/fuzz" "$here/fuzz.sh" --build-only

# Tests get their own control plane state so they never disturb a demo cluster.
export FRO_CLUSTER_DIR=${FRO_CLUSTER_DIR:-$FRO_ROOT/.local/test-cluster}
started_here=0
if ! "$here/cluster.sh" status >/dev/null 2>&1; then started_here=1; fi
cleanup() { if ((started_here)) && [[ ${FRO_KEEP_CLUSTER:-0} != 1 ]]; then "$here/cluster.sh" down; fi; }
trap cleanup EXIT
"$here/cluster.sh" up
eval "$("$here/cluster.sh" env)"

log "running tests"
rc=0
ctest --test-dir "$BUILD" --output-on-failure --timeout 600 -j 2 "$@" || rc=$?
log "tests finished in $((SECONDS - start))s total (rc=$rc)"
exit $rc
