#!/usr/bin/env bash
# Memory of a gate against an oversize Prometheus answer (issue 11, defect 9): a process evaluating
# one gate against a loopback fake Prometheus (a forked child) that answers 50 MB, 832,204 series,
# without Content-Length, 20 times. Prints RSS before, after each evaluation, after, and the peak
# (VmHWM); nothing is asserted. Needs no cluster.
#
#   hack/bench/gate-oversize.sh            with the default limits (4 MiB, 100 series)
#   hack/bench/gate-oversize.sh unlimited  both limits off, for comparison (default 3 times: it
#                                          takes hundreds of MB per answer)
#   hack/bench/gate-oversize.sh -- ARGS    passes ARGS to the driver (--times N --max-bytes B
#                                          --max-series S --series K)
# Environment: FRO_BUILD_DIR (default <repo>/build), FRO_JOBS (default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build}
if [[ ! -f $BUILD/build.ninja && ! -f $BUILD/Makefile ]]; then
  log "configuring $BUILD"
  cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja >/dev/null
fi
log "building gate_oversize_driver in $BUILD"
cmake --build "$BUILD" --target gate_oversize_driver -j "${FRO_JOBS:-2}" >/dev/null \
  || die "build failed (cmake --build $BUILD --target gate_oversize_driver)"
driver=$BUILD/bin/gate_oversize_driver
[[ -x $driver ]] || die "no driver at $driver"

case ${1:-limited} in
  limited) "$driver" --times 20 ;;
  unlimited) "$driver" --times "${2:-3}" --max-bytes 0 --max-series 0 ;;
  --) shift; "$driver" "$@" ;;
  *) die "usage: $0 [limited|unlimited [N]|-- driver-args]" ;;
esac
