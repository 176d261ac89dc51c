#!/usr/bin/env bash
# One fuzz target's smoke run for ctest (tests/fuzz/CMakeLists.txt): SECONDS of fuzzing from the
# seeds; any finding fails the test. Exit 77 (skipped) when the fuzz tree is not built.
#   tests/fuzz/smoke.sh FUZZ_BUILD_DIR TARGET SECONDS
set -euo pipefail
build=$1 target=$2 seconds=$3
if [[ ! -x $build/bin/fuzz_$target ]]; then
  echo "skipped: $build/bin/fuzz_$target is not built (hack/test.sh builds it with hack/fuzz.sh --build-only)"
  exit 77
fi
FRO_FUZZ_BUILD_DIR=$build exec "$(dirname "$0")/../../hack/fuzz.sh" "$target" --no-build --seconds "$seconds"
